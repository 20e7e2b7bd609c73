"""The optional parts of tunestream and what each needs installed.

``pip install tunestream`` runs the producer; the Spark job and ``tunestream query`` need the
``spark`` extra, the dashboard the ``dashboard`` extra, and ``tunestream up`` without Spotify
credentials the emulator (a distribution of its own). A command that lacks one says so in one
line, naming what to install, before it starts anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from tunestream.errors import ConfigError

__all__ = ["DASHBOARD", "EMULATOR", "SPARK", "TABLES", "Requirement"]


@dataclass(frozen=True)
class Requirement:
    """Modules a part imports, and how to install them."""

    modules: tuple[str, ...]
    install: str

    def check(self, what: str) -> None:
        """A :class:`ConfigError` naming the install when a module is not importable."""
        missing = [m for m in self.modules if find_spec(m) is None]
        if missing:
            raise ConfigError(f"{what} needs {', '.join(missing)}, not installed: {self.install}")


# The extras as pyproject.toml's [project.optional-dependencies] declares them.
SPARK = Requirement(
    ("pyspark", "duckdb", "deltalake", "pyarrow"), "pip install 'tunestream[spark]'"
)
TABLES = Requirement(
    ("duckdb", "deltalake", "pyarrow"), "pip install 'tunestream[spark]' (or [dashboard])"
)
"""``tunestream query``: the table readers (tunestream.tables), which both extras bring."""
DASHBOARD = Requirement(
    ("starlette", "uvicorn", "plotly", "duckdb", "deltalake", "pyarrow"),
    "pip install 'tunestream[dashboard]'",
)
EMULATOR = Requirement(
    ("tunestream_emulator",),
    "pip install tunestream-emulator, or set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET",
)
