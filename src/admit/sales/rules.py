"""Pure rules of sales windows (S5): when a window sells, what a channel may still sell, and
quotas from total × ratio."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import Literal, get_args

# The channels a platform sells through (the ``channel`` table holds one row of each).
ChannelCode = Literal["web", "mobile", "box_office", "agent", "client_rep", "partner"]
CHANNELS: dict[ChannelCode, str] = {
    "web": "Website",
    "mobile": "Mobile app",
    "box_office": "Box office (kiosk)",
    "agent": "Agent outlet",
    "client_rep": "Client representative",
    "partner": "Partner API",
}
assert tuple(CHANNELS) == get_args(ChannelCode), "a channel without a name, or a name without one"


class SaleState(enum.StrEnum):
    NOT_YET = "not_yet"
    ON_SALE = "on_sale"
    ENDED = "ended"
    CLOSED = "closed"  # switched off: the window, its channel or the outlet


def sale_state(
    *, starts_at: datetime, ends_at: datetime, enabled: bool, now: datetime
) -> SaleState:
    if not enabled:
        return SaleState.CLOSED
    if now < starts_at:
        return SaleState.NOT_YET
    if now >= ends_at:
        return SaleState.ENDED
    return SaleState.ON_SALE


def quota_from_ratio(total: int, ratio: Fraction) -> int:
    """The quota tool of S5: a share of a total, rounded down to whole tickets."""
    if total < 0 or not 0 <= ratio <= 1:
        raise ValueError("a total of zero or more and a ratio between 0 and 1")
    return int(total * ratio)


def channel_left(free: Mapping[int | None, int], quota_left: Mapping[int, int]) -> dict[int, int]:
    """What one channel may still sell at each price level (by level id): the level's free
    seats and places, no more than the window's quota left (quota − held − sold). A window
    sells only the levels it has a quota for (a hold at any other is refused), so those are
    the keys; a channel without a window sells nothing."""
    return {level: max(0, min(free.get(level, 0), left)) for level, left in quota_left.items()}
