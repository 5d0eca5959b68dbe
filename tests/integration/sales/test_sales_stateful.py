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
order or came back in full (refund done at the bank).

The machine's rules are here; its actions (``stateful_actions``), per-step checks and settling
(``stateful_checks``), model, database snapshot and world live beside it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from tests.conftest import TEST_ACTOR
from tests.integration.sales.conftest import Bank
from tests.integration.sales.stateful_actions import ActingMachine
from tests.integration.sales.stateful_model import check_outcome
from tests.integration.sales.stateful_snapshot import snapshot
from tests.integration.sales.stateful_world import (
    BUYERS,
    GA_LEVEL,
    OPEN_PAYMENT,
    POOL,
    SETTINGS,
    drain,
    make_world,
    open_session,
)

from admit.core import sliced_counters
from admit.core.clock import FixedClock
from admit.core.errors import AdmitError, Conflict
from admit.core.runtime import Runtime
from admit.sales.checkout import refresh_payment
from admit.sales.hold_endings import release_hold
from admit.sales.orders import cancel_order

pytestmark = pytest.mark.long  # 40 examples of 40 steps on each backend

SEATS = st.lists(st.sampled_from(POOL), max_size=2, unique=True)
PLACES = st.integers(0, 2)
WANT = st.tuples(SEATS, PLACES).filter(lambda want: bool(want[0]) or want[1] > 0)
BUYER = st.integers(0, BUYERS - 1)
THEN = ["cash", "bank paid", "bank", "cash", "bank paid", "-"]


class SalesMachine(ActingMachine):
    """Rules: ``hold`` (1–2 seats of an 8-seat pool and 0–2 standing places, for one of three
    buyers), ``checkout`` (hold + order + cash, or + a bank payment started, or approved with
    its notification lost), ``snatch`` (another hold of exactly what a lapsed or ended hold
    had), ``release``, ``order`` (with a fresh or a repeated idempotency key), ``cancel``,
    ``pay_cash`` (sometimes short), ``start_bank``, ``bank_decides`` (approve or decline;
    notification delivered or lost), ``bank_query`` (the payer's return), ``time_passes``
    (1–20 min, the worker perhaps running then), ``next_lapse`` (to the next expiry exactly,
    or just after) and ``worker_runs``. Rules that pick a hold, order or payment prefer one
    the step can act on, but pick any, ended ones too."""

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
