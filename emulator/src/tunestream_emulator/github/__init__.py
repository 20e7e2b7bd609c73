"""A local stand-in for the parts of the GitHub REST API (api.github.com) and of its token
endpoint (github.com/login/oauth/access_token) that tunestream source specs read (see
docs/EMULATOR.md, "The GitHub stand-in").

Repositories whose issues, pull requests, comments, releases and events change over time from a
seed; pagination by ``link`` header, ``etag`` and conditional requests, personal access tokens
and expiring user tokens refreshed with rotation, primary and secondary rate limits; a ground
truth and deterministic mutations under ``/_admin``. It shares the emulator's clock and server
plumbing and imports nothing of tunestream.
"""

from __future__ import annotations

from tunestream_emulator.github.server import GithubHandle, serve_github, start_github_in_thread
from tunestream_emulator.github.settings import (
    AppSettings,
    GithubSettings,
    LimitSettings,
    TokenSettings,
)

__all__ = [
    "AppSettings",
    "GithubHandle",
    "GithubSettings",
    "LimitSettings",
    "TokenSettings",
    "serve_github",
    "start_github_in_thread",
]
