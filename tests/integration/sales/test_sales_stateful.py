"""A Hypothesis state machine sells sessions through the real services on a real database
(S5, S8, C2, C6; invariants 1–3): holds of seats and standing places by three buyers,
releases, orders, cancellations, cash payments, bank payments approved or declined at the bank
simulator (their notifications delivered, or lost and found by a query or the closing of the
trade), time passing, and the worker's sweeper and jobs: expiry, late payments honoured or
refunded, refunds sent to the bank. After every step no seat is sold twice and no quota,
standing capacity or per-person limit is passed; every counter agrees with the holds behind
it (``admit.sales.consistency.problems``, plus direct checks) and with the machine's own model.

How it runs. Hypothesis state machines are synchronous; the services and fixtures are async.
The machine runs in a worker thread (``asyncio.to_thread``) while the test's event loop, left
free, runs each step's coroutine for it (``asyncio.run_coroutine_threadsafe``). So the machine
drives the fixtures' own runtime, engine, ASGI app and bank simulator, all bound to that loop,
on the parametrised backend (SQLite and PostgreSQL), strictly one step at a time.

Each example starts from a clean world: a new session of the same small hall (level A: rows
A–B, 6 seats; level B: row C, 2 seats; a standing area of 3) with its own web window, quotas
drawn small enough to bind (A 2–5, B 1–2, standing 2–4), each counter split into one slice per
place (so holds take from different slices and rebalance them), and a per-person limit of 2–5. The
database is shared by the examples, so the global checker's findings are compared with those
present when the example began (there are none unless an earlier example failed).

The model predicts the exact outcome of every hold, order, cancellation and payment: which
refusal (``SeatsTaken``, ``SoldOut``, ``LimitExceeded``, ``HoldExpired``, ``NotPayable``, …) or
success. What it cannot predict — the sweeper, a quota that ends lapsed holds, a late payment
honoured or refunded, a declined payment giving seats back — is read back after each step and
accepted only if allowed (a hold expires only once lapsed, is sold behind the machine's back
only by a payment the bank really took, …). Any other exception fails the example.

Between a late capture and its ``sales.settle_late`` job, the payment is captured without
paying an order or being refunded; ``problems`` reports that, and the per-step check lets it
pass only while that job is pending. When an example ends the machine settles everything —
asks the bank about payments whose notification was lost, lets every hold lapse, runs the
worker dry — and checks that nothing is left held and every payment the bank took paid its
order or came back in full (refund done at the bank)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import Counter
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.catalog.catalog_factories import (
    import_map,
    make_event,
    make_organiser,
    make_venue,
    ok,
    schedule_session,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import customers_with_ids

from admit.catalog.models import GAArea, PriceLevel, Seat
from admit.catalog.seatmap_spec import GAAreaSpec, LevelSpec, SeatMapSpec, SeatSpec, SectionSpec
from admit.core import sliced_counters
from admit.core.clock import FixedClock, as_utc
from admit.core.errors import AdmitError, Conflict, InvalidInput
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import run_once
from admit.inventory.claims import SeatsTaken, SoldOut
from admit.inventory.models import SessionGA, SessionSeat
from admit.payments.models import Payment, Refund
from admit.sales import consistency
from admit.sales.checkout import NotPayable, pay_cash, refresh_payment, start_payment
from admit.sales.holds import HoldRequest, place_hold, release_hold
from admit.sales.limits import LimitExceeded
from admit.sales.models import Hold, Order, OrderLine, SalesWindow, WindowQuota
from admit.sales.orders import HoldExpired, LineInput, cancel_order, place_order
from admit.sales.settlement import LATE_JOB

T = TypeVar("T")
ADMIN = "/api/v1/admin"
ROWS = {"A": 3, "B": 3, "C": 2}  # seats per row
LEVEL_OF_ROW = {"A": "A", "B": "A", "C": "B"}
GA, GA_LEVEL, CAPACITY = "FLOOR", "GA", 3
PRICES = {"A": 8000, "B": 5000, GA_LEVEL: 3000}
POOL = [f"L1-HALL-{row}-{n}" for row, count in ROWS.items() for n in range(1, count + 1)]
PAY_MINUTES = 15
BUYERS = 3
OPEN_PAYMENT = ("created", "pending")
HALL = SeatMapSpec(
    name="Stateful hall",
    levels=(LevelSpec("L1", "Stalls"),),
    sections=(SectionSpec("HALL", "Hall", "L1"),),
    seats=tuple(
        SeatSpec("HALL", row, str(n), float(n), float(y))
        for y, (row, count) in enumerate(ROWS.items())
        for n in range(1, count + 1)
    ),
    ga_areas=(GAAreaSpec(GA, "Standing", CAPACITY, "L1"),),
)
SETTINGS = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def level_of(seat: str) -> str:
    return LEVEL_OF_ROW[seat.split("-")[2]]


# --- The world the examples share: the hall, the buyers, the loop that runs the steps ---------


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    runtime: Runtime
    admin: httpx.AsyncClient
    clock: FixedClock
    bank: Bank
    buyers: list[str]
    venue_id: int
    seat_map_id: int
    event_id: int
    sessions: int = 0

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one step's coroutine on the test's event loop and wait for it (from the
        machine's thread)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=120)


async def make_world(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, bank: Bank
) -> World:
    venue_id = await make_venue(admin, code="HALL", name="Stateful hall")
    seat_map = await import_map(admin, venue_id, HALL)
    event_id = await make_event(admin, await make_organiser(admin), number="EVS")
    buyers = [f"customer:{cid}" for cid, _ in await customers_with_ids(runtime, BUYERS)]
    loop = asyncio.get_running_loop()
    return World(loop, runtime, admin, clock, bank, buyers, venue_id, seat_map["id"], event_id)


async def open_session(world: World, quotas: dict[str, int], limit: int) -> int:
    """A new session of the hall on sale on the web from now, for the rest of the run."""
    world.sessions += 1
    admin, now = world.admin, world.clock.now()
    starts = now + timedelta(days=3650, hours=3 * world.sessions)
    sid = await schedule_session(
        admin,
        event_id=world.event_id,
        venue_id=world.venue_id,
        seat_map_id=world.seat_map_id,
        code=f"S{world.sessions}",
        starts_at=starts,
    )
    levels = [
        {"code": code, "name": f"Level {code}", "prices": {"adult": amount}}
        for code, amount in PRICES.items()
    ]
    ok(await admin.put(f"{ADMIN}/sessions/{sid}/price-levels", json={"levels": levels}))
    for level in ("A", "B"):
        rows = [{"section": "HALL", "row": r} for r, lv in LEVEL_OF_ROW.items() if lv == level]
        answer = await admin.post(
            f"{ADMIN}/sessions/{sid}/plan/price-levels",
            json={"select": {"rows": rows}, "level": level},
        )
        assert answer.status_code < 300, answer.text
    ga = await admin.post(
        f"{ADMIN}/sessions/{sid}/plan/ga-levels", json={"area": GA, "level": GA_LEVEL}
    )
    assert ga.status_code == 204, ga.text
    window = {
        "channel": "web",
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (starts - timedelta(days=1)).isoformat(),
        "per_person_limit": limit,
        "payment_minutes": PAY_MINUTES,
        "quotas": [{"level": code, "quota": n} for code, n in quotas.items()],
    }
    ok(await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=window), 201)
    return sid


async def drain(runtime: Runtime) -> None:
    """The worker until nothing is due: the sweeper, then jobs and the jobs they enqueue."""
    for _ in range(20):
        if await run_once(runtime) == 0:
            return
    raise AssertionError("the worker keeps finding due jobs")


# --- What the database says, read in one transaction after every step -----------------------


class HoldRow(NamedTuple):
    buyer: str
    status: str
    quantity: int
    expires_at: datetime


class OrderRow(NamedTuple):
    id: int
    hold_id: int
    status: str
    paid_by: str | None
    total: int


class SeatRow(NamedTuple):
    status: str
    hold_id: int | None
    order_id: int | None
    hold_expires_at: datetime | None


class Counters(NamedTuple):
    limit: int
    held: int
    sold: int


class PaymentRow(NamedTuple):
    order: str
    method: str
    status: str
    amount: int
    refunded: int


class TradeRow(NamedTuple):
    status: str
    amount: int
    refunded: int


@dataclass
class Snapshot:
    now: datetime
    problems: list[str]
    holds: dict[int, HoldRow]
    orders: dict[str, OrderRow]
    lines: dict[int, list[tuple[str | None, str | None]]]
    seats: dict[str, SeatRow]
    quotas: dict[str, Counters]
    ga: Counters
    payments: dict[str, PaymentRow]
    refunds: dict[str, list[tuple[int, str, str]]]  # amount, status, reason
    failed_jobs: list[str]
    settling: set[str]  # payments captured late whose settle job has not run yet
    trades: dict[str, TradeRow]

    def order_of_hold(self, hold_id: int) -> tuple[str, OrderRow] | None:
        return next(((n, o) for n, o in self.orders.items() if o.hold_id == hold_id), None)


async def snapshot(world: World, sid: int) -> Snapshot:
    async with world.runtime.uow(TEST_ACTOR, readonly=True) as uow:
        snap = Snapshot(
            now=world.clock.now(),
            problems=await consistency.problems(uow),
            holds=await _holds(uow, sid),
            orders=await _orders(uow, sid),
            lines={},
            seats=await _seats(uow, sid),
            quotas=await _quotas(uow, sid),
            ga=await _ga(uow, sid),
            payments={},
            refunds={},
            failed_jobs=[],
            settling=set(),
            trades={},
        )
        await _money(uow, snap)
        await _jobs(uow, snap)
    snap.trades = {
        t["out_trade_no"]: TradeRow(t["status"], t["amount"], t["refunded"])
        for t in await world.bank.trades()
        if t["out_trade_no"] in snap.payments
    }
    return snap


async def _holds(uow: UnitOfWork, sid: int) -> dict[int, HoldRow]:
    rows = await uow.session.execute(
        select(Hold.id, Hold.buyer, Hold.status, Hold.quantity, Hold.expires_at).where(
            Hold.session_id == sid
        )
    )
    return {hid: HoldRow(b, s, q, as_utc(e)) for hid, b, s, q, e in rows}


async def _orders(uow: UnitOfWork, sid: int) -> dict[str, OrderRow]:
    rows = await uow.session.execute(
        select(
            Order.number, Order.id, Order.hold_id, Order.status, Order.paid_by, Order.total
        ).where(Order.session_id == sid)
    )
    return {n: OrderRow(i, h, s, p, t) for n, i, h, s, p, t in rows}


async def _seats(uow: UnitOfWork, sid: int) -> dict[str, SeatRow]:
    rows = await uow.session.execute(
        select(
            Seat.key,
            SessionSeat.status,
            SessionSeat.hold_id,
            SessionSeat.order_id,
            SessionSeat.hold_expires_at,
        )
        .join(Seat, Seat.id == SessionSeat.seat_id)
        .where(SessionSeat.session_id == sid)
    )
    return {k: SeatRow(s, h, o, as_utc(e) if e else None) for k, s, h, o, e in rows}


async def _quotas(uow: UnitOfWork, sid: int) -> dict[str, Counters]:
    rows = await uow.session.execute(
        select(PriceLevel.code, WindowQuota.quota, WindowQuota.held, WindowQuota.sold)
        .join(PriceLevel, PriceLevel.id == WindowQuota.price_level_id)
        .join(SalesWindow, SalesWindow.id == WindowQuota.window_id)
        .where(SalesWindow.session_id == sid)
    )
    return {code: Counters(q, h, s) for code, q, h, s in rows}


async def _ga(uow: UnitOfWork, sid: int) -> Counters:
    row = (
        await uow.session.execute(
            select(SessionGA.capacity, SessionGA.held, SessionGA.sold)
            .join(GAArea, GAArea.id == SessionGA.ga_area_id)
            .where(SessionGA.session_id == sid, GAArea.code == GA)
        )
    ).one()
    return Counters(*row)


async def _money(uow: UnitOfWork, snap: Snapshot) -> None:
    """Order lines, payments and refunds of the session's orders."""
    ids = {o.id: n for n, o in snap.orders.items()}
    for order_id, seat, area in await uow.session.execute(
        select(OrderLine.order_id, OrderLine.seat_key, OrderLine.area_code).where(
            OrderLine.order_id.in_(list(ids))
        )
    ):
        snap.lines.setdefault(order_id, []).append((seat, area))
    payments = await uow.session.execute(
        select(
            Payment.id,
            Payment.number,
            Payment.order_number,
            Payment.method,
            Payment.status,
            Payment.amount,
            Payment.refunded,
        ).where(Payment.order_number.in_(list(snap.orders)))
    )
    numbers = {}
    for pid, number, order, method, status, amount, refunded in payments:
        snap.payments[number] = PaymentRow(order, method, status, amount, refunded)
        numbers[pid] = number
    for pid, amount, status, reason in await uow.session.execute(
        select(Refund.payment_id, Refund.amount, Refund.status, Refund.reason).where(
            Refund.payment_id.in_(list(numbers))
        )
    ):
        snap.refunds.setdefault(numbers[pid], []).append((amount, status, reason))


