"""What every command shares: the global options and the settings they select."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from tunestream.config import Settings, load_settings

__all__ = ["Globals", "settings_of"]


@dataclass
class Globals:
    config_file: Path | None = None
    debug: bool = False
    _settings: Settings | None = None

    def settings(self) -> Settings:
        """Load and validate the settings once, on first use."""
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings


def settings_of(ctx: typer.Context) -> Settings:
    globals_ = ctx.find_object(Globals)
    assert globals_ is not None, "the root callback always sets Globals"
    return globals_.settings()
