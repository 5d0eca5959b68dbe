"""What the storefront says about a session's sale on the website: not yet, on sale, sold
out, ended, or not sold here. Pure: the window's state and the counts are passed in."""

from __future__ import annotations

import enum
from datetime import datetime


class PublicStatus(enum.StrEnum):
    NOT_YET = "not_yet"
    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"
    ENDED = "ended"
    NOT_SOLD_HERE = "not_sold_here"
    CANCELLED = "cancelled"


LABELS = {
    PublicStatus.NOT_YET: "Not on sale yet",
    PublicStatus.ON_SALE: "On sale",
    PublicStatus.SOLD_OUT: "Sold out",
    PublicStatus.ENDED: "Sale ended",
    PublicStatus.NOT_SOLD_HERE: "Not sold online",
    PublicStatus.CANCELLED: "Cancelled",
}


def public_status(
    *,
    window_state: str | None,
    remaining: int,
    session_status: str,
    session_ends_at: datetime,
    now: datetime,
) -> PublicStatus:
    """``window_state`` is the website window's state (``not_yet``/``on_sale``/``ended``/
    ``closed``) or ``None`` without a window; ``remaining`` what the website may still sell."""
    if session_status == "cancelled":
        return PublicStatus.CANCELLED
    if session_status == "ended" or now >= session_ends_at or window_state == "ended":
        return PublicStatus.ENDED
    if window_state is None or window_state == "closed":
        return PublicStatus.NOT_SOLD_HERE
    if window_state == "not_yet":
        return PublicStatus.NOT_YET
    if remaining <= 0:
        return PublicStatus.SOLD_OUT
    return PublicStatus.ON_SALE


def label(status: PublicStatus) -> str:
    return LABELS[status]
