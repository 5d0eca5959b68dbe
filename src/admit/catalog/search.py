"""Pure text search rules: normalisation and typo-tolerant matching (FE1–FE3). No I/O."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

FUZZY_THRESHOLD = 0.75


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def search_text(name: str, discipline: str, description: str, tags: Iterable[str]) -> str:
    """What an event is found by, stored normalised so a plain substring test can use it."""
    return normalise(" ".join([name, discipline, " ".join(tags), description]))


def tokens(query: str) -> list[str]:
    return [t for t in normalise(query).split(" ") if t]


def _token_score(token: str, words: list[str], text: str) -> float:
    if token in text:
        return 1.0
    best = 0.0
    for word in words:
        best = max(best, SequenceMatcher(None, token, word).ratio())
    return best


def fuzzy_score(query_tokens: list[str], text: str) -> float:
    """How well every token matches somewhere in ``text``: 1.0 for exact substrings, the best
    word similarity otherwise; the weakest token decides."""
    if not query_tokens:
        return 1.0
    words = text.split(" ")
    return min(_token_score(t, words, text) for t in query_tokens)
