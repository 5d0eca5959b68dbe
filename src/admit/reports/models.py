"""Tables of the reports slice: the daily roll-up. Every closed UTC day, the worker writes each
organiser's figures of that day once per dimension (``report_day_figure``: a row per key), and
who paid that day in which channel (``report_day_buyer``: distinct buyers do not add up
across days, so a period counts them from these rows). ``report_rollup`` holds the last day
rolled up: a report reads the days up to it from the roll-up and the days after it live."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, UTCDateTime


class ReportDayFigure(Base):
    """One organiser's figures of one day for one key of one dimension (``day`` itself has the
    key ``""``): money moved that day, tickets issued that day."""

    __tablename__ = "report_day_figure"

    organiser_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    tickets: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportDayBuyer(Base):
    """A buyer who paid on ``day`` in ``channel``, with what the audience report groups
    buyers by, as they were when the day was rolled up."""

    __tablename__ = "report_day_buyer"

    organiser_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    buyer: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    buyer_kind: Mapped[str] = mapped_column(String(12))
    source: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))


class ReportRollup(Base):
    """The one row saying how far the roll-up has come: every day up to ``through`` is rolled
    up (none yet when empty)."""

    __tablename__ = "report_rollup"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    through: Mapped[date | None] = mapped_column(Date, default=None)
    rolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
