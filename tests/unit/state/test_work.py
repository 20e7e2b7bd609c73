from __future__ import annotations

import orjson
import pytest

from tunestream.errors import StateError
from tunestream.state.work import WorkState

pytestmark = pytest.mark.unit


def replay(state: WorkState) -> WorkState:
    """A new state loaded from what the first one wrote, as after a restart."""
    written: dict[str, bytes] = {}
    for key, value in state.take_changes().items():
        if value is None:
            written.pop(key, None)
        else:
            written[key] = value
    return WorkState(written)


def test_queued_work_survives_a_restart_and_done_work_does_not() -> None:
    state = WorkState()
    state.start_cycle("c1", "new-releases", now=100.0)
    assert state.add_todo("albums", "a1", {"market": "SE"}, dedupe=True)
    assert state.add_todo("albums", "a2", {"market": "GB"}, dedupe=True)
    assert not state.add_todo("albums", "a1", {"market": "US"}, dedupe=True)  # queued already
    state.done("albums", ["a1"], remember_at=100.0)
    state.set_cursor("new_releases", "market=SE", {"offset": 50, "done": False})

    restarted = replay(state)
    assert restarted.cycle is not None and restarted.cycle.running
    assert restarted.todo("albums") == {"a2": {"market": "GB"}}
    assert restarted.cursor("new_releases", "market=SE") == {"offset": 50, "done": False}
    assert restarted.seen("albums", "a1")
    assert not restarted.add_todo("albums", "a1", {}, dedupe=True)  # emitted before
    assert restarted.add_todo("tracks", "a1", {}, dedupe=False)


def test_finishing_a_cycle_keeps_its_cursors_and_old_memories_can_be_forgotten() -> None:
    state = WorkState()
    state.start_cycle("c1", "full", now=10.0)
    state.set_cursor("new_albums", "all", {"done": True})
    state.remember("albums", "old", at=10.0)
    state.remember("albums", "new", at=500.0)
    state.finish_cycle(now=20.0)
    assert state.forget_before("albums", cutoff=100.0) == 1

    restarted = replay(state)
    assert restarted.cycle is not None and not restarted.cycle.running
    assert restarted.cursors("new_albums") == {"all": {"done": True}}  # the kept query tree
    assert not restarted.seen("albums", "old")
    assert restarted.seen("albums", "new")


def test_items_queued_together_share_a_few_state_records() -> None:
    written: dict[str, bytes] = {}

    def write(changes: dict[str, bytes | None]) -> int:
        for key, value in changes.items():
            if value is None:
                written.pop(key, None)
            else:
                written[key] = value
        return len(changes)

    state = WorkState()
    state.start_cycle("c1", "full", now=1.0)
    write(state.take_changes())
    for n in range(250):
        state.add_todo("tracks", f"t{n}", {"market": "SE"}, dedupe=False)
    assert write(state.take_changes()) == 3  # groups of at most GROUP_SIZE (100)

    state.done("tracks", [f"t{n}" for n in range(120)], remember_at=None)
    assert write(state.take_changes()) == 2  # the first group deleted, the second rewritten

    restarted = WorkState(written)
    assert set(restarted.todo("tracks")) == {f"t{n}" for n in range(120, 250)}
    assert restarted.todo("tracks")["t200"] == {"market": "SE"}
    restarted.done("tracks", [f"t{n}" for n in range(120, 250)], remember_at=None)
    write(restarted.take_changes())
    assert not any(key.startswith("todo/") for key in written)


def test_an_item_done_in_the_unit_that_queued_it_is_never_written() -> None:
    state = WorkState()
    state.start_cycle("c1", "full", now=1.0)
    state.take_changes()
    assert state.add_todos("tracks", ["t1", "t2", "t1"], {"market": "SE"}, dedupe=False) == 2
    state.done("tracks", ["t1"], remember_at=None)
    changes = state.take_changes()
    assert len(changes) == 1  # one group, holding t2 only
    restarted = WorkState({k: v for k, v in changes.items() if v is not None})
    assert restarted.todo("tracks") == {"t2": {"market": "SE"}}

    # queued, done and queued again within one unit: written once, in the group of that unit
    state.done("tracks", ["t2"], remember_at=None)
    state.add_todo("tracks", "t2", {"market": "GB"}, dedupe=False)
    changes = state.take_changes()
    assert sorted(v is None for v in changes.values()) == [False, True]  # old group deleted
    assert WorkState({k: v for k, v in changes.items() if v is not None}).todo("tracks") == {
        "t2": {"market": "GB"}
    }


def test_add_todos_skips_items_emitted_before_when_deduplicating() -> None:
    state = WorkState()
    state.remember("artists", "a1", at=5.0)
    assert state.add_todos("artists", ["a1", "a2"], {}, dedupe=True) == 1
    assert state.add_todos("artists", ["a1"], {}, dedupe=False) == 1
    assert set(state.todo("artists")) == {"a1", "a2"}


def test_each_item_keeps_the_context_it_was_queued_with_across_a_restart() -> None:
    state = WorkState()
    contexts = [{"market": "SE"}, {"market": "SE"}, {"market": "GB"}, {"market": "SE"}]
    for n, context in enumerate(contexts):
        state.add_todos("tracks", [f"t{n}.{i}" for i in range(60)], context, dedupe=False)
    state.done("tracks", ["t0.0", "t2.59"], remember_at=None)
    restarted = replay(state)
    expected = {
        f"t{n}.{i}": context
        for n, context in enumerate(contexts)
        for i in range(60)
        if f"t{n}.{i}" not in {"t0.0", "t2.59"}
    }
    assert restarted.todo("tracks") == expected
    assert list(restarted.todo("tracks")) == list(expected)  # oldest first


def test_a_todo_group_in_the_earlier_format_is_loaded_and_rewritten_at_the_first_cut() -> None:
    earlier = {"todo/tracks/g1": orjson.dumps({"t1": {"market": "SE"}, "t2": {"market": "GB"}})}
    state = WorkState(earlier)
    assert state.todo("tracks") == {"t1": {"market": "SE"}, "t2": {"market": "GB"}}
    changes = state.take_changes()
    assert changes["todo/tracks/g1"] is None  # the old record goes in the same transaction
    written = {k: v for k, v in changes.items() if v is not None}
    assert all(orjson.loads(v)["items"] for v in written.values())
    assert WorkState(written).todo("tracks") == state.todo("tracks")


@pytest.mark.parametrize(
    "key, value",
    [
        ("todo/tracks/g1", b"{not json"),
        ("todo/tracks/g1", b"[1, 2]"),
        ("cycle", b'{"name": "c1"}'),
        ("seen/albums/a1", b'"yesterday"'),
    ],
)
def test_a_state_record_that_cannot_be_read_is_one_error_naming_its_key(
    key: str, value: bytes
) -> None:
    with pytest.raises(StateError, match=f"state record '{key}' cannot be read"):
        WorkState({key: value})
