"""Pure rules of sales windows (S5): when a window sells, and quotas from total × ratio."""

from __future__ import annotations

import enum
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
