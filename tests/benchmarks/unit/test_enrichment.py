"""The enrichment bench's pure parts: the one-id baselines' specs, the stand-ins' counts, a run's
rates, when a backlog's tracks expire, and the report's tables and sentences."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tunestream.spec.loader import load_spec
from tunestream.spec.models import LookupResource, TopicResource
from tunestream_benchmarks.enrichment import (
    EnrichmentOptions,
    EnrichmentResult,
    Run,
    baseline_spec,
    stand_in_counts,
)
from tunestream_benchmarks.enrichment_report import expires_after_days, report

pytestmark = pytest.mark.unit

SOURCES = Path(__file__).resolve().parents[3] / "src" / "tunestream" / "sources"
ENVIRON = {"MUSICBRAINZ_CONTACT": "bench@example.org"}


@pytest.mark.parametrize(
    ("spec", "lookup"), [("reccobeats", "audio_features"), ("musicbrainz", "recordings")]
)
def test_the_baseline_asks_one_id_a_request_and_reads_a_few_tracks(
    tmp_path: Path, spec: str, lookup: str
) -> None:
    shipped = yaml.safe_load((SOURCES / f"{spec}.yaml").read_text())
    untouched = copy.deepcopy(shipped)
    baseline = baseline_spec(shipped, 150)
    assert shipped == untouched
    assert baseline["resources"][lookup]["batch"]["max"] == 1
    assert baseline["resources"]["spotify_tracks"] == {
        "kind": "topic",
        "topic": "tracks",
        "max_records": 150,
    }
    rest = {k: v for k, v in baseline["resources"][lookup]["batch"].items() if k != "max"}
    assert rest == {k: v for k, v in untouched["resources"][lookup]["batch"].items() if k != "max"}
    assert baseline["client"] == untouched["client"]

    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(baseline))
    loaded = load_spec(str(path), environ=ENVIRON)
    resource, root = loaded.resources[lookup], loaded.resources["spotify_tracks"]
    assert isinstance(resource, LookupResource) and resource.batch is not None
    assert resource.batch.max == 1
    assert isinstance(root, TopicResource) and root.max_records == 150


def test_requests_and_refusals_are_the_stand_ins_counts_after_less_before() -> None:
    before = {
        "reccobeats": {"statuses": {"200": 10, "429": 2}, "rate_limited": 2},
        "deezer": {"answers": {"200": 40, "error 800": 2}, "quota_exceeded": 0},
        "musicbrainz": {"statuses": {"200": 5}, "rate_limited": 0, "user_agent_refused": 0},
    }
    after = {
        "reccobeats": {"statuses": {"200": 35, "429": 3}, "rate_limited": 3},
        "deezer": {"answers": {"200": 90, "error 800": 5, "error 4": 4}, "quota_exceeded": 4},
        "musicbrainz": {
            "statuses": {"200": 45, "503": 2},
            "rate_limited": 2,
            "user_agent_refused": 0,
        },
    }
    assert stand_in_counts("reccobeats", before, after) == (26, 1)
    assert stand_in_counts("deezer", before, after) == (57, 4)
    assert stand_in_counts("musicbrainz", before, after) == (42, 2)


def test_a_run_s_rates_and_whether_it_keeps_up() -> None:
    deezer = Run("deezer", "shipped", 1_000, 1_000, 0, 950, 125.0)
    assert (deezer.per_track, deezer.tracks_per_s, deezer.per_day) == (1.0, 8.0, 691_200)
    assert deezer.keeps_up(100_000) and not deezer.keeps_up(1_000_000)


def test_tracks_expire_unread_when_the_oldest_unread_one_is_as_old_as_the_retention() -> None:
    # after 17.5 days 17.5 M tracks arrived, 10.5 M were read: the oldest unread arrived on day
    # 10.5, 7 days before
    assert expires_after_days(1_000_000, 600_000, 7) == 17.5


def _table(text: str, header: str) -> list[str]:
    """The rows of the table whose header starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _result() -> EnrichmentResult:
    return EnrichmentResult(
        1_000,
        [
            Run("reccobeats", "baseline", 150, 150, 0, 135, 30.0),
            Run("reccobeats", "shipped", 1_000, 25, 0, 900, 8.0),
            Run("deezer", "shipped", 1_000, 1_000, 0, 950, 125.0),
            Run("deezer", "sampled", 1_000, 600, 0, 570, 80.0),
            Run("musicbrainz", "baseline", 150, 152, 2, 120, 160.0),
            Run("musicbrainz", "shipped", 1_000, 40, 0, 800, 50.0),
        ],
        {"reccobeats": 5.0, "deezer": 8.0, "musicbrainz": 0.9},
        10_000,
        7.0,
    )


def test_the_report_gives_each_source_s_capacity_and_the_ratios_to_its_baseline() -> None:
    text = report(_result(), EnrichmentOptions(tracks=1_000, baseline_tracks=150))
    assert text.startswith("## Enrichment capacity\n")
    assert (
        "Command: `tunestream bench enrichment --tracks 1000 --baseline-tracks 150 "
        "--deezer-sample 0.6`" in text
    )
    assert "### Deezer: 8 requests a second against 50 requests per 5 s, then error code 4" in text
    assert (
        "| baseline (`batch.max: 1`) | 150 | 150 | 1.000 | 0 | 135 | 30.0 | 5.00 | 432,000 "
        "| yes | **no** |" in text
    )
    assert (
        "| shipped | 1,000 | 25 | 0.025 | 0 | 900 | 8.0 | 125.00 | 10,800,000 | yes | yes |" in text
    )
    assert (
        "| baseline (`batch.max: 1`) | 150 | 152 | 1.013 | 2 | 120 | 160.0 | 0.94 | 81,000 "
        "| **no** | **no** |" in text
    )
    assert "| ReccoBeats | 0.025 | 25.0 |" in text
    assert "| MusicBrainz | 0.039 | 21.3 |" in text
    assert "| Deezer, sampled (`DEEZER_SAMPLE=0.6`) | 28,800 | 2,500 | 25,000 |" in text
    assert "| MusicBrainz, shipped | 3,240 | 167 | 1,667 |" in text


def test_the_report_says_where_a_backlog_grows_and_what_sampling_and_the_lag_are() -> None:
    text = report(_result(), EnrichmentOptions(tracks=1_000, baseline_tracks=150))
    prose = " ".join(text.split())
    assert _table(text, "| source, variant | tracks a day |") == [
        "| MusicBrainz, baseline (`batch.max: 1`) | 100,000 | 81,000 | 19,000 | 37 |",
        "| ReccoBeats, baseline (`batch.max: 1`) | 1,000,000 | 432,000 | 568,000 | 12 |",
        "| Deezer, shipped | 1,000,000 | 691,200 | 308,800 | 23 |",
        "| MusicBrainz, baseline (`batch.max: 1`) | 1,000,000 | 81,000 | 919,000 | 8 |",
    ]
    assert (
        "it looked up 600 of the 1,000 tracks it read (60%; 570 found, against 950 when all were "
        "looked up) at 12.50 tracks read a second, 1,080,000 a day: it keeps up at 1,000,000 a "
        "day: yes." in prose
    )
    assert "a track waits at most 120 s for a cycle" in prose
    assert "an interval brings 69 tracks, and the topic's 1,000 are 14 minutes of arrivals" in prose
    assert (
        "ReccoBeats 1,000 tracks in 8.0 s, Deezer 1,000 tracks in 125.0 s, MusicBrainz 1,000 "
        "tracks in 50.0 s." in prose
    )
    assert "within 120 s plus less than 125 s (the slowest cycle, Deezer's)." in prose
