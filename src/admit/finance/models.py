"""The ledger's tables: append-only (the database refuses UPDATE and DELETE), every entry's
lines summing to zero, amounts in the currency's minor unit (debits +, credits -); and the
reconciliation of a counterparty's day (a cinema's report, a gateway's statement) with the
platform's records: its runs and the exceptions they found."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# The states of a reconciliation run and of an exception it found (``finance.reconciliation``);
# where a run's other side came from: fetched from the counterparty, or uploaded by an operator.
RunStatus = Literal["queued", "done"]
ExceptionStatus = Literal["open", "resolved", "cleared"]
RunSource = Literal["fetched", "uploaded"]


class LedgerEntry(Base):
    """One money movement (a capture, a refund, cash taken): ``(kind, ref)`` is unique, so a
    movement repeated by a retried job or a repeated notification is posted once."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("kind", "ref"),
        Index("ix_ledger_entry_day", "organiser_id", "at"),
        Index("ix_ledger_entry_at", "at"),  # a gateway's day across organisers (reconciliation)
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(40))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(200), default="")


class LedgerLine(Base):
    __tablename__ = "ledger_line"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), index=True)
    account: Mapped[str] = mapped_column(String(80), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class ReconRun(Base):
    """One comparison of a counterparty's day with the platform's records. ``counterparty`` is
    ``cinema:<id>`` or ``gateway:<name>``; the day (UTC) is reconciled when no exception of it
    is open. ``partner_total`` is the other side's total (money in minus refunds)."""

    __tablename__ = "recon_run"
    __table_args__ = (UniqueConstraint("counterparty", "day"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    counterparty: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="done")
    source: Mapped[str] = mapped_column(String(10), default="fetched")
    lines: Mapped[int] = mapped_column(default=0)  # the other side's lines
    matched: Mapped[int] = mapped_column(default=0)
    platform_total: Mapped[int] = mapped_column(BigInteger, default=0)
    partner_total: Mapped[int] = mapped_column(BigInteger, default=0)
    open_exceptions: Mapped[int] = mapped_column(default=0)


class ReconException(Base):
    """A difference found by reconciliation (A2, A3): open until an operator resolves it with
    a note (and, for a gateway, possibly a correcting ledger entry ``recon_adjust`` / its id);
    one that a later run no longer finds is marked cleared. ``line_kind`` is the record's
    direction (``sale``, ``pay``, ``refund``); amounts are never negative."""

    __tablename__ = "recon_exception"
    __table_args__ = (
        UniqueConstraint("counterparty", "day", "ref", "kind"),
        Index("ix_recon_exception_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("recon_run.id"), index=True)
    counterparty: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date)
    ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    line_kind: Mapped[str] = mapped_column(String(10), default="sale")
    platform_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    partner_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(120), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    adjustment: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
