"""`tunestream up` supervises: SIGKILL any component and it is restarted, with nothing lost and
nothing doubled; one that keeps dying is failed while the others run on.

Runs after the dashboard tests (it kills the dashboard) and before `test_up_down`."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import time
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.kafka import read_topic
from tests.support.kills import seeded_random
from tests.support.system import (
    DATA_TIMEOUT_S,
    RESTART_TIMEOUT_S,
    SystemUnderTest,
    kill_and_await_restart,
    status_rows,
    wait_for,
)
from tunestream.config import load_settings
from tunestream.runtime.metrics import scrape
from tunestream.tables.query import connect

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def completed_cycle_since(system: SystemUnderTest, since: float) -> dict[str, Any] | None:
    with contextlib.suppress(Exception):  # the producer may not serve its metrics yet
        sample = scrape(f"http://127.0.0.1:{system.metrics_port}/metrics", time.time())
        spotify = sample.sources["spotify"]
        if spotify.last_success is not None and spotify.last_success > since:
            return {"at": spotify.last_success}
    return None


def test_every_component_killed_is_restarted_and_nothing_is_lost_or_doubled(
    system: SystemUnderTest,
) -> None:
    rng = seeded_random()
    victims = rng.sample(["kafka", "producer", "spark", "dashboard"], 4)
    first_kill = datetime.now().replace(microsecond=0)
    for name in victims:
        time.sleep(rng.uniform(0.0, 5.0))
        row = kill_and_await_restart(system, name)
        print(f"{name} restarted: {row}")
    last_kill = time.time()

    # supervisor.log tells each death with the local time it was seen
    told = {}
    for line in (system.data_dir / "system/supervisor.log").read_text().splitlines():
        if m := re.fullmatch(r"(\S+ \S+) (\w+): killed by SIGKILL; restarting in .*", line):
            told[m[2]] = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f")
    for name in victims:
        assert first_kill <= told[name] <= datetime.now(), (name, told)

    # The dashboard's API tells the same, once each restart is through (a process runs before
    # it is ready). Its last exit may be a later one: the producer's, say, when Kafka was gone.
    def all_restarted() -> dict[str, Any] | None:
        try:
            panel = system.api("components")
        except httpx.HTTPError:  # the dashboard, restarted last, runs but does not serve yet
            return None
        if panel["state"] != "ok":
            return None
        shown = {c["name"]: c for c in panel["components"]}
        done = all(shown[n]["running"] and shown[n]["supervised"] == "running" for n in victims)
        return shown if done else None

    shown = wait_for("the components panel", all_restarted, RESTART_TIMEOUT_S)
    for name in victims:
        assert shown[name]["restarts"] >= 1 and shown[name]["last_exit"], shown[name]

    # A cycle completed after the kills: each album in Kafka once, each with all its tracks once.
    wait_for("a completed cycle", lambda: completed_cycle_since(system, last_kill), 300)
    kafka = load_settings(system.config).kafka
    written = {
        entity: read_topic(kafka.bootstrap, kafka.topics[entity].name)
        for entity in ("albums", "tracks", "artists")
    }
    for entity, messages in written.items():
        twice = [key for key, n in Counter(m.key for m in messages).items() if n > 1]
        assert messages and not twice, f"{entity}: {len(twice)} written twice, e.g. {twice[:3]}"
    truth = system.truth_albums()
    albums = {m.key for m in written["albums"]}
    assert albums <= set(truth), f"not albums of the emulator: {sorted(albums - set(truth))[:3]}"
    expected_tracks = {t for album in albums for t in truth[album]["track_ids"]}
    missing = expected_tracks - {m.key for m in written["tracks"]}
    assert not missing, f"{len(missing)} tracks missing, e.g. {sorted(missing)[:3]}"

    # The Spark job, killed too, has every one of those albums in its table, each once.
    tables = load_settings(system.config).spark.tables_path(system.data_dir)

    def tables_have_every_album() -> dict[str, Any] | None:
        with contextlib.closing(connect(tables)) as con:
            rows = [r[0] for r in con.sql("SELECT album_id FROM albums").fetchall()]
        return {"rows": rows} if albums <= set(rows) else None

    found = wait_for("the killed Spark job's tables", tables_have_every_album, DATA_TIMEOUT_S)
    assert len(found["rows"]) == len(set(found["rows"]))

    # The emulator last (a new one restarts its release clock: the truth above would move).
    row = kill_and_await_restart(system, "emulator")
    print(f"emulator restarted: {row}")


def test_a_component_that_keeps_dying_is_failed_and_the_others_run_on(
    system: SystemUnderTest,
) -> None:
    port = int(system.dashboard_url.rsplit(":", 1)[1].strip("/"))
    with socket.socket() as taken:
        os.kill(system.pids()["dashboard"], signal.SIGKILL)
        # its port, taken before its first restart (a second away at the least)
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        wait_for("the dashboard's port", lambda: {} if _bound(taken, port) else None, 30)

        def failed() -> dict[str, str] | None:
            row = status_rows(system).get("dashboard")
            return row if row is not None and row["state"] == "failed" else None

        row = wait_for("the dashboard failed", failed, RESTART_TIMEOUT_S)
        assert row["last exit"].startswith("failed to start") and str(port) in row["last exit"]
        rows = status_rows(system)
        for name in ("supervisor", "kafka", "emulator", "producer", "spark"):
            assert rows[name]["state"] == "running", rows[name]
        assert system.run("status", timeout_s=60).returncode == 3
    # `up` starts it again, and the supervisor watches it again.
    done = system.up()
    assert "dashboard: started" in done.stderr, done.stderr
    assert status_rows(system)["dashboard"]["state"] == "running"


def _bound(sock: socket.socket, port: int) -> bool:
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    sock.listen()
    return True
