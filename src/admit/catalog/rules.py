"""What makes a schedule plausible: a session starts between 2000 and ten years from now and
lasts at most sixty days (pure; ``now`` is passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
FURTHEST_AHEAD = timedelta(days=3653)  # ten years, leap days included
LONGEST_SESSION = timedelta(days=60)  # a festival or an exhibition's run, not a season


def schedule_problem(starts_at: datetime, ends_at: datetime, *, now: datetime) -> str | None:
    """Why a session from ``starts_at`` to ``ends_at`` cannot be scheduled, or ``None``."""
    if ends_at <= starts_at:
        return "a session must end after it starts"
    if starts_at < EARLIEST_START:
        return f"a session starts on {EARLIEST_START.date().isoformat()} or later"
    if starts_at > now + FURTHEST_AHEAD:
        return "a session starts at most ten years from now"
    if ends_at - starts_at > LONGEST_SESSION:
        return f"a session lasts at most {LONGEST_SESSION.days} days"
    return None
