"""Tables of contract selling (issue 19, item 2): the contract total and each client's quota
per session × price level, offline payments, locks (a quantity, then its seats), and the
holders an account manager imports for a client.

``locked`` on both quota tables only grows by conditional ``UPDATE … WHERE locked + n <=
quota``; the check constraints are the safety net behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.crypto import encrypted_columns
from admit.core.db import Base, BigIntKey, UTCDateTime


class ContractTotalQuota(Base):
    """What all contract clients together may lock of one session's price level."""

    __tablename__ = "contract_total_quota"
    __table_args__ = (
        CheckConstraint("locked >= 0 AND locked <= quota", name="contract_total_within"),
    )

    price_level_id: Mapped[int] = mapped_column(
        ForeignKey("price_level.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    quota: Mapped[int]
    locked: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractClientQuota(Base):
    """What one client may lock of one session's price level (the clients' quotas need not
    add up to the total: the total is checked as well)."""

    __tablename__ = "contract_client_quota"
    __table_args__ = (
        CheckConstraint("locked >= 0 AND locked <= quota", name="contract_client_within"),
        Index("ix_contract_client_quota_session", "session_id"),
    )

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    price_level_id: Mapped[int] = mapped_column(
        ForeignKey("price_level.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    quota: Mapped[int]
    locked: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractPayment(Base):
    """Money a client paid outside any gateway (a bank transfer), recorded by a rep with the
    client's reference; a reference is recorded once per client."""

    __tablename__ = "contract_payment"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(80))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractLock(Base):
    """A quantity a rep locked for a client (seats reserved for the client, taken from its
    quota, the contract total and the session's free seats), ``seated`` of them turned into
    named seats, collected once every holder is verified."""

    __tablename__ = "contract_lock"
    __table_args__ = (
        CheckConstraint("seated >= 0 AND seated <= quantity", name="contract_lock_seated"),
        Index("ix_contract_lock_client", "client_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    price_level_id: Mapped[int] = mapped_column(ForeignKey("price_level.id"))
    quantity: Mapped[int]
    seated: Mapped[int] = mapped_column(default=0)
    rep_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    collected_by: Mapped[int | None] = mapped_column(default=None)


class ContractLockSeat(Base):
    """A seat of a lock (a seat is in one lock at most) and the holder matched to it."""

    __tablename__ = "contract_lock_seat"
    __table_args__ = (UniqueConstraint("lock_id", "holder_id"),)

    session_seat_id: Mapped[int] = mapped_column(
        ForeignKey("session_seat.id", ondelete="CASCADE"), primary_key=True
    )
    lock_id: Mapped[int] = mapped_column(
        ForeignKey("contract_lock.id", ondelete="CASCADE"), index=True
    )
    seat_key: Mapped[str] = mapped_column(String(80))
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_holder.id"), default=None, index=True
    )


@encrypted_columns("claimed_name_enc")
class ContractHolder(Base):
    """A person a client buys tickets for, imported by its account manager: the document is an
    ``identity`` (filed once, verified online or by review, RN4) and the name given here must
    be the verified one for the holder to count as verified."""

    __tablename__ = "contract_holder"
    __table_args__ = (UniqueConstraint("client_id", "identity_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identity.id"), index=True)
    claimed_name_lookup: Mapped[str] = mapped_column(String(64))
    claimed_name_enc: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
