"""What each failed request means for the cycle: one table."""

from __future__ import annotations

import pytest

from tunestream.errors import (
    AuthError,
    DeclaredAction,
    DeclaredOutcome,
    FetchError,
    Forbidden,
    HttpStatusError,
    MalformedBody,
    QuotaExceeded,
    RateLimited,
)
from tunestream.runtime.outcomes import Outcome, outcome_of

pytestmark = pytest.mark.unit


def status(code: int) -> HttpStatusError:
    return HttpStatusError(f"HTTP {code}", status=code)


def declared(action: DeclaredAction, code: int) -> DeclaredOutcome:
    return DeclaredOutcome(f"HTTP {code}, declared {action}", action=action, status=code)


@pytest.mark.parametrize(
    ("error", "single_item", "first_page", "expected"),
    [
        (AuthError("bad credentials"), False, False, Outcome.RAISE),
        (AuthError("bad credentials"), True, True, Outcome.RAISE),
        (RateLimited("wait", retry_after_s=600), False, False, Outcome.INTERRUPT),
        (QuotaExceeded("quota", retry_after_s=3600), True, False, Outcome.INTERRUPT),
        (FetchError("timed out"), False, False, Outcome.INTERRUPT),
        (status(500), False, False, Outcome.INTERRUPT),
        (status(503), True, True, Outcome.INTERRUPT),
        (status(408), False, False, Outcome.INTERRUPT),
        (Forbidden("HTTP 403", status=403), False, False, Outcome.STEP_DOWN),
        (Forbidden("HTTP 403", status=403), True, True, Outcome.STEP_DOWN),
        (status(404), True, False, Outcome.MISSING),
        (status(404), False, False, Outcome.DEAD_LETTER),
        (status(404), False, True, Outcome.DEAD_LETTER),
        (status(400), False, True, Outcome.SMALLER_PAGES),
        (status(400), False, False, Outcome.DEAD_LETTER),
        (status(400), True, False, Outcome.DEAD_LETTER),
        (status(410), False, False, Outcome.DEAD_LETTER),
        (status(429), False, False, Outcome.DEAD_LETTER),
        (MalformedBody("not JSON"), False, True, Outcome.DEAD_LETTER),
        (MalformedBody("not JSON"), True, False, Outcome.DEAD_LETTER),
        # what response_actions declare, whatever the status and the request
        (declared("missing", 200), False, False, Outcome.MISSING),
        (declared("missing", 400), False, True, Outcome.MISSING),
        (declared("missing", 500), True, False, Outcome.MISSING),
        (declared("dead_letter", 200), True, False, Outcome.DEAD_LETTER),
        (declared("dead_letter", 400), False, True, Outcome.DEAD_LETTER),
        (declared("dead_letter", 503), False, False, Outcome.DEAD_LETTER),
        (declared("step_down", 200), False, False, Outcome.STEP_DOWN),
        (declared("step_down", 404), True, False, Outcome.STEP_DOWN),
    ],
)
def test_outcome_of(
    error: FetchError, single_item: bool, first_page: bool, expected: Outcome
) -> None:
    assert outcome_of(error, single_item=single_item, first_page=first_page) is expected
