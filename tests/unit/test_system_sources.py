"""``tunestream up | status`` with several sources: one producer runs them all, the emulator
stands in for the Spotify ones only, ``status`` names each."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest

from tunestream.config import Settings
from tunestream.runtime.metrics import Metrics, Sample, parse_metrics
from tunestream.system import System, stack
from tunestream.system.components import against_emulator, components, uses_emulator
from tunestream.system.process import DetachedProcess, ProcessRecord

pytestmark = pytest.mark.unit

RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "specs" / "releases.yaml"


@pytest.fixture(autouse=True)
def no_spotify_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPOTIFY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET", raising=False)


def two_sources(tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "sources": [
                {"spec": "spotify", "interval_s": 3600},
                {"spec": str(RELEASES), "interval_s": 900},
            ],
            "producer": {"metrics_port": 19464},
            "system": {"emulator": {"interval_s": 30}},
        }
    )


def test_one_producer_runs_every_source_the_emulator_serving_spotifys(tmp_path: Path) -> None:
    settings = two_sources(tmp_path)
    found = {c.name: c for c in components(settings)}
    assert uses_emulator(settings)
    assert list(found) == ["emulator", "producer", "spark", "dashboard"]
    producer = found["producer"]
    assert producer.command == ("produce", "--emulator")
    assert (producer.port, producer.port_key) == (19464, "producer.metrics_port")
    assert producer.env["SPOTIFY_API_URL"] == f"{found['emulator'].url}/v1"


def test_against_the_emulator_only_the_spotify_sources_cycle_faster(tmp_path: Path) -> None:
    fast = against_emulator(two_sources(tmp_path))
    assert [(s.name, s.interval_s) for s in fast.sources] == [
        ("spotify", 30.0),
        ("releases", 900.0),
    ]


def test_without_a_spotify_source_there_is_no_emulator() -> None:
    settings = Settings.model_validate({"sources": [{"spec": str(RELEASES)}]})
    assert not uses_emulator(settings)
    producer = next(c for c in components(settings) if c.name == "producer")
    assert producer.command == ("produce",)
    assert producer.env == {}


def test_status_names_each_source_even_with_the_producer_down(tmp_path: Path) -> None:
    sources = System(two_sources(tmp_path)).sources()
    assert [(s.name, s.last_cycle, s.last_success) for s in sources] == [
        ("spotify", None, None),
        ("releases", None, None),
    ]


def test_status_says_how_each_sources_last_cycle_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = Metrics()
    metrics.last_completed.labels("spotify").set(1)
    metrics.last_success.labels("spotify").set(1_700_000_000)
    metrics.last_completed.labels("releases").set(0)
    asked: list[str] = []

    def scrape(url: str, at: float) -> Sample:
        asked.append(url)
        return parse_metrics(generate_latest(metrics.registry).decode(), at)

    monkeypatch.setattr(stack, "scrape", scrape)
    monkeypatch.setattr(DetachedProcess, "running", lambda self: ProcessRecord(1, 1, []))

    sources = System(two_sources(tmp_path)).sources()

    assert asked == ["http://127.0.0.1:19464/metrics"]
    assert [(s.name, s.last_cycle, s.last_success) for s in sources] == [
        ("spotify", "completed", 1_700_000_000),
        ("releases", "interrupted", None),
    ]
