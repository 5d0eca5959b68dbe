"""Tables of admission at the gate: gates and devices of a venue, a session's validation
policy, its manifest (what devices download), the scans devices upload and where each ticket
stands (inside or not) after replaying them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class Gate(Base):
    """A validation point of a venue: an entrance, a section's door or a lane of either.
    ``parent_id`` makes a lane part of its entrance: a rule naming the entrance covers it."""

    __tablename__ = "gate"
    __table_args__ = (UniqueConstraint("venue_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))  # entrance | section | lane
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("gate.id"), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Device(Base):
    """A scanner (handheld, turnstile, kiosk) registered at a venue. It signs in with its own
    credential ``<key_id>.<secret>``; only the secret's SHA-256 is kept."""

    __tablename__ = "gate_device"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    device_type: Mapped[str] = mapped_column(String(12))  # handheld | turnstile | kiosk
    description: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    port: Mapped[int | None] = mapped_column(default=None)
    communication_id: Mapped[str | None] = mapped_column(String(60), default=None)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gate.id"), default=None)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ValidationPolicy(Base):
    """How one session admits: which gates take which sections, levels and ticket kinds
    (``rules``: a list of ``{gate, sections, levels, kinds}``; none means every gate takes
    every ticket), whether the holder's ID is checked, whether a ticket may re-enter, and
    when admission opens and closes (default: three hours before the start to one hour
    after the end)."""

    __tablename__ = "validation_policy"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    identity_check: Mapped[bool] = mapped_column(default=False)
    reentry: Mapped[bool] = mapped_column(default=False)
    admit_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    admit_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Manifest(Base):
    """A session's manifest header: its version rises whenever a ticket, the policy, the
    gates or the keys change; ``digest`` fingerprints what it was last refreshed from."""

    __tablename__ = "checkin_manifest"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    digest: Mapped[str] = mapped_column(String(64), default="")
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ManifestEntry(Base):
    """One admissible (or revoked) ticket as devices see it. ``version`` is the manifest
    version that last changed it, so a device asks only for what changed since its own."""

    __tablename__ = "checkin_manifest_entry"
    __table_args__ = (
        UniqueConstraint("session_id", "code"),
        Index("ix_checkin_manifest_entry_since", "session_id", "version"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    code: Mapped[str] = mapped_column(String(24))
    seat: Mapped[str] = mapped_column(String(120))
    section: Mapped[str | None] = mapped_column(String(20), default=None)
    level: Mapped[str | None] = mapped_column(String(20), default=None)
    kind: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str | None] = mapped_column(String(80), default=None)  # masked
    id_tail: Mapped[str | None] = mapped_column(String(4), default=None)  # validation.id_tail
    revoked: Mapped[str | None] = mapped_column(String(12), default=None)  # why, or None
    version: Mapped[int]


class Scan(Base):
    """One validation a device made, as it uploaded it (idempotent by ``scan_id``). After
    replay ``standing`` says the admission or exit counts; ``conflict`` marks an admission
    another device's earlier one (by device time) made void."""

    __tablename__ = "checkin_scan"
    __table_args__ = (
        Index("ix_checkin_scan_ticket", "session_id", "code"),
        Index("ix_checkin_scan_conflict", "session_id", "conflict"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(36), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("gate_device.id"), index=True)
    gate_code: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(24), default=None)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    result: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(60), default=None)
    device_time: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(8), default="device")  # device | file
    standing: Mapped[bool] = mapped_column(default=False)
    conflict: Mapped[bool] = mapped_column(default=False)


class Admission(Base):
    """Where one ticket of a session stands after every scan uploaded so far."""

    __tablename__ = "checkin_admission"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    gate_code: Mapped[str | None] = mapped_column(String(20), default=None)
    first_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    inside: Mapped[bool] = mapped_column(default=False)
    entries: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
