"""What every buyer does after a hold, over HTTP as a browser would: order what is held, open
a bank payment, approve it on the bank simulator's page (the bank then notifies the server
asynchronously); and waiting until the database shows the orders paid."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from admit.core.runtime import Runtime
from admit.payments.models import Payment, PaymentInbox
from admit.sales.models import Order
from bench.catalogue import Buyer
from bench.checks import SaleCheck, check_sale
from bench.harness import BENCH_ACTOR, Cluster
from bench.loadgen import CpuMeter, Http, Recorder, Reply, percentiles

BUSY_RETRIES = 20
GATEWAY_RETRIES = 5


def auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def retrying(send: Any, *, retry_codes: tuple[str, ...] = ("busy",)) -> Reply:
    """Send until the answer is not a transient refusal (503 ``busy``: rolled back whole,
    safe to repeat with the same key), waiting ``Retry-After`` between tries."""
    reply: Reply = await send()
    for _ in range(BUSY_RETRIES):
        if reply.status != 503 or reply.code not in retry_codes:
            break
        await asyncio.sleep(min(float(reply.headers.get("Retry-After", "1")), 1.0))
        reply = await send()
    return reply


@dataclass
class Bought:
    order: str
    tickets: int


@dataclass
class Tally:
    """What the crowd came to: when each hold succeeded, what was bought, how each buyer's
    visit ended."""

    holds_ok: list[float] = field(default_factory=list)
    bought: list[Bought] = field(default_factory=list)
    ends: Counter[str] = field(default_factory=Counter)

    def end(self, how: str) -> None:
        self.ends[how] += 1

    async def pay(
        self,
        http: Http,
        rec: Recorder,
        i: int,
        token: str,
        hold: dict[str, Any],
        lines: list[dict[str, str]],
    ) -> None:
        """Record the hold, then buy it."""
        self.holds_ok.append(time.monotonic())
        bought = await pay_for_hold(http, rec, i, token, hold, lines)
        if bought is not None:
            self.bought.append(bought)
        self.end("bought" if bought else "failed to pay")


async def pay_for_hold(
    http: Http, rec: Recorder, i: int, token: str, hold: dict[str, Any], lines: list[dict[str, str]]
) -> Bought | None:
    """Order the hold, open the bank payment and approve it; ``None`` when a step failed
    (recorded as an error of that step)."""
    key = f"order-for-hold-{hold['id']}"
    r = await retrying(
        lambda: http.call(
            rec,
            "order",
            i,
            "POST",
            f"/api/v1/holds/{hold['id']}/order",
            json={"lines": lines},
            headers=auth(token, key),
            expect=(201,),
        )
    )
    if r.status != 201:
        return None
    number = str(r.body["number"])
    r = await retrying(
        lambda: http.call(
            rec,
            "payment",
            i,
            "POST",
            f"/api/v1/orders/{number}/payments",
            json={"method": "bank"},
            headers=auth(token),
            expect=(201,),
        ),
        retry_codes=("busy", "gateway_unavailable"),
    )
    if r.status != 201 or not r.body.get("pay_url"):
        return None
    r = await http.call(
        rec,
        "bank approve",
        i,
        "POST",
        str(r.body["pay_url"]),
        data={"decision": "approve"},
        absolute=True,
        expect=(303,),
    )
    return Bought(number, len(lines)) if r.status == 303 else None


async def wait_paid(rt: Runtime, session_id: int, expected: int, timeout: float = 180.0) -> float:
    """Poll until ``expected`` orders of the session are paid (the bank's notifications
    arrive asynchronously) or ``timeout`` passes; the monotonic time it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
            paid = await uow.session.scalar(
                select(func.count()).where(Order.session_id == session_id, Order.status == "paid")
            )
        now = time.monotonic()
        if (paid or 0) >= expected or now > deadline:
            return now
        await asyncio.sleep(0.2)


