"""The ledger's tables: append-only (the database refuses UPDATE and DELETE), every entry's
lines summing to zero, amounts in the currency's minor unit (debits +, credits -)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class LedgerEntry(Base):
    """One money movement (a capture, a refund, cash taken): ``(kind, ref)`` is unique, so a
    movement repeated by a retried job or a repeated notification is posted once."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("kind", "ref"),
        Index("ix_ledger_entry_day", "organiser_id", "at"),
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
