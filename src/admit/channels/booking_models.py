"""Tables of the channel booking API: each channel's rate budget (API2, FE2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, UTCDateTime


class ChannelBudget(Base):
    """How much one channel's systems may ask of the booking API, whichever key asks: calls
    per minute (with a burst) and orders per minute — the throttle when order volume is too
    high. A channel with no row has the defaults of ``channels.booking_limits``."""

    __tablename__ = "channel_budget"

    channel: Mapped[str] = mapped_column(
        String(20), ForeignKey("sales_channel.code", ondelete="CASCADE"), primary_key=True
    )
    calls_per_minute: Mapped[int]
    burst: Mapped[int]
    orders_per_minute: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
