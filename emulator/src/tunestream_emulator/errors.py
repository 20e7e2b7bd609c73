"""The emulator's errors: a root of its own (the emulator knows nothing of tunestream).

EmulatorError            the emulator could not start or was configured wrongly  (exit 2)
├── ApiError             a Web API answer other than 200, raised inside a handler and
│                        turned into Spotify's error body by the server
├── TokenError           a refused ``POST /api/token``, answered the same way
├── GithubError          a GitHub REST answer other than 200 (the GitHub stand-in)
│   └── RateLimited      a request refused by a primary or secondary rate limit
└── OAuthError           a refused ``POST /login/oauth/access_token`` (the GitHub stand-in)

An answer (404, 429 …) is what a client of the emulator sees, not a failure of the emulator:
the servers turn these into responses and never let them out.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ApiError", "EmulatorError", "GithubError", "OAuthError", "RateLimited", "TokenError"]


class EmulatorError(Exception):
    """Root of the emulator's errors; as such: it could not start or was configured wrongly."""

    exit_code = 2


class ApiError(EmulatorError):
    """An error answer: ``{"error": {"status": .., "message": .., ["reason": ..]}}``."""

    def __init__(
        self, status: int, message: str, reason: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.reason = reason
        self.retry_after = retry_after

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"status": self.status, "message": self.message}
        if self.reason is not None:
            error["reason"] = self.reason
        return {"error": error}


class TokenError(EmulatorError):
    """``{"error": .., ["error_description": ..]}`` of a refused ``POST /api/token``."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.body: dict[str, str] = {"error": error}
        if description is not None:
            self.body["error_description"] = description


class GithubError(EmulatorError):
    """``{"message": .., "documentation_url": .., "status": ".."}``, as api.github.com answers
    (the OpenAPI description's ``basic-error``). ``counted``: whether the request still uses
    rate-limit budget."""

    counted = True

    def __init__(
        self,
        status: int,
        message: str,
        documentation_url: str = "https://docs.github.com/rest",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.retry_after = retry_after

    def body(self) -> dict[str, object]:
        return {
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": str(self.status),
        }


class RateLimited(GithubError):
    """Refused by the primary (hourly) or a secondary limit; refused requests use no budget."""

    counted = False

    def __init__(
        self,
        status: int,
        message: str,
        documentation_url: str,
        limit: Literal["primary", "secondary"],
        retry_after: int | None = None,
    ) -> None:
        super().__init__(status, message, documentation_url, retry_after)
        self.limit = limit


class OAuthError(EmulatorError):
    """``{"error": .., "error_description": .., "error_uri": ..}``: GitHub answers a refused
    token request with HTTP 200 and this body."""

    def __init__(self, error: str, description: str, uri: str) -> None:
        super().__init__(f"{error}: {description}")
        self.body: dict[str, str] = {
            "error": error,
            "error_description": description,
            "error_uri": uri,
        }
