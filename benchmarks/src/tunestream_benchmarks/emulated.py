"""The Spotify emulator in its own process, as the benchmarks start it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec
from tunestream_benchmarks.common import BenchError, free_port, spawn

__all__ = ["CLIENT", "CLOCK", "Emulator", "spotify_environ", "spotify_spec", "start_emulator"]

CLIENT = ("bench-client", "bench-secret")
CLOCK = "2026-11-20T12:00:00Z"
"""The release clock's start in every benchmark: runs see the same catalog."""


@dataclass
class Emulator:
    """An emulator process started for a benchmark."""

    process: subprocess.Popen[bytes]
    base: str

    @property
    def api(self) -> str:
        return f"{self.base}/v1"

    def admin(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.base}/_admin/{path}", params=params, timeout=120)
        response.raise_for_status()
        return response.json()

    def requests(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for endpoint, outcomes in self.admin("requests")["endpoints"].items():
            for outcome, count in outcomes.items():
                counts[f"{endpoint} {outcome}"] += count
        return counts

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_emulator(folder: Path, **settings: Any) -> Emulator:
    """The emulator in its own process with these settings, its search index built."""
    port = free_port()
    values = {
        "seed": 3,
        "clock_start": CLOCK,
        "clients": [{"client_id": CLIENT[0], "client_secret": CLIENT[1]}],
        **settings,
    }
    file = folder / f"emulator-{port}.yaml"
    file.write_text(yaml.safe_dump(values))
    command = [sys.executable, "-m", "tunestream_emulator", "--port", str(port)]
    process = spawn([*command, "--settings", str(file)], port)
    emulator = Emulator(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180
    while emulator.admin("health")["warming_up"]:
        if time.monotonic() > deadline:
            emulator.stop()
            raise BenchError("the emulator's search index was not built within 180 s")
        time.sleep(0.5)
    return emulator


def spotify_environ(emulator: Emulator, client: tuple[str, str] = CLIENT) -> dict[str, str]:
    return {
        "SPOTIFY_API_URL": emulator.api,
        "SPOTIFY_ACCOUNTS_URL": emulator.base,
        "SPOTIFY_CLIENT_ID": client[0],
        "SPOTIFY_CLIENT_SECRET": client[1],
    }


def spotify_spec(
    emulator: Emulator,
    markets: tuple[str, ...] | None,
    client: tuple[str, str] = CLIENT,
    **rate: Any,
) -> SourceSpec:
    """The Spotify spec against the emulator, its request budget changed by ``rate``."""
    variables = {"markets": list(markets)} if markets else None
    spec = load_spec("spotify", variables=variables, environ=spotify_environ(emulator, client))
    budget = spec.client.rate_limit.model_copy(update=rate)
    return spec.model_copy(update={"client": spec.client.model_copy(update={"rate_limit": budget})})
