"""``tunestream produce``: a ``--source`` name the configuration does not have is one line, exit
2, before any spec is loaded or any broker asked; ``--plan`` ends with who supplies what."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tunestream import cli
from tunestream.cli._context import Globals
from tunestream.cli.produce_cmd import _suppliers
from tunestream.config import ProducerSettings, Settings, SourceSettings
from tunestream.runtime.plan import Plan
from tunestream.runtime.service import Producer
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.unit


def test_an_unknown_source_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tunestream.yaml"
    config.write_text(
        "kafka: {bootstrap_servers: '127.0.0.1:1'}\n"
        "sources: [{name: spotify}, {name: spotify-gb, variables: {markets: [GB]}}]\n"
    )
    monkeypatch.setattr(cli, "_globals", Globals())  # settings of no earlier invocation
    monkeypatch.setattr(cli, "add_command_groups", lambda app: None)  # other distributions'
    monkeypatch.setattr(
        sys, "argv", ["tunestream", "-c", str(config), "produce", "--source", "deezer"]
    )

    with pytest.raises(SystemExit) as exited:
        cli.main()

    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "tunestream: error: no source deezer in the configuration (sources: spotify, spotify-gb)"
    ]


def _running(*specs: str) -> list[Producer]:
    settings = Settings(
        sources=[SourceSettings.model_validate({"spec": spec}) for spec in specs],
        producer=ProducerSettings(metrics_port=None),
    )
    environ = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}
    return [
        Producer(settings, source, spec=load_spec(source.spec, environ=environ))
        for source in settings.sources
    ]


def test_the_plans_say_who_supplies_what_and_why_spotify_does_not() -> None:
    running = _running("spotify", "reccobeats", "deezer", "musicbrainz")
    plans = {p.source.name: Plan.initial(p.spec, p.mode, p.skip) for p in running}
    # a full-access app: Spotify's features first, ReccoBeats' where it has none
    assert _suppliers(running, plans) == [
        "audio features: spotify; where it has none: reccobeats",
        "bpm and gain: deezer",
        "MusicBrainz recordings and tags: musicbrainz",
    ]
    plans["spotify"].forbidden(running[0].spec, "audio_features", "HTTP 403")
    plans["spotify"].forbidden(running[0].spec, "audio_features", "HTTP 403")  # batch, single
    assert _suppliers(running, plans)[0] == (
        "audio features: reccobeats (spotify's audio_features: forbidden to these credentials "
        "(HTTP 403))"
    )


def test_without_the_enrichment_sources_spotify_alone_supplies_features() -> None:
    running = _running("spotify")
    plans = {p.source.name: Plan.initial(p.spec, p.mode, p.skip) for p in running}
    assert _suppliers(running, plans) == ["audio features: spotify"]
