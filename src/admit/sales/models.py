"""Tables of the sales slice: channels, outlets, sales windows and their per-level quotas."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime
from admit.core.sliced_counters import CounterSlice, total_of


class Channel(Base):
    """A way people buy (S10): web, mobile, box office, agent, client representative, partner."""

    __tablename__ = "sales_channel"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=True)


class Outlet(Base):
    """A kiosk, an agent's shop, a partner's point of sale: can be switched off on its own."""

    __tablename__ = "sales_outlet"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    channel: Mapped[str] = mapped_column(ForeignKey("sales_channel.code"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id"), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SalesWindow(Base):
    """What one channel may sell of one session, when, and on which terms (S5)."""

    __tablename__ = "sales_window"
    __table_args__ = (UniqueConstraint("session_id", "channel"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    channel: Mapped[str] = mapped_column(ForeignKey("sales_channel.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    per_person_limit: Mapped[int] = mapped_column(default=6)
    payment_minutes: Mapped[int] = mapped_column(default=15)
    real_name_required: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WindowQuotaSlice(CounterSlice, Base):
    """One slice of a window quota's counter (``admit.core.sliced_counters``)."""

    __tablename__ = "sales_window_quota_slice"
    __counter_of__ = "sales_window_quota"


class WindowQuota(Base):
    """How many tickets of one price level the window may sell, split over ``slices`` counter
    rows (``WindowQuotaSlice``) that holds update; ``held`` and ``sold`` are their sums."""

    __tablename__ = "sales_window_quota"
    __table_args__ = (UniqueConstraint("window_id", "price_level_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("sales_window.id", ondelete="CASCADE"))
    price_level_id: Mapped[int] = mapped_column(ForeignKey("price_level.id", ondelete="CASCADE"))
    quota: Mapped[int]
    slices: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    held: Mapped[int] = column_property(total_of(WindowQuotaSlice, "held", id))
    sold: Mapped[int] = column_property(total_of(WindowQuotaSlice, "sold", id))


class Hold(Base):
    """A buyer's time-limited claim on seats and places in one session through one channel;
    it becomes an order when paid in time, or expires and gives everything back."""

    __tablename__ = "sales_hold"
    __table_args__ = (
        Index("ix_sales_hold_due", "status", "expires_at"),
        UniqueConstraint("buyer", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("sales_window.id"))
    buyer: Mapped[str] = mapped_column(String(80))  # "customer:12", "staff:3"
    channel: Mapped[str] = mapped_column(String(20))
    outlet: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(10), default="active")
    quantity: Mapped[int]
    idempotency_key: Mapped[str | None] = mapped_column(String(80), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A pass's hold (``sales.pass_sales``): anchored to the pass's first session, its fixed
    # seat held under this hold in every session the pass covers.
    product_id: Mapped[int | None] = mapped_column(default=None, index=True)


class HoldCount(Base):
    """What a hold took from counters, to give back exactly that on release or expiry."""

    __tablename__ = "sales_hold_count"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("sales_hold.id"), index=True)
    quota_id: Mapped[int | None] = mapped_column(ForeignKey("sales_window_quota.id"), default=None)
    session_ga_id: Mapped[int | None] = mapped_column(ForeignKey("session_ga.id"), default=None)
    slice: Mapped[int] = mapped_column(
        SmallInteger, default=0, server_default="0"
    )  # the counter's slice it took
    quantity: Mapped[int]


class BuyerUsage(Base):
    """A buyer's tickets in one session (held and bought): the per-person limit's counter,
    moved by conditional updates so concurrent holds cannot pass the limit together."""

    __tablename__ = "sales_buyer_usage"
    __table_args__ = (UniqueConstraint("session_id", "buyer"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    buyer: Mapped[str] = mapped_column(String(80))
    held: Mapped[int] = mapped_column(default=0)
    bought: Mapped[int] = mapped_column(default=0)


# An order that was paid, whatever was refunded or exchanged of it since (``refund_requests``,
# ``exchanges``).
SOLD_ORDER = ("paid", "partially_refunded", "refunded", "exchanged")


class Order(Base):
    """A buyer's purchase (S8, G12): made from one hold, priced per ticket, paid within the
    hold's time. pending_payment → paid → (partially_)refunded; → expired | cancelled."""

    __tablename__ = "sales_order"
    __table_args__ = (UniqueConstraint("buyer", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("sales_hold.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    buyer: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    total: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pay_by: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pickup_code: Mapped[str | None] = mapped_column(String(12), unique=True, default=None)
    paid_by: Mapped[str | None] = mapped_column(String(32), default=None)  # payment number
    # An exchange's new order (``sales.exchanges``): the order its tickets came from, and the
    # value carried over from them — its payment is for ``total - credit``.
    exchanged_from: Mapped[int | None] = mapped_column(default=None)
    credit: Mapped[int] = mapped_column(default=0, server_default="0")


class OrderLine(Base):
    """One ticket of an order: a seat or a GA place, its ticket type and price."""

    __tablename__ = "sales_order_line"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    seat_key: Mapped[str | None] = mapped_column(String(60), default=None)
    area_code: Mapped[str | None] = mapped_column(String(20), default=None)
    # None only on a seatless pass's line (``product_id``), which has no price level.
    price_level_id: Mapped[int | None] = mapped_column(ForeignKey("price_level.id"))
    ticket_type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(default=None)  # a pass's line
    holder_identity_id: Mapped[int | None] = mapped_column(ForeignKey("identity.id"), default=None)
    holder_name: Mapped[str | None] = mapped_column(String(80), default=None)  # masked
    holder_key: Mapped[str | None] = mapped_column(String(64), default=None)


class HolderUsage(Base):
    """Tickets one holder's document has in a session (on live orders and sold): the
    per-person limit of real-name windows counts by document, whoever the buyer is."""

    __tablename__ = "sales_holder_usage"
    __table_args__ = (UniqueConstraint("session_id", "holder_key"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    holder_key: Mapped[str] = mapped_column(String(64))
    tickets: Mapped[int] = mapped_column(default=0)


class Pickup(Base):
    """Paid tickets handed over at a counter (G18): once per order, to a person whose document
    the clerk checked (its keyed hash), at an outlet, by a clerk."""

    __tablename__ = "sales_pickup"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), unique=True)
    person_key: Mapped[str] = mapped_column(String(64))
    outlet: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PickupDay(Base):
    """Orders one person collected on one local day: the per-person daily limit counts here,
    raised by one conditional ``UPDATE`` so concurrent counters cannot pass it together."""

    __tablename__ = "sales_pickup_day"

    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = mapped_column(default=0)
