"""The stateful sales test's actions (test_sales_stateful.py): each predicts its outcome with
the model, calls the real service on the machine's world and updates the model; with them, the
helpers its rules use to pick what to act on. The rules themselves stay in the test."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypothesis import strategies as st
from tests.conftest import TEST_ACTOR
from tests.integration.sales.stateful_checks import CheckedMachine
from tests.integration.sales.stateful_model import HoldM, OrderM, PaymentM, check_outcome
from tests.integration.sales.stateful_world import GA, OPEN_PAYMENT, PAY_MINUTES, PRICES

from admit.core.clock import as_utc
from admit.core.errors import AdmitError, Conflict, InvalidInput
from admit.sales.checkout import pay_cash, start_payment
from admit.sales.holds import HoldRequest, place_hold
from admit.sales.orders import HoldExpired, LineInput, place_order

T = TypeVar("T")


class ActingMachine(CheckedMachine):
    """The steps' work and the pickers; ``SalesMachine``'s rules decide which runs when."""

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
