"""The dashboard: one page, redrawn from a small JSON API every ``dashboard.refresh_s`` seconds.

``GET /api/producer``, ``/api/kafka``, ``/api/tables`` and ``/api/components`` (what ``tunestream
status`` tells of each component: running, pid, the supervisor's restarts and last exit) each
answer ``{"state": "ok", …}``,
or ``{"state": "waiting", "waiting_for": "…"}`` while what they show does not exist yet (the
producer not up, Spark not yet written); anything else that fails is ``"unavailable"`` with the
reason, never a 500. Answers are cached for half a refresh, so any number of open pages cost the
same. The producer's metrics are sampled in the background, so the rate history grows while no
page is open. Plotly.js is served from the ``plotly`` package: the page needs no internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tunestream.config import Settings
from tunestream.dashboard import tables
from tunestream.dashboard.checkpoint import read_progress
from tunestream.dashboard.producer import History
from tunestream.dashboard.topics import TopicView
from tunestream.errors import ClusterRefused, ComponentError, TunestreamError
from tunestream.runtime.metrics import scrape
from tunestream.system import System
from tunestream.tables.layout import QUERY_NAME
from tunestream.tables.query import connect, table_names

__all__ = ["Dashboard", "create_app", "plotly_js"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
RELEASES_SHOWN = 12
Panel = dict[str, Any]


def plotly_js() -> Path:
    """The plotly.min.js the ``plotly`` package ships."""
    path = Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise ComponentError(f"{path} is missing: reinstall the plotly package (make setup)")
    return path


def _waiting(what: str) -> Panel:
    return {"state": "waiting", "waiting_for": what}


class _Cached:
    """One panel's latest answer, recomputed (in a worker thread) when older than ``ttl_s``."""

    def __init__(self, compute: Callable[[], Panel], ttl_s: float, name: str) -> None:
        self._compute = compute
        self._ttl_s = ttl_s
        self._name = name
        self._value: Panel | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Panel:
        async with self._lock:
            if self._value is None or time.monotonic() - self._at >= self._ttl_s:
                self._value = await asyncio.to_thread(self._guarded)
                self._at = time.monotonic()
            return self._value

    def _guarded(self) -> Panel:
        try:
            return self._compute()
        except Exception as exc:  # a panel never breaks the page: say why it is empty
            log.warning("%s panel: %s", self._name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return {"state": "unavailable", "reason": reason}


class Dashboard:
    """The data behind the page."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        port = settings.producer.metrics_port
        self.metrics_url = f"http://127.0.0.1:{port}/metrics" if port is not None else None
        self.history = History(settings.dashboard.history_points)
        self.topics = TopicView(settings)
        self.tables_dir = settings.spark.tables_path(settings.data_dir)
        self.checkpoint = settings.spark.checkpoints_path(settings.data_dir) / QUERY_NAME
        self.system = System(settings)
        ttl = settings.dashboard.refresh_s / 2
        self.panels = {
            "producer": _Cached(self.producer, ttl, "producer"),
            "kafka": _Cached(self.kafka, ttl, "kafka"),
            "tables": _Cached(self.tables, ttl, "tables"),
            "components": _Cached(self.components, ttl, "components"),
        }

    # -- the producer --------------------------------------------------------------------------

    def sample(self) -> None:
        """Scrape the producer's metrics once into the history (nothing when it is down)."""
        if self.metrics_url is None:
            return
        try:
            self.history.add(scrape(self.metrics_url, time.time()))
        except httpx.HTTPError:
            pass  # not up (yet, or any more): the panel says so
        except ValueError as exc:  # not the Prometheus text format: someone else's port
            log.warning("%s: not Prometheus metrics (%s)", self.metrics_url, exc)

    async def sample_forever(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.settings.dashboard.refresh_s)

    def producer(self) -> Panel:
        if self.metrics_url is None:
            return _waiting("the producer's metrics, which are off (producer.metrics_port: null)")
        if self.history.latest is None:
            return _waiting(f"the producer's metrics on {self.metrics_url}")
        return {"state": "ok", "metrics_url": self.metrics_url, **self.history.view()}

    # -- Kafka ---------------------------------------------------------------------------------

    def kafka(self) -> Panel:
        progress = read_progress(self.checkpoint)
        latest = self.history.latest
        try:
            rows = self.topics.sizes(progress, latest.records if latest is not None else ())
        except ClusterRefused as exc:  # it answered, and refused us: waiting will not help
            return {"state": "unavailable", "reason": str(exc)}
        except Exception as exc:  # confluent_kafka.KafkaException and timeouts: not up yet
            log.debug("kafka panel: %s", exc)
            return _waiting(f"Kafka at {self.settings.kafka.bootstrap}")
        return {
            "state": "ok",
            "bootstrap": self.settings.kafka.bootstrap,
            "topics": rows,
            "spark": None
            if progress is None
            else {"batch": progress.batch, "committed_at": progress.committed_at},
        }

    # -- the components ------------------------------------------------------------------------

    def components(self) -> Panel:
        return {"state": "ok", "components": [asdict(s) for s in self.system.status()]}

    # -- the tables ----------------------------------------------------------------------------

    def tables(self) -> Panel:
        if "albums" not in table_names(self.tables_dir):
            return _waiting(f"the Spark job to create its tables in {self.tables_dir}")
        try:
            con = connect(self.tables_dir)
        except TunestreamError as exc:
            return _waiting(str(exc))
        with contextlib.closing(con):
            releases = tables.releases(con, RELEASES_SHOWN)
            if not releases:
                return _waiting("the Spark job's first batch")
            distributions = tables.distributions(con)
            trends = tables.trends(con)
            hourly = tables.hourly(con)
            coverage = tables.coverage(con)
        try:
            covers = self.topics.covers({r["album_id"] for r in releases})
        except Exception as exc:  # covers are a nicety: without Kafka, none
            log.debug("covers: %s", exc)
            covers = {}
        for release in releases:
            release["cover"] = covers.get(release["album_id"])
        return {
            "state": "ok",
            "tables_dir": str(self.tables_dir),
            "releases": releases,
            "distributions": distributions,
            "trends": trends,
            "hourly": hourly,
            "coverage": coverage,
            "features": list(tables.FEATURES),
        }


def _json(body: Any) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS),
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def create_app(settings: Settings) -> Starlette:
    dashboard = Dashboard(settings)
    script = plotly_js()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sampler = asyncio.create_task(dashboard.sample_forever())
        try:
            yield
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler

    async def index(request: Request) -> Response:
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        page = page.replace("{{refresh_ms}}", str(round(settings.dashboard.refresh_s * 1000)))
        return Response(page, media_type="text/html; charset=utf-8")

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def plotly(request: Request) -> Response:
        return FileResponse(script, headers={"cache-control": "public, max-age=86400"})

    def panel(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            return _json(await dashboard.panels[name].get())

        return answer

    routes = [
        Route("/", index),
        Route("/api/health", health),
        *(Route(f"/api/{name}", panel(name)) for name in dashboard.panels),
        Route("/vendor/plotly.min.js", plotly),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(GZipMiddleware, minimum_size=1024)],
    )
