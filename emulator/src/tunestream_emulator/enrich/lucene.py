"""The part of MusicBrainz's search syntax (Lucene,
https://musicbrainz.org/doc/MusicBrainz_API/Search) the MusicBrainz stand-in understands:
``isrc:`` terms joined by ``OR``, grouped by parentheses, e.g.
``isrc:USABC2600001 OR (isrc:GBXYZ2600002 OR isrc:"SEAAA2600003")``.

``OR`` and the field name are matched in any case; values are letters and digits, optionally
quoted. Anything else
(another field, ``AND``, a bare word, unbalanced parentheses) is not understood: ``parse``
answers None and the stand-in refuses the query, rather than guess what Lucene would match.
"""

from __future__ import annotations

import re

__all__ = ["parse"]

_TOKEN = re.compile(r'\s*(?:(\()|(\))|isrc:("?)([A-Za-z0-9]+)\3|(OR)(?![A-Za-z0-9:]))', re.I)


def _tokens(query: str) -> list[tuple[str, str]] | None:
    """``("(", "")``, ``(")", "")``, ``("OR", "")`` and ``("isrc", VALUE)`` (upper case), or
    None for anything else."""
    tokens: list[tuple[str, str]] = []
    position, end = 0, len(query.rstrip())
    while position < end:
        match = _TOKEN.match(query, position)
        if match is None:
            return None
        opening, closing, _, value, operator = match.groups()
        if value is not None:
            tokens.append(("isrc", value.upper()))
        else:
            tokens.append((opening or closing or operator.upper(), ""))
        position = match.end()
    return tokens


def parse(query: str) -> list[str] | None:
    """The ISRCs an ``isrc:A OR isrc:B …`` query names, in order, once each; None if the query
    is anything else."""
    tokens = _tokens(query)
    if not tokens:
        return None
    kinds = [kind for kind, _ in tokens] + ["end"]
    isrcs: list[str] = []
    at = 0

    def term() -> bool:
        nonlocal at
        if kinds[at] == "isrc":
            isrcs.append(tokens[at][1])
            at += 1
            return True
        if kinds[at] != "(":
            return False
        at += 1
        if not expression() or kinds[at] != ")":
            return False
        at += 1
        return True

    def expression() -> bool:
        nonlocal at
        if not term():
            return False
        while kinds[at] == "OR":
            at += 1
            if not term():
                return False
        return True

    if not expression() or kinds[at] != "end":
        return None
    return list(dict.fromkeys(isrcs))
