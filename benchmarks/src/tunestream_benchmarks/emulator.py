"""``tunestream bench emulator``: how many requests a second the Spotify emulator serves.

Three processes: the emulator (``tunestream-emulator``, one uvicorn worker), a baseline server
(a one-route Starlette app on the same uvicorn settings) and this one, the load generator: a
raw asyncio HTTP/1.1 keep-alive client (no HTTP library in the way, so it is not the
bottleneck). Each scenario runs for a fixed time after a warm-up; the baseline runs before and
after the emulator scenarios, and each result is also given as a ratio to the baseline's mean,
because the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

import httpx
import orjson
import uvloop
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tunestream_benchmarks.common import BenchError, cpu_model, free_port, spawn

__all__ = ["BenchOptions", "Result", "hello_app", "report", "run"]

_CLIENT = ("bench-client", "bench-secret")
_HELLO = orjson.dumps({"hello": "world"})


async def _hello(request: Request) -> Response:
    return Response(_HELLO, media_type="application/json")


#: The baseline: the least a Starlette app on uvicorn can do per request.
hello_app = Starlette(routes=[Route("/hello", _hello)])


@dataclass(frozen=True)
class BenchOptions:
    duration_s: float = 5.0
    warmup_s: float = 1.0
    connections: int = 32
    min_rps: float = 1000.0


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    failures: int
    seconds: float
    p50_ms: float
    p99_ms: float
    body_bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _request(path: str, token: str | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _connection(
    port: int,
    requests: list[bytes],
    offset: int,
    stop: list[float],
    out: list[tuple[float, int, int]],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.perf_counter() < stop[0]:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out.append((time.perf_counter() - started, int(head[9:12]), length))
    finally:
        writer.close()


async def _load(
    port: int, requests: list[bytes], options: BenchOptions
) -> list[tuple[float, int, int]]:
    stop = [time.perf_counter() + options.warmup_s]
    warm: list[tuple[float, int, int]] = []
    await asyncio.gather(
        *(_connection(port, requests, c * 7, stop, warm) for c in range(options.connections))
    )
    measured: list[tuple[float, int, int]] = []
    stop[0] = time.perf_counter() + options.duration_s
    await asyncio.gather(
        *(_connection(port, requests, c * 7, stop, measured) for c in range(options.connections))
    )
    return measured


def _measure(name: str, port: int, requests: list[bytes], options: BenchOptions) -> Result:
    started = time.perf_counter()
    samples = uvloop.run(_load(port, requests, options))
    seconds = time.perf_counter() - started - options.warmup_s
    latencies = sorted(s[0] for s in samples)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(
        name=name,
        requests=len(samples),
        failures=sum(1 for s in samples if s[1] != 200),
        seconds=min(seconds, options.duration_s + 1),
        p50_ms=quantiles[49] * 1000,
        p99_ms=quantiles[98] * 1000,
        body_bytes=int(statistics.mean(s[2] for s in samples)) if samples else 0,
    )


def _emulator_requests(base: str) -> dict[str, list[bytes]]:
    deadline = time.monotonic() + 120
    while httpx.get(f"{base}/_admin/health").json()["warming_up"]:  # measure a settled server
        if time.monotonic() > deadline:
            raise BenchError("the emulator's search index was not built within 120 s")
        time.sleep(0.2)
    token = httpx.post(
        f"{base}/api/token", data={"grant_type": "client_credentials"}, auth=_CLIENT
    ).json()["access_token"]
    albums = httpx.get(f"{base}/_admin/truth/albums", params={"limit": 400}, timeout=60).json()[
        "items"
    ]
    tracks = [t for a in albums for t in a["track_ids"]][:1000]
    artists = list(dict.fromkeys(a for album in albums for a in album["artist_ids"]))
    return {
        "emulator GET /v1/audio-features/{id}": [
            _request(f"/v1/audio-features/{t}", token) for t in tracks
        ],
        "emulator GET /v1/tracks/{id}": [_request(f"/v1/tracks/{t}", token) for t in tracks],
        "emulator GET /v1/artists/{id}": [_request(f"/v1/artists/{a}", token) for a in artists],
        "emulator GET /v1/search?q=tag:new&limit=50": [
            _request(f"/v1/search?q=tag%3Anew&type=album&limit=50&offset={o}", token)
            for o in range(0, 1000, 50)
        ],
    }


def run(options: BenchOptions) -> list[Result]:
    """Start both servers, measure the baseline, the emulator's scenarios, the baseline again."""
    baseline_port, emulator_port = free_port(), free_port()
    uvicorn_flags = [
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    baseline = spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tunestream_benchmarks.emulator:hello_app",
            "--port",
            str(baseline_port),
            *uvicorn_flags,
        ],
        baseline_port,
    )
    try:
        emulator = spawn(
            [
                sys.executable, "-m", "tunestream_emulator", "--port", str(emulator_port),
                "--rate-limit", "0", "--client", ":".join((*_CLIENT, "extended")),
            ],
            emulator_port,
        )  # fmt: skip
        try:
            hello = [_request("/hello")]
            results = [_measure("baseline GET /hello (before)", baseline_port, hello, options)]
            for name, requests in _emulator_requests(f"http://127.0.0.1:{emulator_port}").items():
                results.append(_measure(name, emulator_port, requests, options))
            results.append(_measure("baseline GET /hello (after)", baseline_port, hello, options))
        finally:
            emulator.terminate()
            emulator.wait(10)
    finally:
        baseline.terminate()
        baseline.wait(10)
    failed = [r.name for r in results if r.failures]
    if failed:
        raise BenchError(f"non-200 answers in {', '.join(failed)}")
    return results


def report(results: list[Result], options: BenchOptions, command: str) -> tuple[str, bool]:
    """The markdown section, and whether small requests reached ``options.min_rps``."""
    baselines = [r.rps for r in results if r.name.startswith("baseline")]
    baseline = statistics.mean(baselines)
    small = [r for r in results if not r.name.startswith("baseline") and "search" not in r.name]
    slowest = min(small, key=lambda r: r.rps)
    ok = slowest.rps >= options.min_rps
    rows = "\n".join(
        f"| {r.name} | {r.requests:,} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
        f"{r.body_bytes:,} | {r.rps / baseline:.2f} |"
        for r in results
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"""## Spotify emulator throughput

Command: `{command}`

Run {now} on {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()},
uvicorn {version("uvicorn")}, Starlette {version("starlette")}. The emulator (default catalog:
100,000 tracks a day, 14-day backlog; rate limit off) and the baseline (a one-route Starlette
app) each run as one uvicorn worker (uvloop + httptools) in their own process; the load
generator is a raw asyncio HTTP/1.1 keep-alive client with {options.connections} connections in
a third process. Each row: {options.warmup_s:g} s warm-up, then {options.duration_s:g} s measured.
"vs baseline" divides by the mean of the two baseline rows ({baseline:,.0f} req/s).

| scenario | requests | req/s | p50 ms | p99 ms | body bytes | vs baseline |
|---|---:|---:|---:|---:|---:|---:|
{rows}

Small requests (the slowest: {slowest.name}, {slowest.rps:,.0f} req/s) are
{"above" if ok else "BELOW"} the {options.min_rps:,.0f} req/s target.
"""
    return body, ok
