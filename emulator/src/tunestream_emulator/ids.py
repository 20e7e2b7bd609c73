"""Spotify-looking ids (22 base62 characters) that encode what they name, reversibly.

An id is a 128-bit block — entity kind, track number, catalog index and a 48-bit check —
enciphered with a 4-round Feistel network keyed by the catalog seed, then written in base62.
So ids look random, are the same for the same seed, and decode back to their entity in O(1)
without any table; a well-formed id that was never issued fails the check and is "unknown".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

__all__ = ["ID_PATTERN", "EntityRef", "IdCodec", "Kind"]

ID_PATTERN = re.compile(r"[0-9A-Za-z]{22}")

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_MASK64 = (1 << 64) - 1
_CHECK = 0x5E0F_7A11_C0DE  # 48 bits
_INDEX_BIAS = 1 << 63


class Kind(IntEnum):
    ALBUM = 1
    TRACK = 2
    ARTIST = 3


@dataclass(frozen=True, slots=True)
class EntityRef:
    """What an id names: a kind, a catalog index and (for tracks) the 0-based track number."""

    kind: Kind
    index: int
    track: int = 0


class IdCodec:
    """Encodes :class:`EntityRef` to ids and back, for one seed."""

    def __init__(self, seed: int) -> None:
        self._keys = [
            hashlib.blake2b(f"{seed}:{r}".encode(), digest_size=16).digest() for r in range(4)
        ]
        self.encode = lru_cache(maxsize=1 << 16)(self._encode)

    def _round(self, r: int, half: int) -> int:
        digest = hashlib.blake2b(half.to_bytes(8, "big"), key=self._keys[r], digest_size=8)
        return int.from_bytes(digest.digest(), "big")

    def _encode(self, ref: EntityRef) -> str:
        block = (
            (int(ref.kind) << 124) | (ref.track << 112) | ((ref.index + _INDEX_BIAS) << 48) | _CHECK
        )
        left, right = block >> 64, block & _MASK64
        for r in range(4):
            left, right = right, left ^ self._round(r, right)
        value = (left << 64) | right
        chars = []
        for _ in range(22):
            value, digit = divmod(value, 62)
            chars.append(_ALPHABET[digit])
        return "".join(reversed(chars))

    def decode(self, spotify_id: str) -> EntityRef | None:
        """The entity an id names, or None for an id this catalog never issued."""
        value = 0
        for c in spotify_id:
            value = value * 62 + _VALUE[c]
        if value >> 128:
            return None
        left, right = value >> 64, value & _MASK64
        for r in reversed(range(4)):
            left, right = right ^ self._round(r, left), left
        block = (left << 64) | right
        if block & ((1 << 48) - 1) != _CHECK:
            return None
        try:
            kind = Kind(block >> 124)
        except ValueError:
            return None
        track = (block >> 112) & 0xFFF
        index = ((block >> 48) & _MASK64) - _INDEX_BIAS
        return EntityRef(kind, index, track)
