"""Tables of refunds after the sale (S11, G11): the policy that opens refunds for an event or a
session, and customers' refund requests with the tickets they cover."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# Why refunds were opened: the organiser postponed or cancelled, or another approved reason.
OpenedBecause = Literal["postponed", "cancelled", "approved"]
# requested → (approved →) [awaiting_return →] refunding → done; requested → rejected.
RequestStatus = Literal[
    "requested", "awaiting_return", "refunding", "done", "rejected", "withdrawn"
]
LIVE_REQUEST: tuple[RequestStatus, ...] = ("requested", "awaiting_return", "refunding")


class RefundPolicy(Base):
    """When and on which terms an event's or a session's tickets may be refunded. Normally
    there is none (no refunds after the sale); an operator opens one, for the orders paid up to
    ``paid_before``. ``target`` (``event:3``, ``session:12``) is unique: opening again changes
    the terms, closing sets ``closed_at``. A session's own policy wins over its event's."""

    __tablename__ = "refund_policy"
    __table_args__ = (
        CheckConstraint("(event_id IS NULL) <> (session_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    target: Mapped[str] = mapped_column(String(30), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), default=None)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id"), default=None)
    reason: Mapped[str] = mapped_column(String(12))  # OpenedBecause
    note: Mapped[str] = mapped_column(String(200), default="")
    paid_before: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    fee_fixed: Mapped[int] = mapped_column(default=0)  # per ticket, minor units
    fee_percent_bp: Mapped[int] = mapped_column(default=0)  # of the ticket's price
    # [[hours before the session, basis points], …]: the nearest tier at or above the time
    # left applies instead of ``fee_percent_bp`` (fees rise as the session nears).
    fee_tiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    approval_required: Mapped[bool] = mapped_column(default=True)
    # Exchanges to another session or seat of the same event while the policy is open, for a
    # fixed fee per ticket (``sales.exchanges``).
    exchanges: Mapped[bool] = mapped_column(default=True)
    exchange_fee_fixed: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RefundRequest(Base):
    """A buyer's (or an operator's, for a cancelled session) request to refund some or all
    tickets of one order. ``amount`` is the tickets' price, ``fee`` what the policy keeps,
    ``refund`` what goes back (through ``refund_number``, a payment refund)."""

    __tablename__ = "refund_request"
    __table_args__ = (Index("ix_refund_request_status", "status", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    buyer: Mapped[str] = mapped_column(String(80), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("refund_policy.id"))
    status: Mapped[str] = mapped_column(String(16), default="requested")  # RequestStatus
    tickets: Mapped[int]
    amount: Mapped[int]
    fee: Mapped[int]
    refund: Mapped[int]
    physical: Mapped[bool] = mapped_column(default=False)  # printed: mailed back first
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    decision_note: Mapped[str | None] = mapped_column(String(200), default=None)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    returned_by: Mapped[str | None] = mapped_column(String(120), default=None)
    refund_number: Mapped[str | None] = mapped_column(String(32), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RefundRequestRefund(Base):
    """A payment refund a request's money went back by: one per payment drawn on (an order an
    exchange made was paid by more than one, ``aftersale.money_back``). The request is done
    when all of them are."""

    __tablename__ = "refund_request_refund"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("refund_request.id"), index=True)
    refund_number: Mapped[str] = mapped_column(String(32), unique=True)


class RefundRequestTicket(Base):
    """One ticket of a request. ``live_ticket_id`` is the ticket's id while the request is
    live or done and empty once it is rejected or withdrawn: unique, so the database itself
    refuses a second live request for the same ticket, however the requests race."""

    __tablename__ = "refund_request_ticket"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("refund_request.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    live_ticket_id: Mapped[int | None] = mapped_column(unique=True, default=None)
    amount: Mapped[int]
    fee: Mapped[int]


ExchangeStatus = Literal["pending_payment", "done", "expired"]


class Exchange(Base):
    """Tickets of one order changed for new ones of the same event (G11): a new order whose
    ``credit`` is the old tickets' value less the fee. ``due`` is what the buyer pays on top
    (through the new order's payment), ``back`` what goes back through the old payment. Done
    when the new order is paid: the old tickets are voided in that transaction."""

    __tablename__ = "sales_exchange"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    old_order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    new_order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), unique=True)
    buyer: Mapped[str] = mapped_column(String(80), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("refund_policy.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending_payment")
    tickets: Mapped[int]
    old_amount: Mapped[int]
    fee: Mapped[int]
    new_amount: Mapped[int]
    due: Mapped[int]
    back: Mapped[int]
    refund_number: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ExchangeTicket(Base):
    """An old ticket an exchange gives up."""

    __tablename__ = "sales_exchange_ticket"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("sales_exchange.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
