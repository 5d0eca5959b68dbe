"""Tables of real-name identities (RN1–RN5, U6): one row per person, linked to customers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.crypto import encrypted_columns
from admit.core.db import Base, BigIntKey, UTCDateTime

# The closed sets the API answers with (enums in the OpenAPI document).
IdentityStatus = Literal["pending", "verified", "rejected"]
IdentityMethod = Literal["online", "offline"]

MISMATCH_OUTCOME = "inconsistent"  # the verifier's answer for a real number under a wrong name


@encrypted_columns("number_enc", "name_enc")
class Identity(Base):
    """A person's document. The number and name are encrypted; ``lookup`` is a keyed hash of
    type and number, so a document is found (and never verified twice, RN4) without
    decrypting anything."""

    __tablename__ = "identity"
    __table_args__ = (Index("ix_identity_status", "status"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(64), unique=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    number_enc: Mapped[str] = mapped_column(Text)
    name_enc: Mapped[str] = mapped_column(Text)
    name_lookup: Mapped[str] = mapped_column(String(64))
    number_masked: Mapped[str] = mapped_column(String(40))
    name_masked: Mapped[str] = mapped_column(String(80))
    nationality: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    visa_expires: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    method: Mapped[str] = mapped_column(String(10))  # online | offline
    reason: Mapped[str | None] = mapped_column(String(400), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(120), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@encrypted_columns("claimed_name_enc", "contact_phone_enc")
class CustomerHolder(Base):
    """A customer's own identity (``is_self``) or a linked holder they buy tickets for, with
    the holder's contact phone (optional, encrypted; nothing searches by it)."""

    def status(self, identity: Identity) -> str:
        """verified only when the identity is verified under the name this customer gave."""
        if identity.status == "verified" and self.claimed_name_lookup != identity.name_lookup:
            return "rejected"
        return identity.status

    def reason(self, identity: Identity) -> str | None:
        """Why the link is rejected: under another name than the verified one, what the
        public-security service answers for that name (online documents) — never a hint that
        the document is known here under another name."""
        if identity.status == "verified" and self.claimed_name_lookup != identity.name_lookup:
            if identity.method == "online":
                return f"public-security check: {MISMATCH_OUTCOME}"
            return "the name does not match the document"
        return identity.reason

    __tablename__ = "customer_holder"
    __table_args__ = (UniqueConstraint("customer_id", "identity_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identity.id"), index=True)
    is_self: Mapped[bool] = mapped_column(default=False)
    # The name this customer gave: the link counts as verified only if it is the verified one.
    claimed_name_lookup: Mapped[str] = mapped_column(String(64))
    claimed_name_enc: Mapped[str] = mapped_column(Text)
    contact_phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
