"""Tables of the clients slice: clients, client groups and their members, and the buyers
linked to a client (customer accounts, staff reps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class Client(Base):
    """An organisation seats may be reserved for (INV3)."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClientGroup(Base):
    """Clients reserved for together (a federation, a group of sponsors)."""

    __tablename__ = "client_groups"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClientGroupMember(Base):
    """A client in a group; a client may be in several."""

    __tablename__ = "client_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("client_groups.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ClientCustomer(Base):
    """A public customer account that buys for a client."""

    __tablename__ = "client_customers"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ClientRep(Base):
    """A staff member who represents a client (issue 19: locks its contract quantities and
    seats under a ``client_rep`` grant scoped to the client; holds its reserved seats)."""

    __tablename__ = "client_reps"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ClientManager(Base):
    """A staff member who manages a client's account (issue 19): they import the client's
    ticket holders; a client may have several, a manager several clients."""

    __tablename__ = "client_managers"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
