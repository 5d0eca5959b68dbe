"""Tables of the messaging slice: every outbound message with its status (M4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.crypto import encrypted_columns
from admit.core.db import Base, BigIntKey, UTCDateTime


@encrypted_columns("to_enc", "params_enc")
class OutboundMessage(Base):
    """One SMS or email. The address and parameters are encrypted (they may carry codes or
    passwords); staff see the masked address, the template and the status."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    to_enc: Mapped[str] = mapped_column(Text)
    to_masked: Mapped[str] = mapped_column(String(80))
    template: Mapped[str] = mapped_column(String(60))
    params_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    provider_id: Mapped[str | None] = mapped_column(String(80), default=None)
    error: Mapped[str | None] = mapped_column(String(400), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
