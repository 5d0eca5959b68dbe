"""Tables of payments: one row per attempt to pay an order (a gateway trade or cash at a
counter), the notifications gateways sent (verified or not), and refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# The states of a payment (see ``Payment``) and of a refund (see ``Refund``): the one list the
# code writes and the API documents.
PaymentStatus = Literal["created", "pending", "captured", "declined", "closed"]
RefundStatus = Literal["requested", "done"]


# Methods taken in person rather than through a gateway: captured on the spot, with no trade
# to query or close, and refunded by hand at their outlet (``sales.refunds.record_handover``).
# ``offline``: a contract client's bank transfer, recorded by its rep before the tickets are
# collected (``channels.contract_collect``); its "outlet" is ``client:<id>``.
IN_PERSON_METHODS = ("cash", "card", "agent", "offline")


class Payment(Base):
    """``number`` is the merchant order number the gateway knows (unique per merchant, so a
    repeated create returns the same trade). created → pending (trade open) → captured |
    declined | closed; ``refunded`` adds up what went back."""

    __tablename__ = "payment"
    __table_args__ = (
        Index("ix_payment_open", "status", "expires_at"),
        # The daily bill and the reports: an organiser's payments captured in a period, read
        # from the index alone on PostgreSQL (its INCLUDE columns).
        Index(
            "ix_payment_captured",
            "organiser_id",
            "captured_at",
            postgresql_include=["amount", "number", "order_number"],
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_number: Mapped[str] = mapped_column(String(20), index=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    method: Mapped[str] = mapped_column(String(20))  # a gateway name, or IN_PERSON_METHODS
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="created")
    trade_no: Mapped[str | None] = mapped_column(String(64), default=None)
    pay_url: Mapped[str | None] = mapped_column(String(400), default=None)
    # In person: who took it and where (a card terminal's or an agent's reference: trade_no).
    staff: Mapped[str | None] = mapped_column(String(80), default=None)
    outlet: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    refunded: Mapped[int] = mapped_column(default=0)


class PaymentNotice(Base):
    """Notifications that did not verify (forgeries, refused and logged here). Until the
    inbox (``PaymentInbox``), verified ones were logged here too."""

    __tablename__ = "payment_notice"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified: Mapped[bool]
    payment_number: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    notify_id: Mapped[str | None] = mapped_column(String(80), default=None)
    status: Mapped[str | None] = mapped_column(String(12), default=None)
    outcome: Mapped[str] = mapped_column(String(40))
    remote_addr: Mapped[str | None] = mapped_column(String(64), default=None)
    body: Mapped[str] = mapped_column(Text)


class PaymentInbox(Base):
    """A verified notification, recorded when it arrives and settled later in a batch
    (``admit.sales.notice_settler``): the inbox is the queue, so a crash between the two loses
    nothing. One row per trade and status — ``(method, trade_no, status)`` is unique, and the
    same notification delivered again only counts a delivery. Pending while ``settled_at`` is
    empty; ``retry_after`` puts one off after a failure."""

    __tablename__ = "payment_inbox"
    __table_args__ = (
        UniqueConstraint("method", "trade_no", "status"),
        Index("ix_payment_inbox_pending", "settled_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    payment_number: Mapped[str] = mapped_column(String(32), index=True)
    trade_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # paid | declined
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    notify_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deliveries: Mapped[int] = mapped_column(default=1)
    remote_addr: Mapped[str | None] = mapped_column(String(64), default=None)
    body: Mapped[str] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(400), default=None)
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Refund(Base):
    """Money going back for a captured payment: requested in the transaction that decides it,
    sent to the gateway by a job (idempotent by ``number``), done when the gateway agrees."""

    __tablename__ = "payment_refund"
    # The daily bill and the reports: refunds done in a period.
    __table_args__ = (Index("ix_payment_refund_done", "status", "done_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))  # late, duplicate, partner_refused, buyer
    status: Mapped[str] = mapped_column(String(12), default="requested")
    refund_no: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set before each call to the gateway: a job that finds it set does not know whether the
    # last call took effect, and asks the gateway (``refund_query``) before sending again.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Who handed a cash (or card) refund back at the counter: the till of their shift owes it.
    handed_by: Mapped[str | None] = mapped_column(String(80), default=None)
