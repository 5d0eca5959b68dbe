"""Shapes of page parameters: ids that fit the database, lenient optional filters.

Path ids are bounded so a huge number is a 4xx page, not a database overflow; query filters
are read as text and checked by hand, so a malformed one is ignored with a note instead of
failing the page."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path

MAX_ID = 2**53  # within BIGINT, and exact in JavaScript
PageId = Annotated[int, Path(ge=1, le=MAX_ID)]


def optional_int(text: str | None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number in [low, high], or ``None`` when absent or malformed."""
    if not text:
        return None
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 16:
        return None
    value = int(stripped)
    return value if low <= value <= high else None


def optional_date(text: str | None) -> date | None:
    """``YYYY-MM-DD`` as a date, or ``None`` when absent or malformed."""
    if not text or len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
