"""The read-only web dashboard: ``tunestream dashboard`` (started by ``tunestream up``)."""

from tunestream.dashboard.app import create_app
from tunestream.dashboard.server import serve

__all__ = ["create_app", "serve"]
