"""Before anything runs, each panel of the dashboard says what it waits for: no error, no 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.net import free_port
from tunestream.config import Settings
from tunestream.dashboard import create_app

pytestmark = pytest.mark.integration


def test_every_panel_waits_for_what_is_missing(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "kafka": {"bootstrap_servers": f"127.0.0.1:{free_port()}"},
            "source": {"metrics_port": free_port()},
        }
    )

    async def ask(*paths: str) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
            return [await client.get(path) for path in paths]

    page, *panels = asyncio.run(ask("/", "/api/producer", "/api/kafka", "/api/tables"))
    answers = dict(zip(("producer", "kafka", "tables"), panels, strict=True))

    assert {panel: r.status_code for panel, r in answers.items()} == dict.fromkeys(answers, 200)
    waiting = {panel: r.json() for panel, r in answers.items()}
    assert waiting["producer"] == {
        "state": "waiting",
        "waiting_for": f"the producer's metrics on http://127.0.0.1:{settings.producer.metrics_port}/metrics",
    }
    assert waiting["kafka"] == {
        "state": "waiting",
        "waiting_for": f"Kafka at {settings.kafka.bootstrap}",
    }
    assert waiting["tables"] == {
        "state": "waiting",
        "waiting_for": f"the Spark job to create its tables in {tmp_path.absolute() / 'tables'}",
    }
    assert page.status_code == 200
