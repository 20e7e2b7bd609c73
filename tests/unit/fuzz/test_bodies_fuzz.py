"""Bad API bodies, fuzzed: Spotify's recorded objects with fields missing, of the wrong type, null
or extra, and answers that are no JSON at all, fed to the spotify spec's batch lookups as a cycle
runs them. A corrupt item of a batch is a dead letter (with the reason) and the good items of the
same answer are records all the same; a corrupt answer is a dead letter or an error outcome that
ends the cycle with the items still queued. No item is lost, nothing else is raised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.fuzz import SOAK, SOAK_TIMEOUT_S, broken_bodies, fuzz, json_values, mutated
from tests.support.runtime import Harness, harness
from tunestream.errors import FetchError
from tunestream.http.jsonpath import lookup
from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.discovery import Discovery
from tunestream.runtime.lookups import Lookups
from tunestream.runtime.outcomes import Outcome, outcome_of
from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources import spotify
from tunestream.spec.loader import load_spec
from tunestream.spec.models import BatchRequest, LookupResource, SingleRequest

pytestmark = [pytest.mark.unit, pytest.mark.timeout(120)]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spotify"
SPEC = load_spec(
    "spotify",
    variables={"markets": ["US"]},
    environ={"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "s"},
)
TOPICS = {
    **{entity.topic: f"spotify.{entity.topic}" for entity in spotify.ENTITIES},
    DEAD_LETTER_TOPIC: "spotify.dead",
    "source_plan": "spotify.plan",
}
LOOKUPS = {"albums": "album.json", "tracks": "track.json", "artists": "artists.json"}
"""The batch lookups fuzzed, each with its recorded object."""
GOOD = {name: json.loads((FIXTURES / file).read_text()) for name, file in LOOKUPS.items()}
NEW_RELEASES = json.loads((FIXTURES / "new_releases.json").read_text())


def lookup_of(name: str) -> tuple[BatchRequest, SingleRequest]:
    resource = SPEC.resources[name]
    assert isinstance(resource, LookupResource)
    assert resource.batch is not None and resource.single is not None
    return resource.batch, resource.single


def answered(name: str, items: Any) -> Any:
    """A batch answer of ``name`` holding ``items``: ``{"albums": [...]}``."""
    records = lookup_of(name)[0].records
    assert records is not None
    return {records: items}


def answer(name: str, status: int, content: bytes, ids: list[str]) -> Harness:
    """A cycle's context whose API answers every request for ``ids`` of ``name`` so: the batch
    request, and the single ones of a plan that stepped down."""

    def route(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})

    batch, single = lookup_of(name)
    paths = [batch.path, *(single.path.replace("{id}", id_) for id_ in ids)]
    return harness(dict.fromkeys(paths, route), mode="new-releases", spec=SPEC, topics=TOPICS)


def look_up(h: Harness, name: str, ids: list[str]) -> FetchError | None:
    """Queue ``ids`` for ``name``, run its jobs twice (a plan stepped down from batches asks
    for the items one by one the second time) and commit; the error they ended in, if any."""
    h.ctx.state.add_todos(name, ids, {}, dedupe=False)
    lookups = Lookups(h.ctx)

    async def main() -> FetchError | None:
        try:
            for _ in range(2):
                for job in lookups.jobs(name):
                    await job()
        except FetchError as exc:
            return exc
        finally:
            await h.ctx.committer.flush()
        return None

    return run_in_virtual_time(main())


def dead_letters(h: Harness) -> list[dict[str, Any]]:
    return [orjson.loads(r.value or b"") for r in h.records(TOPICS[DEAD_LETTER_TOPIC])]


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, list[Any], int]:
    """A lookup, the items of its batch answer (recorded objects), and the one corrupted: a
    mutated object, or a value that is no object."""
    name = draw(st.sampled_from(sorted(LOOKUPS)))
    items = [GOOD[name]] * draw(st.integers(1, 4))
    corrupt = draw(st.integers(0, len(items)))
    bad = draw(st.one_of(mutated(GOOD[name], json_values()), json_values()))
    return name, [*items[:corrupt], bad, *items[corrupt:]], corrupt


def check_batch(case: tuple[str, list[Any], int]) -> None:
    name, items, corrupt = case
    ids = [f"id{i}" for i in range(len(items))]
    h = answer(name, 200, json.dumps(answered(name, items)).encode(), ids)
    assert look_up(h, name, ids) is None
    good = [id_ for i, id_ in enumerate(ids) if i != corrupt]
    written = h.written(TOPICS[name])
    assert set(good) <= set(written), written
    bad, item = ids[corrupt], items[corrupt]
    letters = [letter for letter in dead_letters(h) if bad in letter["items"]]
    if isinstance(item, dict):
        assert bad in written
    elif item is None:  # Spotify's answer for an id it does not know
        assert h.ctx.report.stats[name].missing == 1
    else:
        assert [letter["items"] for letter in letters] == [[bad]], letters
        assert "no JSON object" in letters[0]["error"]
    assert h.ctx.state.todo(name) == {}


@fuzz()
@given(case=batches())
@example(case=("albums", [GOOD["albums"], "corrupt", GOOD["albums"]], 1))
@example(case=("artists", [GOOD["artists"], [GOOD["artists"]]], 1))
@example(case=("tracks", [{**GOOD["tracks"], "artists": "x"}, GOOD["tracks"]], 0))
def test_a_corrupt_item_is_a_dead_letter_and_its_batch_is_written(
    case: tuple[str, list[Any], int],
) -> None:
    check_batch(case)


@pytest.mark.soak
@pytest.mark.timeout(SOAK_TIMEOUT_S)
@fuzz(SOAK)
@given(case=batches())
def test_many_corrupt_items_are_dead_letters_and_their_batches_written(
    case: tuple[str, list[Any], int],
) -> None:
    check_batch(case)


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, int, bytes]:
    """A lookup and its batch answer gone wrong: a status and a broken body."""
    name = draw(st.sampled_from(sorted(LOOKUPS)))
    status = draw(st.sampled_from([200, 200, 200, 400, 403, 404, 429, 500, 502]))
    return name, status, draw(broken_bodies(answered(name, [GOOD[name]] * 2)))


@fuzz()
@given(case=answers())
def test_a_corrupt_answer_is_a_dead_letter_or_ends_the_cycle_with_its_items_queued(
    case: tuple[str, int, bytes],
) -> None:
    name, status, content = case
    ids = ["id0", "id1"]
    h = answer(name, status, content, ids)
    error = look_up(h, name, ids)
    if error is not None:
        assert outcome_of(error) in (Outcome.INTERRUPT, Outcome.RAISE), error
        assert set(h.ctx.state.todo(name)) == set(ids)
        return
    lettered = {id_ for letter in dead_letters(h) for id_ in letter["items"]}
    queued = set(h.ctx.state.todo(name))  # forbidden: the plan closed it for this cycle
    written = set(h.written(TOPICS[name]))
    unaccounted = set(ids) - lettered - queued - written
    assert len(unaccounted) <= h.ctx.report.stats[name].missing, (lettered, queued, written)
    assert all(letter["error"] for letter in dead_letters(h))


def discover(page: Any) -> tuple[Harness, FetchError | None]:
    """A cycle's discovery of new releases (one market), answered with ``page`` first and an
    empty page after; the error it ended in, if any."""

    def route(request: httpx.Request) -> httpx.Response:
        first = request.url.params["offset"] == "0"
        empty = {"albums": {"items": [], "next": None}}
        return httpx.Response(200, content=json.dumps(page if first else empty).encode())

    h = harness({"/browse/new-releases": route}, mode="new-releases", spec=SPEC, topics=TOPICS)
    discovery = Discovery(h.ctx, Lookups(h.ctx).fan_out)

    async def main() -> FetchError | None:
        for root in h.ctx.plan.roots:
            discovery.start(root)
        try:
            await discovery.run()
        except FetchError as exc:
            return exc
        finally:
            await h.ctx.committer.flush()
        return None

    return h, run_in_virtual_time(main())


@fuzz()
@given(page=mutated(NEW_RELEASES, json_values()))
def test_a_corrupt_page_of_a_root_queues_its_good_items_or_is_a_dead_letter(page: Any) -> None:
    h, error = discover(page)
    if error is not None:
        assert outcome_of(error) in (Outcome.INTERRUPT, Outcome.RAISE), error
        return
    items = lookup(page, "albums.items")
    if not isinstance(items, list):
        assert dead_letters(h), "a page without its list of records is a dead letter"
        return
    good = {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}
    assert good <= set(h.ctx.state.todo("albums")), good - set(h.ctx.state.todo("albums"))
    # an album with no id is a dead letter, never dropped unseen (a null is missing)
    idless = [i for i in items if i is not None and not _has_id(i)]
    assert len(dead_letters(h)) == len(idless), (idless, dead_letters(h))


def _has_id(item: Any) -> bool:
    found = item.get("id") if isinstance(item, dict) else None
    return isinstance(found, str | int) and not isinstance(found, bool)
