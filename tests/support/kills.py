"""What the kill tests share: random moments from a seed that is new each run and printed (so
that a failure replays), and how many kills a run makes (a lean number in ``make test``, the
long one in ``make soak``)."""

from __future__ import annotations

import os
import random

import pytest

__all__ = ["SEED_VARIABLE", "kill_rounds", "seeded_random"]

SEED_VARIABLE = "TUNESTREAM_TEST_SEED"


def seeded_random() -> random.Random:
    """A generator seeded from ``TUNESTREAM_TEST_SEED`` when set, else from ``os.urandom``; the
    seed is printed (pytest shows it with a failure's output) as the setting that replays it."""
    pinned = os.environ.get(SEED_VARIABLE)
    seed = int(pinned) if pinned else int.from_bytes(os.urandom(4), "big")
    print(f"random moments from {SEED_VARIABLE}={seed}")
    return random.Random(seed)


def kill_rounds(lean: int, soak: int) -> pytest.MarkDecorator:
    """Parametrizes a test's ``rounds``: ``lean`` (run by ``make test``) and ``soak`` (marked
    soak: run by ``make soak``)."""
    return pytest.mark.parametrize(
        "rounds",
        [pytest.param(lean, id="lean"), pytest.param(soak, id="soak", marks=pytest.mark.soak)],
    )
