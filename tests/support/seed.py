"""The random moments of the kill tests: a new seed each run, printed so a failure replays."""

from __future__ import annotations

import os
import random

__all__ = ["SEED_VARIABLE", "seeded_random"]

SEED_VARIABLE = "TUNESTREAM_TEST_SEED"


def seeded_random() -> random.Random:
    """A generator seeded from ``TUNESTREAM_TEST_SEED`` when set, else from ``os.urandom``; the
    seed is printed (pytest shows it with a failure's output) as the setting that replays it."""
    pinned = os.environ.get(SEED_VARIABLE)
    seed = int(pinned) if pinned else int.from_bytes(os.urandom(4), "big")
    print(f"random moments from {SEED_VARIABLE}={seed}")
    return random.Random(seed)
