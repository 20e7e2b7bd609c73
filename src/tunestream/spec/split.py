"""``split``: a search query whose results pass what the API lets a client page through, split
into narrower queries that together hold all of them (Spotify's search and its 1,000 cap)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Split"]


class Split(BaseModel):
    """Split a query whose results pass what the API lets a client page through.

    Search APIs such as Spotify's match a whole word (``album:love``) or, with a trailing ``*``,
    a word prefix (``album:lo*``). A query reporting more than ``cap`` results is replaced by
    narrower ones that together hold all of its results: first the query with the first
    ``refine`` term for each character of ``alphabet`` (``album:a*`` … ``album:9*``); a prefix
    ``p*`` then splits into the whole word ``p`` plus ``pa*`` … ``p9*``; a whole word, or a
    prefix ``max_prefix`` long, gets the next ``refine`` term. Ids that overlapping queries
    repeat are de-duplicated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    param: Annotated[str, Field(min_length=1)]
    cap: Annotated[int, Field(ge=1)]
    refine: Annotated[list[str], Field(min_length=1)]
    """Terms with a ``{word}`` placeholder, e.g. ``album:{word}``."""
    alphabet: Annotated[str, Field(min_length=2)] = "abcdefghijklmnopqrstuvwxyz0123456789"
    max_prefix: Annotated[int, Field(ge=1)] = 6

    @model_validator(mode="after")
    def _terms_have_word(self) -> Split:
        for term in self.refine:
            if "{word}" not in term:
                raise ValueError(f"refine term {term!r} must contain {{word}}")
        return self

    def narrower(self, terms: list[list[str]]) -> list[list[list[str]]]:
        """The term lists that together cover ``terms`` (pairs of refine term and word)."""
        if terms and terms[-1][1].endswith("*") and len(terms[-1][1]) <= self.max_prefix:
            term, prefix = terms[-1][0], terms[-1][1][:-1]
            return [[*terms[:-1], [term, prefix]]] + [
                [*terms[:-1], [term, f"{prefix}{c}*"]] for c in self.alphabet
            ]
        used = {term for term, _ in terms}
        unused = [term for term in self.refine if term not in used]
        if not unused:
            return []
        return [[*terms, [unused[0], f"{c}*"]] for c in self.alphabet]

    @staticmethod
    def render(terms: list[list[str]]) -> str:
        return " ".join(term.format(word=word) for term, word in terms)
