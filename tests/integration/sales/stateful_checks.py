"""The checks after every step of the stateful sales test, and the settling at the end of each
example: what the database says must be what the model allows."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from datetime import timedelta
from typing import ClassVar

from hypothesis.stateful import RuleBasedStateMachine, invariant
from tests.integration.sales.stateful_model import Model
from tests.integration.sales.stateful_snapshot import Snapshot, TradeRow, snapshot
from tests.integration.sales.stateful_world import OPEN_PAYMENT, World, drain

from admit.sales.checkout import refresh_payment


class CheckedMachine(RuleBasedStateMachine):
    """A machine whose every step is followed by ``consistent``."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.w = self.world
        self.sid = 0
        self.baseline: set[str] = set()
        self.m = Model(now=self.w.clock.now())

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
