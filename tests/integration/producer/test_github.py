"""The github spec against the GitHub stand-in, exactly once: kills at random moments with the
truth changing between runs, a cycle where nothing changed, and a refresh token that rotates."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.github import REPOSITORIES
from tests.support.github_source import RECORD_TOPICS, GithubRun
from tests.support.kafka import read_topic
from tests.support.kills import kill_rounds, seeded_random
from tests.support.truth import assert_finished_cleanly
from tunestream.config import KafkaSettings
from tunestream.state.credentials import CREDENTIAL_KEY
from tunestream_emulator.github import GithubHandle, LimitSettings

pytestmark = pytest.mark.integration

UNLIMITED = LimitSettings(rate_limit_per_hour=1_000_000, max_concurrent=None, max_per_minute=None)


def produce_once(run: GithubRun, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run.command("produce", "--once"),
        env=run.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_latest_once(run: GithubRun, topic: str, truth: list[dict[str, Any]]) -> None:
    """Every truth item is in the topic with its latest version, and no version twice."""
    kept = run.kept(topic)
    assert kept.doubled() == [], f"{topic}: written twice"
    latest = {item["node_id"]: item["updated_at"] for item in truth}
    assert sorted(kept.values) == sorted(latest), f"{topic}: other items than the truth's"
    stale = {
        k: (v["updated_at"], latest[k])
        for k, v in kept.values.items()
        if v["updated_at"] != latest[k]
    }
    assert stale == {}, f"{topic}: an edit was lost"


@kill_rounds(lean=4, soak=8)
def test_kill_9_at_random_moments_while_the_truth_changes_loses_and_doubles_nothing(
    kafka_settings: KafkaSettings,
    start_github: Callable[..., GithubHandle],
    tmp_path: Path,
    rounds: int,
) -> None:
    rng = seeded_random()
    handle = start_github(limits=UNLIMITED, latency_ms=10)
    # the first cycle takes about 10 s of requests (more than 260 at 30 a second), and each run
    # is killed within 3 s of its start: several kills land in it, wherever it stands
    run = GithubRun(handle, kafka_settings, tmp_path, rate_limit={"requests_per_second": 30})
    issues = {
        repo: [i["number"] for i in r["issues"]]
        for repo, r in handle.truth()["repositories"].items()
    }
    edited: dict[str, str] = {}  # node_id → the title of its last edit
    kills = 0
    for attempt in range(rounds):
        process = subprocess.Popen(
            run.command("produce", "--once"), env=run.env, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.3, 3.0))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
        # between runs the truth moves on: an edit, a comment, time (which brings activity)
        repo = rng.choice(REPOSITORIES)
        number = rng.choice(issues[repo])
        issue = handle.edit_issue(repo, number, title=f"edited in round {attempt}")
        edited[issue["node_id"]] = f"edited in round {attempt}"
        handle.comment(repo, rng.choice(issues[repo]), body=f"comment of round {attempt}")
        handle.advance(rng.uniform(60, 900))
    assert kills >= 3, "the producer finished before the kills could test anything"
    # the first run finishes the cycle the last kill interrupted (its parts read before the
    # last changes are not read again in it); the second reads from the cycle's versions
    for _ in range(2):
        final = produce_once(run)
        assert final.returncode == 0, final.stderr[-3000:]

    truth = run.truth()
    assert_latest_once(run, "issues", truth["issues"])
    assert_latest_once(run, "issue_comments", truth["issue_comments"])
    titles = run.kept("issues").values
    assert {k: titles[k]["title"] for k in edited} == edited
    # an edit between two cycles of an issue written before: one new record, the new version
    before = run.kept("issues").pairs
    repo, number = REPOSITORIES[0], issues[REPOSITORIES[0]][0]
    handle.advance(5)
    issue = handle.edit_issue(repo, number, title="edited last")
    assert issue["node_id"] in dict(before)
    assert produce_once(run).returncode == 0
    after = run.kept("issues").pairs
    assert sorted(after) == sorted([*before, (issue["node_id"], issue["updated_at"])])
    releases = run.kept("releases", version="id")
    assert releases.doubled() == []
    assert sorted(releases.values) == sorted(r["node_id"] for r in truth["releases"])
    pulls = run.kept("pull_requests")
    assert pulls.doubled() == []
    assert len(pulls.values) == sum(1 for i in truth["issues"] if i.get("pull_request"))
    # events are read at most once a minute (X-Poll-Interval): those of the last minute may
    # wait for the next cycle, but none is written twice and none is made up
    events = run.kept("events", version="id")
    assert events.doubled() == []
    assert set(events.values) <= {e["id"] for e in truth["events"]}
    assert_finished_cleanly(run.kafka, "github")


def test_a_cycle_where_nothing_changed_costs_a_request_per_list_and_writes_nothing(
    kafka_settings: KafkaSettings,
    start_github: Callable[..., GithubHandle],
    tmp_path: Path,
) -> None:
    handle = start_github(limits=UNLIMITED)
    run = GithubRun(handle, kafka_settings, tmp_path, rate_limit={"requests_per_second": 200})
    first = produce_once(run)
    assert first.returncode == 0, first.stderr[-3000:]
    before = handle.stats()
    written = {key: len(run.kept(key, version="id").pairs) for key in RECORD_TOPICS}
    second = produce_once(run)
    assert second.returncode == 0, second.stderr[-3000:]
    after = handle.stats()
    asked = {
        endpoint: {
            status: n - before["endpoints"].get(endpoint, {}).get(status, 0)
            for status, n in counts.items()
            if n != before["endpoints"].get(endpoint, {}).get(status, 0)
        }
        for endpoint, counts in after["endpoints"].items()
    }
    asked = {endpoint: counts for endpoint, counts in asked.items() if counts}
    # each repository: its issues since the last version (GitHub's since is inclusive: the
    # last ones come back, and are not written again), its releases a 304; its events not at
    # all, within their X-Poll-Interval; no comment list, no pull request
    assert asked == {
        "GET /repos/{owner}/{repo}/issues": {"200": 2},
        "GET /repos/{owner}/{repo}/releases": {"304": 2},
    }
    assert {key: len(run.kept(key, version="id").pairs) for key in RECORD_TOPICS} == written


def test_a_used_up_rate_limit_ends_the_cycle_with_its_state_and_the_next_run_resumes(
    kafka_settings: KafkaSettings,
    start_github: Callable[..., GithubHandle],
    tmp_path: Path,
) -> None:
    # 120 requests an hour: the first cycle (about 260 requests) runs out part-way. The answer
    # that uses the last of them says X-RateLimit-Remaining: 0 with a reset past
    # retry_after_ceiling_s: the cycle ends at once, its state saved (exit code 3 for --once),
    # whether or not requests already in flight were answered 403. The reset is a Unix time:
    # the stand-in's clock reads the wall clock's time, as GitHub's does.
    handle = start_github(
        limits=UNLIMITED.model_copy(update={"rate_limit_per_hour": 120}),
        clock_start=datetime.now(UTC).replace(microsecond=0),
    )
    run = GithubRun(handle, kafka_settings, tmp_path, rate_limit={"requests_per_second": 200})
    stopped = produce_once(run)
    assert stopped.returncode == 3, stopped.stderr[-3000:]
    assert "(X-RateLimit-Reset), more than retry_after_ceiling_s" in stopped.stderr, stopped.stderr
    answered = handle.stats()["requests"]
    assert answered["200"] == 120  # the whole hour's budget used, no more
    assert set(answered) <= {"200", "403"}, answered
    partial = len(run.kept("issue_comments").pairs)
    assert 0 < partial < len(run.truth()["issue_comments"])
    for _ in range(4):  # each window holds 120 more requests: the cycle goes on where it stood
        handle.advance(3600)
        resumed = produce_once(run)
        if resumed.returncode != 3:
            break
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # the hours advanced brought activity the resumed cycle's parts were read before: the next
    # cycle reads it
    assert produce_once(run).returncode == 0
    truth = run.truth()
    assert_latest_once(run, "issues", truth["issues"])
    assert_latest_once(run, "issue_comments", truth["issue_comments"])
    assert read_topic(run.bootstrap, run.topics["dead_letter"]["name"]) == []


def rotating_spec(folder: Path) -> Path:
    """The github spec with an expiring user token of a GitHub App instead of a static one."""
    shipped = Path(__file__).resolve().parents[3] / "src/tunestream/sources/github.yaml"
    text = shipped.read_text().replace(
        'auth: {type: bearer, token: "${GITHUB_TOKEN}"}',
        "auth:\n"
        "    type: oauth2_refresh_token\n"
        '    token_url: "${GITHUB_OAUTH_URL}/login/oauth/access_token"\n'
        '    client_id: "${GITHUB_CLIENT_ID}"\n'
        '    client_secret: "${GITHUB_CLIENT_SECRET}"\n'
        '    refresh_token: "${GITHUB_REFRESH_TOKEN}"\n'
        "    client_auth: body\n"  # GitHub takes client_id and client_secret as parameters
        "    provider: GitHub",
    )
    assert "oauth2_refresh_token" in text
    path = folder / "github-app.yaml"
    path.write_text(text)
    return path


def test_a_kill_between_a_token_rotation_and_the_commit_resumes_with_a_valid_token(
    kafka_settings: KafkaSettings,
    start_github: Callable[..., GithubHandle],
    tmp_path: Path,
) -> None:
    handle = start_github(limits=UNLIMITED.model_copy(update={"access_token_lifetime_s": 8}))
    handle.pause(False)  # tokens expire on the stand-in's clock
    granted = handle.authorize()
    app = handle.settings.apps[0]
    run = GithubRun(
        handle,
        kafka_settings,
        tmp_path,
        spec=str(rotating_spec(tmp_path)),
        rate_limit={"requests_per_second": 20},
        commit_max_records=5,
    )
    run.env.update(
        GITHUB_OAUTH_URL=handle.oauth_url,
        GITHUB_CLIENT_ID=app.client_id,
        GITHUB_CLIENT_SECRET=app.client_secret,
        GITHUB_REFRESH_TOKEN=granted["refresh_token"],
    )
    state_topic = run.topics["source_state"]["name"]
    process = subprocess.Popen(
        run.command("produce", "--once"), env=run.env, stderr=subprocess.PIPE, text=True
    )
    saved = None
    deadline = time.monotonic() + 120
    while saved is None and time.monotonic() < deadline and process.poll() is None:
        tokens = [
            m for m in read_topic(run.bootstrap, state_topic) if m.key == f"github/{CREDENTIAL_KEY}"
        ]
        saved = tokens[-1] if len(tokens) >= 2 else None  # the second rotation: mid-cycle
    assert saved is not None, "no rotation was saved while the cycle ran"
    process.kill()  # the new token is committed; the records fetched with it are not all
    _, killed_log = process.communicate()
    assert handle.stats()["token_refreshes"] >= 2
    final = produce_once(run)
    assert final.returncode == 0, final.stderr[-3000:]
    stats = handle.stats()
    assert stats["token_refreshes"] > 2  # it refreshed with the saved token, which was valid
    truth = run.truth()
    assert_latest_once(run, "issues", truth["issues"])
    assert_latest_once(run, "issue_comments", truth["issue_comments"])
    # the tokens are in the source state only: no log line, no record of a data topic
    issued = {granted["refresh_token"], saved.value["refresh_token"]}
    for key in [*RECORD_TOPICS, "dead_letter"]:
        for message in read_topic(run.bootstrap, run.topics[key]["name"]):
            assert not any(token in message.raw.decode() for token in issued)
    for text in (killed_log, final.stderr):
        assert not any(token in text for token in issued)