@dataclass
class SaleResult:
    buyers: int
    in_flight: int
    seconds: float  # from the first arrival until every paid order is seen paid
    hold_seconds: float  # from the first arrival until the last successful hold
    holds: int
    purchases: int
    tickets: int
    ends: dict[str, int]
    ops: dict[str, dict[str, Any]]
    cpu: dict[str, float]
    check: SaleCheck
    reconnects: int = 0
    settled: dict[str, Any] = field(default_factory=dict)  # notification → settled, per payment

    @property
    def holds_per_s(self) -> float:
        return self.holds / self.hold_seconds if self.hold_seconds > 0 else 0.0

    @property
    def purchases_per_s(self) -> float:
        return self.purchases / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "buyers": self.buyers,
            "in_flight": self.in_flight,
            "seconds": round(self.seconds, 2),
            "holds": self.holds,
            "holds_per_s": round(self.holds_per_s, 1),
            "purchases": self.purchases,
            "purchases_per_s": round(self.purchases_per_s, 1),
            "tickets": self.tickets,
            "ends": self.ends,
            "reconnects": self.reconnects,
            "cpu": self.cpu,
            "ops": self.ops,
            "check": self.check.as_json(),
            "settled": self.settled,
        }


def connections_per_server(cluster: Cluster, in_flight: int) -> int:
    return max(1, in_flight // len(cluster.urls)) + 8


async def crowd(
    cluster: Cluster,
    http: Http,
    rec: Recorder,
    tally: Tally,
    session_id: int,
    buyers: Sequence[Buyer],
    visit: Callable[[int, Buyer], Awaitable[None]],
    in_flight: int,
    time_limit: float | None = None,
) -> SaleResult:
    """Every buyer arrives at once; ``in_flight`` visits run at a time (the rest wait their
    turn, as behind a waiting room). Past ``time_limit`` seconds, buyers still waiting leave
    (visits under way finish). Then wait for the bank's notifications and check."""
    gate = asyncio.Semaphore(in_flight)
    t0 = time.monotonic()

    async def arrive(i: int, b: Buyer) -> None:
        async with gate:
            if time_limit is not None and time.monotonic() - t0 > time_limit:
                tally.end("left the queue (time limit)")
            else:
                await visit(i, b)

    meter = CpuMeter([s.pid for s in [*cluster.servers, *cluster.settlers]]).start()
    await asyncio.gather(*(arrive(i, b) for i, b in enumerate(buyers)))
    t_end = time.monotonic()
    cpu = meter.stop()
    async with cluster.runtime() as rt:
        t_paid = await wait_paid(rt, session_id, len(tally.bought))
        check = await check_sale(rt, session_id)
        settled = await settlement_lag(rt, session_id)
    return SaleResult(
        buyers=len(buyers),
        in_flight=in_flight,
        seconds=t_paid - t0,
        hold_seconds=max(tally.holds_ok, default=t0) - t0,
        holds=len(tally.holds_ok),
        purchases=len(tally.bought),
        tickets=sum(b.tickets for b in tally.bought),
        ends=dict(sorted(tally.ends.items())),
        ops={name: op.figure(t_end - t0) for name, op in rec.ops.items()},
        cpu=cpu,
        check=check,
        reconnects=http.reconnects,
        settled=settled,
    )


async def settlement_lag(rt: Runtime, session_id: int) -> dict[str, Any]:
    """How long each paid notification of the session waited in the payment inbox, from its
    arrival until its settlement committed (the servers' clocks): p50, p95, p99."""
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        rows = (
            await uow.session.execute(
                select(PaymentInbox.received_at, PaymentInbox.settled_at)
                .join(Payment, Payment.number == PaymentInbox.payment_number)
                .join(Order, Order.number == Payment.order_number)
                .where(Order.session_id == session_id, PaymentInbox.settled_at.is_not(None))
            )
        ).all()
    p50, p95, p99 = percentiles(
        [(settled - received).total_seconds() for received, settled in rows if settled]
    )
    return {"requests": len(rows), "p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "p99_ms": p99 * 1000}
