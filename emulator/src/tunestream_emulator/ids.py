"""Spotify-looking ids (22 base62 characters) and ISRCs that encode what they name, reversibly.

An id is a 128-bit block — entity kind, track number, catalog index and a 48-bit check —
enciphered with a 4-round Feistel network keyed by the catalog seed, then written in base62.
So ids look random, are the same for the same seed, and decode back to their entity in O(1)
without any table; a well-formed id that was never issued fails the check and is "unknown".

A track's ISRC (``CC-XXX-YY-NNNNN``: country, registrant, year, designation) writes
``index * 32 + track`` (the index zigzagged to a natural number) in its country, registrant and
designation, after a keyed Feistel permutation of that 35.7-bit space (cycle walking), so ISRCs
too look random and decode without a table; the year is the release's. An ISRC decodes to the
one track that could have it; whether that track exists (and has that year) is the catalog's
to say. Indexes up to ±874 million fit: 139 years of releases at the default rate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

__all__ = ["ID_PATTERN", "ISRC_PATTERN", "EntityRef", "IdCodec", "IsrcCodec", "Kind"]

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


_ISRC_COUNTRIES = ("US", "GB", "DE", "FR", "SE", "QZ", "QM", "NL", "BR", "JP", "KR", "CA")
_ISRC_REGISTRANT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REGISTRANTS = len(_ISRC_REGISTRANT) ** 3
_DESIGNATIONS = 100_000
_ISRC_SPACE = len(_ISRC_COUNTRIES) * _REGISTRANTS * _DESIGNATIONS
_HALF_BITS = 18  # the permutation works on 36 bits, just above the space
_HALF_MASK = (1 << _HALF_BITS) - 1
_TRACK_BITS = 5  # a catalog album has at most 30 tracks
ISRC_PATTERN = re.compile(r"([A-Z]{2})([A-Z0-9]{3})([0-9]{2})([0-9]{5})")


class IsrcCodec:
    """Encodes a track's :class:`EntityRef` and release year to an ISRC and back, for one seed."""

    def __init__(self, seed: int) -> None:
        self._keys = [
            int.from_bytes(hashlib.blake2b(f"isrc:{seed}:{r}".encode(), digest_size=8).digest())
            for r in range(4)
        ]

    def _round(self, r: int, half: int) -> int:
        # splitmix64's finalizer over the keyed half: cheap (a track is rendered often)
        x = (self._keys[r] ^ half) * 0xBF58476D1CE4E5B9 & _MASK64
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
        return (x ^ (x >> 31)) >> (64 - _HALF_BITS)

    def _permute(self, value: int, inverse: bool = False) -> int:
        rounds = range(3, -1, -1) if inverse else range(4)
        while True:  # cycle walking: repeat until the value is back inside the space
            left, right = value >> _HALF_BITS, value & _HALF_MASK
            for r in rounds:
                if inverse:
                    left, right = right ^ self._round(r, left), left
                else:
                    left, right = right, left ^ self._round(r, right)
            value = (left << _HALF_BITS) | right
            if value < _ISRC_SPACE:
                return value

    def encode(self, ref: EntityRef, year: int) -> str:
        """The ISRC of a track (``ref.kind`` is TRACK) released in ``year``."""
        zigzag = ref.index * 2 if ref.index >= 0 else -ref.index * 2 - 1
        value = (zigzag << _TRACK_BITS) | ref.track
        if ref.track >> _TRACK_BITS or value >= _ISRC_SPACE:
            raise ValueError(f"no ISRC for {ref}: beyond the codec's space")
        value = self._permute(value)
        value, country = divmod(value, len(_ISRC_COUNTRIES))
        designation, registrant = divmod(value, _REGISTRANTS)
        chars = []
        for _ in range(3):
            registrant, digit = divmod(registrant, len(_ISRC_REGISTRANT))
            chars.append(_ISRC_REGISTRANT[digit])
        return f"{_ISRC_COUNTRIES[country]}{''.join(chars)}{year % 100:02d}{designation:05d}"

    def decode(self, isrc: str) -> EntityRef | None:
        """The track an ISRC would name (upper case, no hyphens), or None if it is not one this
        codec could issue."""
        match = ISRC_PATTERN.fullmatch(isrc)
        if match is None or match[1] not in _ISRC_COUNTRIES:
            return None
        registrant = 0
        for c in reversed(match[2]):
            registrant = registrant * len(_ISRC_REGISTRANT) + _ISRC_REGISTRANT.index(c)
        value = int(match[4]) * _REGISTRANTS + registrant
        value = value * len(_ISRC_COUNTRIES) + _ISRC_COUNTRIES.index(match[1])
        value = self._permute(value, inverse=True)
        zigzag, track = value >> _TRACK_BITS, value & ((1 << _TRACK_BITS) - 1)
        index = zigzag // 2 if zigzag % 2 == 0 else -(zigzag + 1) // 2
        return EntityRef(Kind.TRACK, index, track)
