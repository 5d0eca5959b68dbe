"""Tables of tickets: organisers' signing keys and the tickets issued for paid orders."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# A ticket is valid until its order is voided or refunded (``ticketing.issue.set_status``).
TicketStatus = Literal["valid", "void", "refunded"]


class OrganiserKey(Base):
    """An organiser's Ed25519 key pair: the private half encrypted at rest, the public half
    handed to gates. ``kid`` travels in every QR so a gate knows which key to check with."""

    __tablename__ = "ticket_signing_key"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_key_enc: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Ticket(Base):
    """One admission: a seat or a general-admission place of a paid order. ``code`` is unique
    across the platform; ``qr`` is the signed payload the gate verifies offline."""

    __tablename__ = "ticket"
    # The reports: an organiser's tickets issued in a period, read from the index alone on
    # PostgreSQL (its INCLUDE columns).
    __table_args__ = (
        Index(
            "ix_ticket_issued",
            "organiser_id",
            "issued_at",
            postgresql_include=["session_id", "ticket_type", "order_number"],
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    order_number: Mapped[str] = mapped_column(String(20), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    seat_key: Mapped[str | None] = mapped_column(String(60), default=None)
    area_code: Mapped[str | None] = mapped_column(String(20), default=None)
    label: Mapped[str] = mapped_column(String(120))
    ticket_type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    holder_name: Mapped[str | None] = mapped_column(String(80), default=None)
    holder_key: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(12), default="valid")  # valid, void, refunded
    kid: Mapped[str] = mapped_column(String(16))
    qr: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A pass's ticket: admits once to every session the pass covers (``session_id`` is the
    # first of them); its QR's kind is "P".
    product_id: Mapped[int | None] = mapped_column(default=None, index=True)


class RetiredCode(Base):
    """A code a ticket no longer carries: it was reissued under a new code (a thermal ticket
    reprinted after a print exception). Gates list it as revoked; the ticket row holds the
    one valid code."""

    __tablename__ = "ticket_retired_code"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    reprint: Mapped[int]  # the reprint number the code carried (0: the first printing)
    reason: Mapped[str] = mapped_column(String(40))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime())
