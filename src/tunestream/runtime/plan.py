"""Which endpoints the credentials may use, and so how each resource is fetched.

Nothing is assumed: every resource starts on its best access (batch requests where the spec has
them, the list itself for roots) and steps down the first time the API answers 403 — to
single-item requests, to a root's fallback list, or to skipping the resource with a reason. The
403 that teaches a step is the only request it costs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from tunestream.spec.models import (
    ListResource,
    LookupResource,
    SourceSpec,
    SubListResource,
    TopicResource,
)

__all__ = ["Access", "Plan"]

log = logging.getLogger(__name__)


class Access(Enum):
    BATCH = "batch"
    SINGLE = "single"
    LIST = "list"
    CLOSED = "closed"


@dataclass
class Plan:
    """How each resource of a spec is fetched with these credentials."""

    access: dict[str, Access]
    roots: list[str]
    reasons: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    """Page sizes of list resources that the API made us lower."""

    @classmethod
    def initial(cls, spec: SourceSpec, mode: str, skip: frozenset[str]) -> Plan:
        access: dict[str, Access] = {}
        reasons: dict[str, str] = {}
        for name, resource in spec.resources.items():
            if isinstance(resource, LookupResource):
                access[name] = Access.BATCH if resource.batch is not None else Access.SINGLE
            else:
                access[name] = Access.LIST
            if name in skip:
                access[name] = Access.CLOSED
                reasons[name] = "switched off in the configuration"
        return cls(access, list(spec.modes[mode]), reasons)

    def is_open(self, name: str) -> bool:
        return self.access[name] is not Access.CLOSED

    def forbidden(self, spec: SourceSpec, name: str, detail: str) -> Access:
        """The API refused ``name`` with 403: step down; return the new access."""
        resource = spec.resources[name]
        current = self.access[name]
        if current is Access.BATCH and isinstance(resource, LookupResource) and resource.single:
            step = Access.SINGLE
            log.warning(
                "plan: %s batch requests are forbidden (%s); using single requests", name, detail
            )
        else:
            step = Access.CLOSED
            self.reasons[name] = f"forbidden to these credentials ({detail})"
            log.warning("plan: %s is closed to these credentials (%s); skipping it", name, detail)
            if isinstance(resource, ListResource) and resource.fallback and name in self.roots:
                self.roots[self.roots.index(name)] = resource.fallback
                log.warning("plan: discovering through %s instead of %s", resource.fallback, name)
        self.access[name] = step
        return step

    def delivers(self, spec: SourceSpec) -> list[str]:
        """The topics (``kafka.topics`` keys) the plan writes records to: those of the open
        resources that an open root reaches through open resources."""
        reached = {root for root in self.roots if self.is_open(root)}
        for name in spec.order():  # parents first: a resource is reached before its children
            if name in reached:
                reached.update(child for child in spec.children(name) if self.is_open(child))
        return sorted({topic for name in reached if (topic := spec.emits(name))})

    def closed(self) -> dict[str, str]:
        """Each closed resource and why."""
        return {
            name: self.reasons.get(name, "closed")
            for name, access in self.access.items()
            if access is Access.CLOSED
        }

    def smaller_limit(self, spec: SourceSpec, name: str, refused: int) -> int | None:
        """The API refused page size ``refused`` (400): the next smaller one the spec allows."""
        resource = spec.resources[name]
        assert isinstance(resource, ListResource)
        current = self.limits.get(name)
        if current is not None and current < refused:
            return current  # another request already stepped down
        smaller = [n for n in resource.smaller_limits if n < refused]
        if not smaller:
            return None
        self.limits[name] = smaller[0]
        log.warning("plan: %s refused %d items a page; asking for %d", name, refused, smaller[0])
        return smaller[0]

    def page_size(self, resource: ListResource, name: str) -> int | None:
        """The page size to ask for, where the paginator has one."""
        return self.limits.get(name, resource.paginator.page_size)

    def describe(self, spec: SourceSpec) -> list[str]:
        """One line per resource: how it is fetched, or why not."""
        lines = [f"discovery: {', '.join(self.roots)}"]
        for name in spec.order():
            lines.append(f"{name}: {self._how(spec, name)}")
        return lines

    def _how(self, spec: SourceSpec, name: str) -> str:
        access = self.access[name]
        resource = spec.resources[name]
        if access is Access.CLOSED:
            return f"skipped: {self.reasons.get(name, 'closed')}"
        if isinstance(resource, ListResource):
            if name not in self.roots:
                return "not used"
            size = self.page_size(resource, name)
            return f"list: GET {resource.request.path}" + (f", {size} a page" if size else "")
        if isinstance(resource, LookupResource):
            if access is Access.BATCH and resource.batch is not None:
                return f"batch: GET {resource.batch.path} (up to {resource.batch.max} ids)"
            assert resource.single is not None
            return f"single: GET {resource.single.path}"
        if isinstance(resource, SubListResource):
            parents = ", ".join(edge.resource for edge in resource.from_)
            return f"sublist: GET {resource.request.path} for each item of {parents}"
        if isinstance(resource, TopicResource):
            return f"topic: the records of {resource.topic} written since the last cycle"
        return f"pages: embedded in {resource.from_} at {resource.embedded}, then next URLs"
