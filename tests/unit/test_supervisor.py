"""The supervisor's loop on a clock of our own, over stand-ins for a system's processes."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tunestream.errors import ComponentError
from tunestream.system.components import Component
from tunestream.system.process import ProcessRecord
from tunestream.system.supervision import RestartPolicy, read_record
from tunestream.system.supervisor import Supervisor

pytestmark = pytest.mark.unit

NO_STATUS = "ended (not started by this supervisor: no exit status)"


class FakeProcess:
    """A component's process: a pid while it runs (none of ours: no exit status to read)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.stopped = 0

    def running(self) -> ProcessRecord | None:
        return None if self.pid is None else ProcessRecord(self.pid, 0, [])

    def stop(self, first: signal.Signals, grace_s: float) -> bool:
        self.stopped += 1
        return False


class FakeSystem:
    """What the supervisor uses of a System; starting fails while ``broken``."""

    def __init__(self, home: Path, *names: str) -> None:
        self.home = home
        self.components = [Component(name, (name,), None) for name in names]
        self.processes = {name: FakeProcess() for name in names}
        self.broken = False
        self.next_pid = 4_000_000  # above any pid this machine gives out
        for component in self.components:
            self.start(component, print)

    def broker(self) -> None:
        return None

    def process(self, name: str) -> FakeProcess:
        return self.processes[name]

    def start(self, component: Component, echo: Any) -> None:
        if self.broken:
            raise ComponentError(f"{component.name}: port 1 is taken\nmore lines")
        self.next_pid += 1
        self.processes[component.name].pid = self.next_pid


@pytest.fixture
def clock() -> list[float]:
    return [0.0]


def supervisor(system: FakeSystem, clock: list[float], lines: list[str]) -> Supervisor:
    return Supervisor(system, lines.append, RestartPolicy(), lambda: clock[0])  # type: ignore[arg-type]


def test_one_that_ends_is_restarted_after_the_delay_and_the_others_are_left_alone(
    tmp_path: Path, clock: list[float]
) -> None:
    system = FakeSystem(tmp_path, "producer", "spark")
    lines: list[str] = []
    watching = supervisor(system, clock, lines)
    spark = system.processes["spark"].pid
    system.processes["producer"].pid = None
    watching.tick()
    record = read_record(tmp_path, "producer")
    assert record is not None and record.state == "restarting" and record.last_exit == NO_STATUS
    assert system.processes["producer"].stopped == 1  # what it left is ended at once
    clock[0] = 0.9
    watching.tick()
    assert system.processes["producer"].pid is None  # not before its second
    clock[0] = 1.0
    watching.tick()
    assert system.processes["producer"].pid is not None
    assert read_record(tmp_path, "producer") == record.model_copy(
        update={"state": "running", "restarts": 1}
    )
    assert system.processes["spark"].pid == spark
    spark_record = read_record(tmp_path, "spark")
    assert spark_record is not None and spark_record.restarts == 0
    assert "producer: restarted (1 so far)" in lines


def test_one_that_cannot_start_is_failed_until_something_starts_it(
    tmp_path: Path, clock: list[float]
) -> None:
    system = FakeSystem(tmp_path, "dashboard", "producer")
    lines: list[str] = []
    watching = supervisor(system, clock, lines)
    system.broken = True
    system.processes["dashboard"].pid = None
    for second in range(40):
        clock[0] = float(second)
        watching.tick()
    record = read_record(tmp_path, "dashboard")
    assert record is not None and record.state == "failed"
    assert record.restarts == 4  # the kill, then four starts that failed: five deaths
    assert record.last_exit == "failed to start: dashboard: port 1 is taken"
    producer = read_record(tmp_path, "producer")
    assert producer is not None and producer.state == "running"
    assert system.processes["producer"].pid is not None

    system.broken = False
    system.start(system.components[0], print)  # `up`
    watching.tick()
    record = read_record(tmp_path, "dashboard")
    assert record is not None and record.state == "running" and record.restarts == 4
