"""Tables of the accounts slice: staff and their grants, customers and their delivery
addresses, tokens, security policy, login failures, API clients and their access log.
Real-name identities: identity_models.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.crypto import encrypted_columns
from admit.core.db import Base, BigIntKey, UTCDateTime


@encrypted_columns("phone_enc")
class StaffUser(Base):
    """A staff account. The phone (where an operator's password reset is sent) is encrypted:
    nothing finds staff by phone, so it has no lookup hash (``staff.phone_of`` reads it)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    locked_by_operator: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffGrant(Base):
    """One role for one staff member, globally or within one organiser, venue, channel, outlet."""

    __tablename__ = "staff_grant"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(20), default="global")
    scope_id: Mapped[str | None] = mapped_column(String(40), default=None)


class StaffToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no live token."""

    __tablename__ = "staff_token"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


@encrypted_columns("phone_enc")
class Customer(Base):
    """A public account (U1, G2): a phone or an email (or both), and where it was opened. The
    phone is encrypted; ``phone_lookup`` (a keyed hash, ``customer_phones.phone_lookup``) finds
    an account by phone without decrypting anything."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_lookup: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    source_channel: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str | None] = mapped_column(String(120), default=None)
    # The outlet (its code) whose counter opened the account: what outlet-scoped clerks reach.
    registered_outlet: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    locked_by_operator: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@encrypted_columns("street_enc", "recipient_enc", "phone_enc")
class CustomerAddress(Base):
    """A customer's delivery address (FE3, API3): the region in clear (what staff and reports
    may see), the street, recipient and phone encrypted (nothing searches by them). At most
    one per account is the default (``addresses``, under the customer's row lock)."""

    __tablename__ = "customer_address"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(30), default=None)
    province: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(6), default=None)
    street_enc: Mapped[str] = mapped_column(Text)
    recipient_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomerToken(Base):
    """A signed-in device of a customer; revoked on logout or when a newer device pushes it out."""

    __tablename__ = "customer_token"
    __table_args__ = (Index("ix_customer_token_live", "customer_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class VerificationCode(Base):
    """A one-time code sent by SMS or email; only its hash is kept, and ``target`` is a keyed
    hash of the phone or email (never the address itself)."""

    __tablename__ = "verification_code"
    __table_args__ = (Index("ix_verification_code_target", "target", "purpose"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    target: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginFailure(Base):
    """A failed login from an address: counted over the cool-down window for IP lockout."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecurityPolicy(Base):
    """SEC1, one row: password strength, rotation, lockout and device limits."""

    __tablename__ = "security_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    min_length: Mapped[int] = mapped_column(default=10)
    min_classes: Mapped[int] = mapped_column(default=3)
    staff_rotation_days: Mapped[int] = mapped_column(default=90)
    customer_rotation_days: Mapped[int] = mapped_column(default=0)
    lockout_threshold: Mapped[int] = mapped_column(default=5)
    lockout_minutes: Mapped[int] = mapped_column(default=15)
    ip_lockout_threshold: Mapped[int] = mapped_column(default=20)
    ip_lockout_minutes: Mapped[int] = mapped_column(default=15)
    max_devices: Mapped[int] = mapped_column(default=3)
    max_holders: Mapped[int] = mapped_column(default=5)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiClient(Base):
    """A partner's key (API6): scopes, a token-bucket rate policy, revocable."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_per_minute: Mapped[int] = mapped_column(default=600)
    burst: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A channel system's key: the sales channel (and outlet) its orders are sold in, set by
    # ``admit.channels.booking_keys`` (codes, not foreign keys: accounts sit below sales).
    channel: Mapped[str | None] = mapped_column(String(20), default=None)
    outlet: Mapped[str | None] = mapped_column(String(40), default=None)


class ApiAccessLog(Base):
    __tablename__ = "api_access_log"
    __table_args__ = (Index("ix_api_access_log_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int]
    latency_ms: Mapped[int]


class ProviderLink(Base):
    """A customer's account at an OpenID Connect provider (G2): the provider's name in the
    settings and its subject (``sub``, the provider's stable, opaque user id). One account per
    subject, one subject per provider and account."""

    __tablename__ = "customer_provider_link"
    __table_args__ = (
        UniqueConstraint("provider", "subject"),
        UniqueConstraint("customer_id", "provider"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
