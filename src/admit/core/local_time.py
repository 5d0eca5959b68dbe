"""The time a buyer reads: every time shown to people — pages, PDF tickets, SMS and e-mail —
is the venues' local time in one format, never UTC. Every venue this platform sells is in
China, which keeps one zone all year (no summer time); a venue abroad would need a zone of
its own on the venue (not built: no requirement sells one). Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

VENUE_TIMEZONE = ZoneInfo("Asia/Shanghai")
LONG = "%a %d %b %Y, %H:%M"  # Sat 12 Dec 2026, 19:30 — pages and tickets
SHORT = "%a %d %b %H:%M"  # Sat 12 Dec 19:30 — a short message


def local_time(value: datetime | None, fmt: str = LONG) -> str:
    """A timezone-aware datetime in the venues' zone; "" for ``None``."""
    if value is None:
        return ""
    return value.astimezone(VENUE_TIMEZONE).strftime(fmt)
