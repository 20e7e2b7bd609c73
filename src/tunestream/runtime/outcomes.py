"""What a failed request means for the cycle: the one place that maps errors to decisions.

===========================================  ================  ================================
error (after the client's retries)           outcome           what the caller does
===========================================  ================  ================================
DeclaredOutcome ``missing``                  ``MISSING``       the items are missing; go on
DeclaredOutcome ``dead_letter``              ``DEAD_LETTER``   the items go to the dead-letter
                                                               topic; the cycle goes on
DeclaredOutcome ``step_down``                ``STEP_DOWN``     the plan steps down (plan.py)
AuthError                                    ``RAISE``         commit what is done, end with it
RateLimited (a wait past the ceiling)        ``INTERRUPT``     end the cycle, state saved
HTTP 5xx or 408, timeouts, resets            ``INTERRUPT``     end the cycle, state saved
Forbidden (403)                              ``STEP_DOWN``     the plan steps down (plan.py)
404 to a single-item request                 ``MISSING``       the item is missing; go on
400 to the first page of a list              ``SMALLER_PAGES`` ask for smaller pages if the spec
                                                               has them, else ``DEAD_LETTER``
any other status, a body that stays          ``DEAD_LETTER``   the items go to the dead-letter
malformed                                                      topic; the cycle goes on
===========================================  ================  ================================

A DeclaredOutcome is a response the spec's ``response_actions`` declare ``missing``,
``dead_letter`` or ``step_down``: its outcome is the declared one whatever its status and
whatever the request (a list page declared ``missing`` is missing too).
"""

from __future__ import annotations

from enum import Enum

from tunestream.errors import (
    AuthError,
    DeclaredAction,
    DeclaredOutcome,
    FetchError,
    Forbidden,
    HttpStatusError,
    MalformedBody,
)

__all__ = ["Outcome", "outcome_of"]


class Outcome(Enum):
    MISSING = "missing"
    DEAD_LETTER = "dead letter"
    SMALLER_PAGES = "smaller pages"
    STEP_DOWN = "step down"
    INTERRUPT = "interrupt"
    RAISE = "raise"


_DECLARED: dict[DeclaredAction, Outcome] = {
    "missing": Outcome.MISSING,
    "dead_letter": Outcome.DEAD_LETTER,
    "step_down": Outcome.STEP_DOWN,
}


def outcome_of(
    error: FetchError, *, single_item: bool = False, first_page: bool = False
) -> Outcome:
    """What ``error`` means for the request that raised it: a request for one item by id
    (``single_item``), or for the first page of a list walked from its start (``first_page``)."""
    if isinstance(error, DeclaredOutcome):
        return _DECLARED[error.action]
    if isinstance(error, AuthError):
        return Outcome.RAISE
    if isinstance(error, Forbidden):
        return Outcome.STEP_DOWN
    if isinstance(error, HttpStatusError):
        if error.status >= 500 or error.status == 408:
            return Outcome.INTERRUPT  # a server that kept failing: resume later
        if error.status == 404 and single_item:
            return Outcome.MISSING
        if error.status == 400 and first_page:
            return Outcome.SMALLER_PAGES
        return Outcome.DEAD_LETTER
    if isinstance(error, MalformedBody):
        return Outcome.DEAD_LETTER
    return Outcome.INTERRUPT  # rate limited past the ceiling, timeouts, resets
