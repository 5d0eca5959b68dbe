"""The stateful sales test's model: what each hold, order and payment should come to."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tests.integration.sales.stateful_world import CAPACITY, GA_LEVEL, level_of

from admit.core.errors import AdmitError, InvalidInput
from admit.inventory.claims import SeatsTaken, SoldOut
from admit.sales.checkout import NotPayable
from admit.sales.limits import LimitExceeded
from admit.sales.orders import HoldExpired


@dataclass
class HoldM:
    id: int
    buyer: str
    seats: frozenset[str]
    places: int
    expires_at: datetime
    status: str = "active"  # as the database has it: active (live or lapsed), released, ...

    @property
    def quantity(self) -> int:
        return len(self.seats) + self.places

    def per_level(self) -> Counter[str]:
        wanted = Counter(level_of(s) for s in self.seats)
        if self.places:
            wanted[GA_LEVEL] += self.places
        return wanted


@dataclass
class OrderM:
    number: str
    hold: int
    buyer: str
    total: int
    status: str = "pending_payment"
    paid_by: str | None = None


@dataclass
class PaymentM:
    number: str
    order: str
    pay_url: str


@dataclass
class Model:
    now: datetime
    limit: int = 0
    quotas: dict[str, int] = field(default_factory=dict)
    holds: dict[int, HoldM] = field(default_factory=dict)
    orders: dict[str, OrderM] = field(default_factory=dict)
    order_keys: dict[str, str] = field(default_factory=dict)
    payments: dict[str, PaymentM] = field(default_factory=dict)
    payment_status: dict[str, str] = field(default_factory=dict)  # on the platform
    trade_status: dict[str, str] = field(default_factory=dict)  # at the bank
    cash_paid: int = 0

    def live(self, h: HoldM) -> bool:
        return h.status == "active" and h.expires_at > self.now

    def counting(self, statuses: Iterable[str]) -> list[HoldM]:
        wanted = set(statuses)
        return [h for h in self.holds.values() if h.status in wanted]

    def seat_taken(self, seat: str) -> bool:
        return any(
            seat in h.seats and (h.status == "sold" or self.live(h)) for h in self.holds.values()
        )

    def order_of(self, hold_id: int) -> OrderM | None:
        return next((o for o in self.orders.values() if o.hold == hold_id), None)

    def expect_hold(self, buyer: str, seats: list[str], places: int) -> type[AdmitError] | None:
        """The outcome of a hold, in the order the service checks: quantity, the buyer's
        counter (which counts lapsed holds the sweeper has not ended), seats (a lapsed hold's
        seats can be taken), standing capacity (lapsed holds count), then the quotas (which
        first end the session's lapsed holds when they look used up)."""
        n = len(seats) + places
        if n < 1:
            return InvalidInput
        mine = [h for h in self.counting(("active", "sold")) if h.buyer == buyer]
        if n > self.limit or sum(h.quantity for h in mine) + n > self.limit:
            return LimitExceeded
        if any(self.seat_taken(s) for s in seats):
            return SeatsTaken
        if places and sum(h.places for h in self.counting(("active", "sold"))) + places > CAPACITY:
            return SoldOut
        wanted = HoldM(0, buyer, frozenset(seats), places, self.now).per_level()
        used: Counter[str] = Counter()
        for h in self.holds.values():
            if h.status == "sold" or self.live(h):
                used.update(h.per_level())
        if any(used[level] + k > self.quotas[level] for level, k in wanted.items()):
            return SoldOut
        return None

    def expect_payable(self, order: OrderM) -> type[AdmitError] | None:
        if order.status != "pending_payment":
            return NotPayable
        if self.holds[order.hold].expires_at <= self.now:
            return HoldExpired
        return None

    def end_hold(self, h: HoldM, status: str) -> None:
        """A hold given back (released, expired) or sold, and its order with it."""
        h.status = status
        order = self.order_of(h.id)
        if order is not None and order.status == "pending_payment" and status != "sold":
            order.status = "expired" if status == "expired" else "cancelled"

    def ended(self) -> list[int]:
        """Holds lapsed or ended (sold ones too)."""
        return [h.id for h in self.holds.values() if not self.live(h)]

    def seats_held(self) -> dict[str, int]:
        return {s: h.id for h in self.holds.values() if self.live(h) for s in h.seats}

    def seats_sold(self) -> dict[str, str]:
        out = {}
        for h in self.counting(("sold",)):
            order = self.order_of(h.id)
            assert order is not None, f"hold {h.id} is sold without an order"
            out.update(dict.fromkeys(h.seats, order.number))
        return out


def check_outcome(got: object, wanted: type[AdmitError] | None, what: str) -> None:
    outcome = f"refused ({type(got).__name__}: {got})" if isinstance(got, AdmitError) else "done"
    if wanted is None:
        assert outcome == "done", f"{what}: {outcome}, the model says it goes through"
    else:
        assert type(got) is wanted, f"{what}: {outcome}, the model says {wanted.__name__}"
