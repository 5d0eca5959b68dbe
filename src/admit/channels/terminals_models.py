"""Tables of outlet terminals (OPS4 preview): each kiosk or outlet terminal's last heartbeat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class OutletTerminal(Base):
    """One terminal of an outlet (a kiosk's till, an agent system's server), known by the
    name it reports under; ``last_seen_at`` moves on every heartbeat."""

    __tablename__ = "channel_outlet_terminal"
    __table_args__ = (UniqueConstraint("outlet", "terminal"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    outlet: Mapped[str] = mapped_column(
        String(40), ForeignKey("sales_outlet.code", ondelete="CASCADE")
    )
    terminal: Mapped[str] = mapped_column(String(60))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(80))  # "staff:3", "api_client:7"
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
