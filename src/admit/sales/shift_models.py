"""The counter's shifts (FE2): a clerk opens a shift at their outlet with a float in the
drawer and closes it when they hand over; the till report sums what they took in between."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class CounterShift(Base):
    __tablename__ = "sales_counter_shift"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    staff: Mapped[str] = mapped_column(String(80))  # the username payments record
    outlet: Mapped[str] = mapped_column(String(40))
    opening_float: Mapped[int] = mapped_column(default=0)  # cash in the drawer at the start
    counted_cash: Mapped[int | None] = mapped_column(default=None)  # counted at the close
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The staff id while the shift is open, NULL once closed: unique, so a clerk has at most
    # one open shift however two counters race (NULLs never collide).
    open_for: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
