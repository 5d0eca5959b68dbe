"""Tables of the sales slice: channels, outlets, sales windows and their per-level quotas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class Channel(Base):
    """A way people buy (S10): web, mobile, box office, agent, client representative, partner."""

    __tablename__ = "sales_channel"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=True)


class Outlet(Base):
    """A kiosk, an agent's shop, a partner's point of sale: can be switched off on its own."""

    __tablename__ = "sales_outlet"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    channel: Mapped[str] = mapped_column(ForeignKey("sales_channel.code"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id"), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesWindow(Base):
    """What one channel may sell of one session, when, and on which terms (S5)."""

    __tablename__ = "sales_window"
    __table_args__ = (UniqueConstraint("session_id", "channel"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    channel: Mapped[str] = mapped_column(ForeignKey("sales_channel.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    per_person_limit: Mapped[int] = mapped_column(default=6)
    payment_minutes: Mapped[int] = mapped_column(default=15)
    real_name_required: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WindowQuota(Base):
    """How many tickets of one price level the window may sell; counters move with holds."""

    __tablename__ = "sales_window_quota"
    __table_args__ = (UniqueConstraint("window_id", "price_level_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("sales_window.id", ondelete="CASCADE"))
    price_level_id: Mapped[int] = mapped_column(ForeignKey("price_level.id", ondelete="CASCADE"))
    quota: Mapped[int]
    held: Mapped[int] = mapped_column(default=0)
    sold: Mapped[int] = mapped_column(default=0)