async def _jobs(uow: UnitOfWork, snap: Snapshot) -> None:
    """Failed sales jobs of the session's orders, and payments waiting to be settled late."""
    rows = await uow.session.execute(
        select(OutboxJob.kind, OutboxJob.payload, OutboxJob.last_error, OutboxJob.done_at).where(
            OutboxJob.kind.like("sales.%")
        )
    )
    for kind, payload, error, done_at in rows:
        # Payments are numbered after their order, refunds after their payment.
        ref = str(next(iter(payload.values()), ""))
        if error and any(ref.startswith(number) for number in snap.orders):
            snap.failed_jobs.append(f"{kind} {payload}: {error}")
        if kind == LATE_JOB and done_at is None:
            snap.settling.add(ref)


# --- The model --------------------------------------------------------------------------------


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


# --- The machine ------------------------------------------------------------------------------


SEATS = st.lists(st.sampled_from(POOL), max_size=2, unique=True)
PLACES = st.integers(0, 2)
WANT = st.tuples(SEATS, PLACES).filter(lambda want: bool(want[0]) or want[1] > 0)
BUYER = st.integers(0, BUYERS - 1)
THEN = ["cash", "bank paid", "bank", "cash", "bank paid", "-"]


class SalesMachine(RuleBasedStateMachine):
    """Rules: ``hold`` (1–2 seats of an 8-seat pool and 0–2 standing places, for one of three
    buyers), ``checkout`` (hold + order + cash, or + a bank payment started, or approved with
    its notification lost), ``snatch`` (another hold of exactly what a lapsed or ended hold
    had), ``release``, ``order`` (with a fresh or a repeated idempotency key), ``cancel``,
    ``pay_cash`` (sometimes short), ``start_bank``, ``bank_decides`` (approve or decline;
    notification delivered or lost), ``bank_query`` (the payer's return), ``time_passes``
    (1–20 min, the worker perhaps running then), ``next_lapse`` (to the next expiry exactly,
    or just after) and ``worker_runs``. Rules that pick a hold, order or payment prefer one
    the step can act on, but pick any, ended ones too."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.w = self.world
        self.sid = 0
        self.baseline: set[str] = set()
        self.m = Model(now=self.w.clock.now())

    @property
    def now(self) -> datetime:
        return self.w.clock.now()

    def attempt(self, work: Coroutine[Any, Any, T]) -> T | AdmitError:
        """One step's service call: an expected refusal is an outcome, anything else fails."""
        try:
            return self.w.run(work)
        except AdmitError as refused:
            return refused

    @staticmethod
    def choose(data: st.DataObject, every: Iterable[T], likely: Iterable[T], what: str) -> T:
        """Any of ``every`` (ended ones too), or — more often — one of ``likely``."""
        preferred = list(likely)
        if preferred and data.draw(st.integers(0, 2), label=f"{what} kind") > 0:
            return data.draw(st.sampled_from(preferred), label=what)
        return data.draw(st.sampled_from(list(every)), label=what)

    def pending(self) -> list[str]:
        return [
            n
            for n, o in self.m.orders.items()
            if o.status == "pending_payment" and self.m.live(self.m.holds[o.hold])
        ]

    @initialize(
        quota_a=st.integers(2, 5),
        quota_b=st.integers(1, 2),
        quota_ga=st.integers(2, 4),
        limit=st.integers(2, 5),
    )
    def open_sale(self, quota_a: int, quota_b: int, quota_ga: int, limit: int) -> None:
        self.m.quotas = {"A": quota_a, "B": quota_b, GA_LEVEL: quota_ga}
        self.m.limit = limit
        self.sid = self.w.run(open_session(self.w, self.m.quotas, limit))
        # Problems left by an earlier failed example are not this example's (nor any after a
        # passing one: the autouse ``consistent`` fixture checks the whole database at the end).
        self.baseline = set(self.w.run(snapshot(self.w, self.sid)).problems)

    # The actions: each predicts its outcome, calls the service and updates the model ---------

    def place(self, buyer: int, seats: list[str], places: int) -> int | None:
        who, now = self.w.buyers[buyer], self.now
        wanted = self.m.expect_hold(who, seats, places)
        request = HoldRequest(
            session_id=self.sid,
            buyer=who,
            channel="web",
            seat_keys=seats,
            places=[(GA, places)] if places else [],
        )

        async def work() -> tuple[int, datetime]:
            async with self.w.runtime.uow(TEST_ACTOR) as uow:
                made = await place_hold(uow, request, now=now)
                return made.id, as_utc(made.expires_at)

        got = self.attempt(work())
        check_outcome(got, wanted, f"hold {seats} + {places} for {who}")
        if isinstance(got, AdmitError):
            return None
        hold_id, expires_at = got
        assert expires_at == now + timedelta(minutes=PAY_MINUTES)
        self.m.holds[hold_id] = HoldM(hold_id, who, frozenset(seats), places, expires_at)
        return hold_id

    def make_order(self, hold: int, second_key: bool) -> str | None:
        h, now = self.m.holds[hold], self.now
        key = f"hold-{hold}-{int(second_key)}"
        before = self.m.order_keys.get(key)
        wanted: type[AdmitError] | None = None
        if before is None and not self.m.live(h):
            wanted = HoldExpired
        elif before is None and self.m.order_of(hold) is not None:
            wanted = Conflict
        lines = [LineInput("adult", seat=s) for s in sorted(h.seats)]
        lines += [LineInput("adult", area=GA)] * h.places

        async def work() -> tuple[str, int]:
            async with self.w.runtime.uow(TEST_ACTOR) as uow:
                made = await place_order(
                    uow, hold_id=hold, buyer=h.buyer, lines=lines, idempotency_key=key, now=now
                )
                return made.number, made.total

        got = self.attempt(work())
        check_outcome(got, wanted, f"order of hold {hold} ({h.status}, key {key})")
        if isinstance(got, AdmitError):
            return None
        number, total = got
        if before is not None:
            assert number == before, "a repeated idempotency key made another order"
            return number
        assert total == sum(PRICES[lv] * k for lv, k in h.per_level().items())
        self.m.order_keys[key] = number
        self.m.orders[number] = OrderM(number, hold, h.buyer, total)
        return number

    def cash(self, order: str, short: bool) -> None:
        o, now = self.m.orders[order], self.now
        wanted = self.m.expect_payable(o) or (InvalidInput if short else None)
        received = o.total - 1 if short else o.total + 500

        async def work() -> tuple[str, int]:
            async with self.w.runtime.uow(TEST_ACTOR) as uow:
                payment, change = await pay_cash(
                    uow,
                    self.w.runtime.crypto,
                    order_number=order,
                    buyer=o.buyer,
                    staff="t",
                    outlet="t",
                    received=received,
                    now=now,
                )
                return payment.number, change

        got = self.attempt(work())
        check_outcome(got, wanted, f"cash for {order} ({o.status})")
        if isinstance(got, AdmitError):
            return
        number, change = got
        assert change == 500
        self.m.end_hold(self.m.holds[o.hold], "sold")
        o.status, o.paid_by = "paid", number
        self.m.cash_paid += 1

    def bank_payment(self, order: str) -> str | None:
        o = self.m.orders[order]
        wanted = self.m.expect_payable(o)
        still_open = [
            p.number
            for p in self.m.payments.values()
            if p.order == order and self.m.payment_status.get(p.number) in OPEN_PAYMENT
        ]
        work = start_payment(
            self.w.runtime, TEST_ACTOR, order_number=order, buyer=o.buyer, method="bank"
        )
        got = self.attempt(work)
        check_outcome(got, wanted, f"bank payment of {order} ({o.status})")
        if isinstance(got, AdmitError):
            return None
        assert got.status == "pending"
        assert got.pay_url
        if still_open:
            assert [got.number] == still_open, "a second open bank payment for one order"
        else:
            self.m.payments[got.number] = PaymentM(got.number, order, got.pay_url)
        return str(got.number)

    def decide(self, payment: str, approve: bool, lose: bool) -> None:
        """The payer approves or declines on the bank's page; the bank's notification reaches
        the platform (before the step ends) or is lost."""
        bank, url = self.w.bank, self.m.payments[payment].pay_url

        async def work() -> tuple[int, list[dict[str, Any]]]:
            await bank.control(lose_notifications=lose)
            answer = await bank.decide(url, "approve" if approve else "decline")
            await bank.settled()
            return answer.status_code, await bank.trades()

        status, trades = self.w.run(work())
        wanted = 303 if self.m.trade_status.get(payment) == "unpaid" else 409
        assert status == wanted, (payment, self.m.trade_status.get(payment), status)
        unanswered = [
            n for t in trades for n in t["notifications"] if not n["lost"] and not n["acknowledged"]
        ]
        assert unanswered == [], f"the platform did not acknowledge {unanswered}"

    # Holds ------------------------------------------------------------------------------------

    @rule(buyer=BUYER, seats=SEATS, places=PLACES)
    def hold(self, buyer: int, seats: list[str], places: int) -> None:
        self.place(buyer, seats, places)

    @rule(buyer=BUYER, want=WANT, then=st.sampled_from(THEN))
    def checkout(self, buyer: int, want: tuple[list[str], int], then: str) -> None:
        """Hold, order and pay at once, as most buyers do: in cash; or at the bank — just
        started, or paid there with the notification lost (so only a query, the close of the
        trade or the payer's return will tell the platform)."""
        hold = self.place(buyer, *want)
        if hold is None:
            return
        self.consistent()
        order = self.make_order(hold, second_key=False)
        assert order is not None
        self.consistent()
        if then == "cash":
            self.cash(order, short=False)
        elif then != "-" and (payment := self.bank_payment(order)) and then == "bank paid":
            self.consistent()
            self.decide(payment, approve=True, lose=True)

    @precondition(lambda self: self.m.ended())
    @rule(data=st.data(), buyer=BUYER)
    def snatch(self, data: st.DataObject, buyer: int) -> None:
        """Someone holds exactly what an ended or lapsed hold had: refused if it was sold; else
        perhaps before the sweeper or a late payment for it comes (which must then be refunded,
        not sell the seats again)."""
        gone = self.m.ended()
        unknown = {  # paid at the bank, the platform not told yet
            p.order
            for p in self.m.payments.values()
            if self.m.trade_status.get(p.number) == "paid"
            and self.m.payment_status.get(p.number) in OPEN_PAYMENT
        }
        paid = [h for h in gone if (o := self.m.order_of(h)) and o.number in unknown]
        h = self.m.holds[self.choose(data, gone, paid, "hold")]
        self.place(buyer, sorted(h.seats), h.places)

    @precondition(lambda self: self.m.holds)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        live = [h.id for h in self.m.holds.values() if h.status == "active"]
        hold = self.choose(data, self.m.holds, live, "hold")
        h, now = self.m.holds[hold], self.now

        async def work() -> str:
            async with self.w.runtime.uow(TEST_ACTOR) as uow:
                released = await release_hold(uow, hold_id=hold, buyer=h.buyer, now=now)
                return released.status

        status = self.w.run(work())
        if h.status == "active":
            self.m.end_hold(h, "released")
        assert status == h.status, f"hold {hold} is {status}, the model says {h.status}"

    # Orders -----------------------------------------------------------------------------------

    @precondition(lambda self: self.m.holds)
    @rule(data=st.data(), second_key=st.booleans())
    def order(self, data: st.DataObject, second_key: bool) -> None:
        unordered = [
            h.id for h in self.m.holds.values() if self.m.live(h) and not self.m.order_of(h.id)
        ]
        self.make_order(self.choose(data, self.m.holds, unordered, "hold"), second_key)

    @precondition(lambda self: self.m.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = self.choose(data, self.m.orders, self.pending(), "order")
        o, now = self.m.orders[order], self.now
        wanted = None if o.status == "pending_payment" else Conflict

        async def work() -> str:
            async with self.w.runtime.uow(TEST_ACTOR) as uow:
                cancelled = await cancel_order(uow, number=order, buyer=o.buyer, now=now)
                return cancelled.status

        got = self.attempt(work())
        check_outcome(got, wanted, f"cancel {order} ({o.status})")
        if not isinstance(got, AdmitError):
            h = self.m.holds[o.hold]
            if h.status == "active":
                self.m.end_hold(h, "released")
            o.status = "cancelled"

    # Payments ---------------------------------------------------------------------------------

    @precondition(lambda self: self.m.orders)
    @rule(data=st.data(), short=st.booleans())
    def pay_cash(self, data: st.DataObject, short: bool) -> None:
        self.cash(self.choose(data, self.m.orders, self.pending(), "order"), short)

    @precondition(lambda self: self.m.orders)
    @rule(data=st.data())
    def start_bank(self, data: st.DataObject) -> None:
        self.bank_payment(self.choose(data, self.m.orders, self.pending(), "order"))

    @precondition(lambda self: self.m.payments)
    @rule(data=st.data(), approve=st.booleans(), lose=st.booleans())
    def bank_decides(self, data: st.DataObject, approve: bool, lose: bool) -> None:
        undecided = [n for n in self.m.payments if self.m.trade_status.get(n) == "unpaid"]
        self.decide(self.choose(data, self.m.payments, undecided, "payment"), approve, lose)

    @precondition(lambda self: self.m.payments)
    @rule(data=st.data())
    def bank_query(self, data: st.DataObject) -> None:
        """The payer comes back from the bank: the platform asks it how the payment stands."""
        unknown = [
            n
            for n in self.m.payments
            if self.m.trade_status.get(n) in ("paid", "declined")
            and self.m.payment_status.get(n) in OPEN_PAYMENT
        ]
        payment = self.choose(data, self.m.payments, unknown, "payment")
        outcome = self.w.run(refresh_payment(self.w.runtime, number=payment))
        known = {"paid", "late", "refunding", "duplicate", "declined", "closed", "unchanged"}
        assert outcome in known, outcome

    # Time -------------------------------------------------------------------------------------

    @rule(minutes=st.integers(1, 20), sweep=st.booleans())
    def time_passes(self, minutes: int, sweep: bool) -> None:
        """Time passes; perhaps the worker runs then (expiring holds, running due jobs)."""
        self.w.clock.advance(timedelta(minutes=minutes))
        if sweep:
            self.w.run(drain(self.w.runtime))

    @precondition(lambda self: any(self.m.live(h) for h in self.m.holds.values()))
    @rule(extra=st.integers(0, 2))
    def next_lapse(self, extra: int) -> None:
        """Time runs to the moment the next live hold lapses (its expiry exactly, or a minute
        or two later), before any worker runs."""
        due = min(h.expires_at for h in self.m.holds.values() if self.m.live(h))
        self.w.clock.advance(due - self.now + timedelta(minutes=extra))

    @rule()
    def worker_runs(self) -> None:
        self.w.run(drain(self.w.runtime))

    # After every step -------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        snap = self.w.run(snapshot(self.w, self.sid))
        self.m.now = snap.now
        # A payment captured after its hold ended waits for the worker to honour or refund it.
        in_flight = {
            f"payment {n} was captured but paid no order and was not refunded"
            for n in snap.settling
        }
        assert [p for p in snap.problems if p not in in_flight | self.baseline] == []
        assert snap.failed_jobs == []
        self._follow_holds(snap)
        self._follow_orders(snap)
        self.m.payment_status = {n: p.status for n, p in snap.payments.items()}
        self.m.trade_status = {n: t.status for n, t in snap.trades.items()}
        self._check_seats(snap)
        self._check_counters(snap)
        self._check_money(snap)

    def _paid_by_bank(self, snap: Snapshot, paid_by: str | None) -> bool:
        """A payment the bank really took (the only way an order gets paid behind our back)."""
        if paid_by is None or paid_by not in self.m.payments:
            return False
        trade = snap.trades.get(paid_by)
        captured = snap.payments[paid_by].status == "captured"
        return captured and trade is not None and trade.status == "paid"

    def _follow_holds(self, snap: Snapshot) -> None:
        """Changes to holds the step did not make itself must be ones the model allows."""
        assert set(snap.holds) == set(self.m.holds), "holds the model does not know"
        for hold_id, row in snap.holds.items():
            h = self.m.holds[hold_id]
            assert (row.buyer, row.quantity, row.expires_at) == (h.buyer, h.quantity, h.expires_at)
            if row.status == h.status:
                continue
            found = snap.order_of_hold(hold_id)
            what = f"hold {hold_id} went {h.status} → {row.status} at {snap.now}"
            assert h.status != "sold", what
            if row.status == "expired":  # the sweeper, a quota in need, a late payment
                assert h.status == "active", what
                assert h.expires_at <= snap.now, what
            elif row.status == "released":  # a declined bank payment gives the seats back
                assert h.status == "active", what
                assert found is not None, what
                assert any(
                    p.order == found[0] and p.status == "declined" for p in snap.payments.values()
                ), what
            else:  # sold by a bank payment, in time or late (honoured)
                assert row.status == "sold", what
                assert found is not None, what
                assert self._paid_by_bank(snap, found[1].paid_by), what
            self.m.end_hold(h, row.status)

    def _follow_orders(self, snap: Snapshot) -> None:
        assert set(snap.orders) == set(self.m.orders), "orders the model does not know"
        for number, row in snap.orders.items():
            o = self.m.orders[number]
            hold = snap.holds[row.hold_id]
            what = f"order {number} went {o.status} → {row.status} (hold {hold.status})"
            if o.status == "paid":
                assert (row.status, row.paid_by) == ("paid", o.paid_by), what
            elif row.status == "paid":
                assert self._paid_by_bank(snap, row.paid_by), what
                o.status, o.paid_by = "paid", row.paid_by
            assert row.status == o.status, what
            assert row.total == o.total

    def _check_seats(self, snap: Snapshot) -> None:
        """Sold and held seats are exactly the ones the model says; a seat of a lapsed hold
        may still be marked held by it until someone takes it or the sweeper comes."""
        order_ids = {o.id: n for n, o in snap.orders.items()}
        sold = {
            k: order_ids.get(s.order_id or 0, f"?{s.order_id}")
            for k, s in snap.seats.items()
            if s.status == "sold"
        }
        assert sold == self.m.seats_sold()
        live = {
            k: s.hold_id
            for k, s in snap.seats.items()
            if s.status == "held" and s.hold_expires_at and s.hold_expires_at > snap.now
        }
        assert live == self.m.seats_held()
        for key, seat in snap.seats.items():
            if seat.status == "held":
                h = self.m.holds.get(seat.hold_id or 0)
                assert h is not None, (key, seat)
                assert h.status == "active", (key, seat, h)
                assert key in h.seats, (key, seat, h)
                assert seat.hold_expires_at == h.expires_at
            else:
                assert seat.status in ("available", "sold"), (key, seat)
        paid_seats = Counter(
            seat
            for o in snap.orders.values()
            if o.status == "paid"
            for seat, _ in snap.lines.get(o.id, [])
            if seat
        )
        assert [s for s, n in paid_seats.items() if n > 1] == [], "a seat sold twice"

    def _check_counters(self, snap: Snapshot) -> None:
        held: Counter[str] = Counter()
        sold: Counter[str] = Counter()
        for h in self.m.holds.values():
            if h.status in ("active", "sold"):
                (held if h.status == "active" else sold).update(h.per_level())
        for level, quota in snap.quotas.items():
            assert quota.limit == self.m.quotas[level]
            assert (quota.held, quota.sold) == (held[level], sold[level]), (level, quota)
            assert min(quota.held, quota.sold) >= 0, (level, quota)
            assert quota.held + quota.sold <= quota.limit, f"quota {level} passed: {quota}"
        places = {
            status: sum(h.places for h in self.m.counting((status,)))
            for status in ("active", "sold")
        }
        assert (snap.ga.held, snap.ga.sold) == (places["active"], places["sold"]), snap.ga
        assert snap.ga.held + snap.ga.sold <= snap.ga.limit, f"capacity passed: {snap.ga}"
        per_buyer: Counter[str] = Counter()
        for row in snap.holds.values():
            if row.status in ("active", "sold"):
                per_buyer[row.buyer] += row.quantity
        assert max(per_buyer.values(), default=0) <= self.m.limit, per_buyer

    def _check_money(self, snap: Snapshot) -> None:
        cash = [p for p in snap.payments.values() if p.method == "cash"]
        assert [p.status for p in cash] == ["captured"] * self.m.cash_paid
        for number, p in snap.payments.items():
            if p.method == "bank" and p.status == "captured":
                trade = snap.trades.get(number)
                assert trade is not None, (number, p)
                assert trade.status == "paid", (number, p, trade)
            paid = snap.orders[p.order].paid_by == number
            asked = sum(amount for amount, _, _ in snap.refunds.get(number, []))
            assert not (paid and asked), f"{number} paid its order and is refunded too"
        for row in snap.orders.values():
            if row.status == "paid":
                lines = snap.lines.get(row.id, [])
                h = self.m.holds[row.hold_id]
                assert sorted(s for s, _ in lines if s) == sorted(h.seats)
                assert sum(1 for _, a in lines if a) == h.places

    # At the end of each example ---------------------------------------------------------------

    def teardown(self) -> None:
        """Settle everything: the payer's return for payments whose notification was lost,
        every hold lapsed, the worker run dry. Then no money is lost: every payment the bank
        took pays its order or has come back in full. (After a failed step, only settle.)"""
        if not self.sid:
            return
        if sys.exc_info()[1] is not None:  # the example failed: report that, not more
            with contextlib.suppress(Exception):
                self.settle()
            return
        self.settle()
        self.consistent()
        snap = self.w.run(snapshot(self.w, self.sid))
        assert [p for p in snap.problems if p not in self.baseline] == []
        assert snap.settling == set()
        assert all(h.status != "active" for h in snap.holds.values())
        assert all(q.held == 0 for q in snap.quotas.values())
        assert snap.ga.held == 0
        for number, trade in snap.trades.items():
            if trade.status == "paid":
                self.check_settled(snap, number, trade)

    def settle(self) -> None:
        snap = self.w.run(snapshot(self.w, self.sid))
        for number, trade in snap.trades.items():
            if trade.status == "paid" and snap.payments[number].status in OPEN_PAYMENT:
                self.w.run(refresh_payment(self.w.runtime, number=number))
        self.w.clock.advance(timedelta(hours=1))
        self.w.run(drain(self.w.runtime))

    @staticmethod
    def check_settled(snap: Snapshot, number: str, trade: TradeRow) -> None:
        """A payment the bank took: captured, and either it paid its order or all came back."""
        payment = snap.payments[number]
        refunds = snap.refunds.get(number, [])
        assert payment.status == "captured", (number, payment)
        if snap.orders[payment.order].paid_by == number:
            assert refunds == [], (number, refunds)
            assert trade.refunded == 0, (number, trade)
        else:
            assert [s for _, s, _ in refunds] == ["done"] * len(refunds), refunds
            assert sum(a for a, _, _ in refunds) == trade.amount == trade.refunded, trade
            assert payment.refunded == payment.amount, payment


async def test_holds_orders_payments_and_expiry_never_oversell(
    admin: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One slice per place: every quota and the standing area are split into 2–5 slices, so
    # holds take from different slices, release and sell on theirs, and the small counters
    # are rebalanced all the time (admit.core.sliced_counters).
    monkeypatch.setattr(sliced_counters, "PLACES_PER_SLICE", 1)
    world = await make_world(admin, runtime, clock, bank)

    class Machine(SalesMachine):
        pass

    Machine.world = world
    await asyncio.to_thread(run_state_machine_as_test, Machine, settings=SETTINGS)
