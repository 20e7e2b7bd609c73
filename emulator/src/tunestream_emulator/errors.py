"""The emulator's errors: a root of its own (the emulator knows nothing of tunestream).

EmulatorError            the emulator could not start or was configured wrongly  (exit 2)
├── ApiError             a Web API answer other than 200, raised inside a handler and
│                        turned into Spotify's error body by the server
└── TokenError           a refused ``POST /api/token``, answered the same way

An answer (404, 429 …) is what a client of the emulator sees, not a failure of the emulator:
the server turns ApiError and TokenError into responses and never lets them out.
"""

from __future__ import annotations

__all__ = ["ApiError", "EmulatorError", "TokenError"]


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
