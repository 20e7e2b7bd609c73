"""What the parts of one cycle share: the spec, the client, the state, the plan, the pool, the
wire format and the report — the outcomes every part acts on the same way (a dead letter, a
record too large for its topic, a step down), and publishing the plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from tunestream.errors import FetchError, HttpStatusError
from tunestream.http.client import RestClient
from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.runtime.plan import Access, Plan
from tunestream.runtime.pool import Pool
from tunestream.runtime.report import CycleReport
from tunestream.runtime.wire import Wire
from tunestream.spec.models import SourceSpec
from tunestream.state.work import WorkState

__all__ = ["CycleContext"]

log = logging.getLogger(__name__)


@dataclass
class CycleContext:
    """One cycle's collaborators; ``probe`` tries each resource once (``--plan``)."""

    spec: SourceSpec
    client: RestClient
    state: WorkState
    committer: Committer
    plan: Plan
    pool: Pool
    wire: Wire
    report: CycleReport
    clock: Callable[[], float]
    probe: bool = False
    discovery_budget: int | None = None
    """Requests discovery may make this cycle (None: no cap)."""

    def dead_letter(self, name: str, items: list[str], error: FetchError) -> None:
        """Send the items to the dead-letter topic (their work is not marked done here); a letter
        without items (a record that has no id) counts as one."""
        self.committer.add([self.wire.dead_letter(name, items, error)])
        self.report.stats[name].dead_letters += max(1, len(items))
        log.warning(
            "%s: %s %s went to the dead-letter topic: %s", self.spec.name, name, items[:3], error
        )

    def fits(self, name: str, item: str, record: Record) -> bool:
        """Whether ``name``'s record of ``item`` fits its topic; one that does not is never sent:
        its dead letter (naming it, without its body) goes in its place, counted and logged."""
        refused = self.wire.refused(name, item, record)
        if refused is None:
            return True
        letter, why = refused
        self.committer.add([letter])
        self.report.stats[name].dead_letters += 1
        self.report.oversized[record.topic] += 1
        log.warning("%s: %s %s went to the dead-letter topic: %s", self.spec.name, name, item, why)
        return False

    def step_down(self, name: str, error: FetchError) -> None:
        """The API forbade ``name`` (403): the plan steps down, unless it is closed already; a
        plan that closes a resource is published."""
        assert isinstance(error, HttpStatusError)
        if self.plan.access[name] is not Access.CLOSED:
            step = self.plan.forbidden(self.spec, name, f"HTTP {error.status}")
            if step is Access.CLOSED:
                self.publish_plan()

    def publish_plan(self) -> None:
        """Write the plan (the topics it delivers to, the closed resources) into the open unit:
        readers know it before any record fetched after it."""
        self.committer.add([self.wire.plan(self.plan.delivers(self.spec), self.plan.closed())])
