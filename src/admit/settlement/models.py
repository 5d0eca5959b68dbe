"""Tables of the settlement slice: the agreements with each party (valid over a period of
days), the runs (one per organiser and period) and the shares they settled (one per party and
period, each with the ledger entry that moved it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# Who an agreement is with: the organiser itself (its cadence of settlement), the platform
# (its fee), an agent (an outlet's commission), a printer (a fee per ticket printed at a
# counter pickup), a contract client (a rebate on what its buyers bought).
PartyKind = Literal["organiser", "platform", "agent", "printer", "client"]
# What a share's statement is about besides those: refunds owed to the public (shown, never
# posted: the ledger moves that money when the refund is done).
ShareKind = Literal["organiser", "platform", "agent", "printer", "client", "customer"]
Cadence = Literal["daily", "weekly", "monthly"]
RunTrigger = Literal["manual", "scheduled"]


class SettlementAgreement(Base):
    """Terms with one party of one organiser, valid from ``valid_from`` until the day before
    ``valid_until`` (open-ended when empty). A share is ``percent_bp`` basis points of its base
    (rounded half-even) plus ``per_ticket`` per ticket counted. Agreements of one party never
    overlap (checked when one is made), so a period's terms are never ambiguous."""

    __tablename__ = "settlement_agreement"
    __table_args__ = (Index("ix_settlement_agreement_party", "organiser_id", "kind", "party"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    kind: Mapped[str] = mapped_column(String(12))
    party: Mapped[str] = mapped_column(String(40))  # outlet code, printer code, client id…
    outlet: Mapped[str | None] = mapped_column(String(40), default=None)  # a printer's counter
    percent_bp: Mapped[int] = mapped_column(default=0)
    per_ticket: Mapped[int] = mapped_column(default=0)
    cadence: Mapped[str | None] = mapped_column(String(10), default=None)  # organiser only
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(80))


class SettlementRun(Base):
    """One settlement of one organiser's ``[period_start, period_end)`` (UTC days): unique, and
    no two runs of an organiser overlap, so no captured fen is settled twice."""

    __tablename__ = "settlement_run"
    __table_args__ = (UniqueConstraint("organiser_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # Money in minor units: a quarter of a large organiser's takings passes 2³¹ fen.
    gross: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(80))


class SettlementShare(Base):
    """What one party is owed for one period (its statement): unique per party and period.
    ``entry_ref`` names the ledger entry (kind ``settle``) that moved ``amount`` out of the
    organiser's payable into ``account``; empty when nothing moved (the organiser's own share
    stays in its payable; a zero share; refunds owed to customers)."""

    __tablename__ = "settlement_share"
    __table_args__ = (
        UniqueConstraint("organiser_id", "kind", "party", "period_start"),
        Index("ix_settlement_share_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    kind: Mapped[str] = mapped_column(String(12))
    party: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlement_agreement.id"), default=None
    )
    gross: Mapped[int] = mapped_column(BigInteger)  # captured through this party in the period
    refunded: Mapped[int] = mapped_column(
        BigInteger
    )  # refunded in the period (of sales of any period: carried forward)
    tickets: Mapped[int]  # tickets counted for the fixed fee
    percent_bp: Mapped[int]
    per_ticket: Mapped[int]
    amount: Mapped[int] = mapped_column(
        BigInteger
    )  # what the party is owed (negative: what it owes back)
    account: Mapped[str] = mapped_column(String(80))
    entry_ref: Mapped[str | None] = mapped_column(String(40), default=None)
