"""The hold-only rush (issue 17): every buyer at once for one hot session's seats (the
20,160-seat stadium, both tiers on sale in full), and they only hold — 1–4 seats side by side
in a row from a random spot, or scattered free seats — trying other seats on 409
``seats_taken`` (refreshing the seat states every second failure); a quarter of those who
win let the hold go and hold again. Nobody orders: this measures the hold itself. At the end
no seat may be in two live holds, the seats the database shows held must be exactly those
of the live holds the buyers were given, and ``admit check`` must find nothing."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from admit.catalog.models import Seat
from admit.inventory.models import SessionSeat
from admit.sales import consistency
from bench.catalogue import Buyer
from bench.harness import BENCH_ACTOR, Cluster
from bench.loadgen import CpuMeter, Http, Recorder, Reply
from bench.onsale import SeatPlan, View, seat_plan
from bench.purchase import auth, connections_per_server, retrying
from bench.report import Row

WANTS = (1, 2, 2, 2, 3, 4, 4)  # seats a buyer wants, drawn uniformly
SIDE_BY_SIDE = 0.7  # the others take scattered free seats
AGAIN = 0.25  # winners who let their hold go and hold again
MAX_ATTEMPTS = 8
REFRESH_EVERY = 2


def side_by_side(plan: SeatPlan, view: View, k: int, rng: random.Random) -> list[int] | None:
    """``k`` free seats side by side in one row, from a random seat onwards."""
    n = len(plan.keys)
    start = rng.randrange(n)
    states, taken = view.states, view.taken
    for step in range(n):
        seat = (start + step) % n
        if states[seat] != "a" or seat in taken:
            continue
        row, p = plan.rows[plan.row_of[seat]], plan.pos_of[seat]
        for s in range(max(0, p - k + 1), min(p, len(row) - k) + 1):
            block = row[s : s + k]
            if all(states[j] == "a" and j not in taken for j in block):
                return block
    return None


def scattered(plan: SeatPlan, view: View, k: int, rng: random.Random) -> list[int] | None:
    """``k`` free seats drawn at random anywhere."""
    found: set[int] = set()
    for _ in range(200 * k):
        seat = rng.randrange(len(plan.keys))
        if view.states[seat] == "a" and seat not in view.taken:
            found.add(seat)
            if len(found) == k:
                return sorted(found)
    return None


@dataclass
class Ledger:
    """What the buyers were told: each live hold's seats, and any seat told to two."""

    live: dict[int, list[str]] = field(default_factory=dict)  # hold id → seat keys
    owner: dict[str, int] = field(default_factory=dict)  # seat key → live hold id
    twice: list[str] = field(default_factory=list)
    won: list[float] = field(default_factory=list)  # when each successful hold answered
    released: int = 0
    ends: dict[str, int] = field(default_factory=dict)

    def held(self, hold: dict[str, Any]) -> None:
        self.won.append(time.monotonic())
        self.live[int(hold["id"])] = list(hold["seats"])
        for key in hold["seats"]:
            if key in self.owner:
                self.twice.append(key)
            self.owner[key] = int(hold["id"])

    def let_go(self, hold_id: int) -> list[str]:
        """Before the release is sent: its seats may be someone else's as soon as it commits."""
        keys = self.live.pop(hold_id, [])
        for key in keys:
            if self.owner.get(key) == hold_id:
                del self.owner[key]
        return keys

    def kept(self, hold_id: int, keys: list[str]) -> None:
        """The release failed: the hold still has its seats."""
        self.live[hold_id] = keys
        for key in keys:
            self.owner.setdefault(key, hold_id)

    def end(self, how: str) -> None:
        self.ends[how] = self.ends.get(how, 0) + 1


@dataclass
class HoldsResult:
    buyers: int
    in_flight: int
    hold_seconds: float  # from the first arrival until the last successful hold
    holds: int
    released: int
    ops: dict[str, dict[str, Any]]
    cpu: dict[str, float]
    failures: list[str]
    ends: dict[str, int]

    @property
    def holds_per_s(self) -> float:
        return self.holds / self.hold_seconds if self.hold_seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> dict[str, Any]:
        return {
            "buyers": self.buyers,
            "in_flight": self.in_flight,
            "hold_seconds": round(self.hold_seconds, 2),
            "holds": self.holds,
            "holds_per_s": round(self.holds_per_s, 1),
            "released": self.released,
            "ends": self.ends,
            "cpu": self.cpu,
            "ops": self.ops,
            "failures": self.failures[:20],
        }


class Rush:
    def __init__(
        self, http: Http, rec: Recorder, plan: SeatPlan, view: View, sid: int, seed: int
    ) -> None:
        self.http, self.rec, self.plan, self.view, self.sid = http, rec, plan, view, sid
        self.seed = seed
        self.ledger = Ledger()

    async def refresh(self, i: int, token: str) -> None:
        r = await self.http.call(
            self.rec,
            "availability",
            i,
            "GET",
            f"/api/v1/sessions/{self.sid}/availability",
            headers={**auth(token), "If-None-Match": self.view.etag},
            expect=(200, 304),
        )
        if r.status == 200:
            self.view.states, self.view.etag = r.body["states"], r.headers.get("ETag", "")

    async def buyer(self, i: int, b: Buyer) -> None:
        rng = random.Random(self.seed * 1_000_003 + i)
        hold = await self._hold_some(i, b, rng, 0)
        if hold is not None and rng.random() < AGAIN:
            await self._release(i, b, int(hold["id"]))
            await self._hold_some(i, b, rng, 1)

    async def _hold_some(
        self, i: int, b: Buyer, rng: random.Random, round_: int
    ) -> dict[str, Any] | None:
        want = rng.choice(WANTS)
        gone: set[int] = set()
        for attempt in range(MAX_ATTEMPTS):
            pick = side_by_side if rng.random() < SIDE_BY_SIDE else scattered
            block = pick(self.plan, View(self.view.states, "", gone), want, rng)
            if block is None:
                self.ledger.end("no free seats")
                return None
            keys = [self.plan.keys[j] for j in block]
            key = f"holds-{self.sid}-{i}-{round_}-{attempt}"
            r = await retrying(lambda k=keys, key=key: self._hold(i, b, k, key))
            if r.status == 201:
                self.ledger.held(r.body)
                self.ledger.end("held")
                return dict(r.body)
            if r.code != "seats_taken":
                self.ledger.end(f"refused {r.status} {r.code}")
                return None
            named = set(r.body["error"].get("details", {}).get("seats", keys))
            gone |= {j for j in block if self.plan.keys[j] in named}
            if attempt % REFRESH_EVERY == REFRESH_EVERY - 1:
                await self.refresh(i, b.token)
        self.ledger.end("gave up")
        return None

    async def _hold(self, i: int, b: Buyer, keys: list[str], key: str) -> Reply:
        return await self.http.call(
            self.rec,
            "hold",
            i,
            "POST",
            f"/api/v1/sessions/{self.sid}/holds",
            json={"seats": keys},
            headers=auth(b.token, key),
            expect=(201, "409 seats_taken"),
        )

    async def _release(self, i: int, b: Buyer, hold_id: int) -> None:
        keys = self.ledger.let_go(hold_id)
        r = await retrying(
            lambda: self.http.call(
                self.rec,
                "release",
                i,
                "DELETE",
                f"/api/v1/holds/{hold_id}",
                headers=auth(b.token),
                expect=(200,),
            )
        )
        if r.status == 200:
            self.ledger.released += 1
        else:
            self.ledger.kept(hold_id, keys)


async def _held_in_database(cluster: Cluster, session_id: int) -> dict[str, int]:
    async with cluster.runtime() as rt, rt.uow(BENCH_ACTOR, readonly=True) as uow:
        rows = await uow.session.execute(
            select(Seat.key, SessionSeat.hold_id)
            .join(SessionSeat, SessionSeat.seat_id == Seat.id)
            .where(SessionSeat.session_id == session_id, SessionSeat.status == "held")
        )
        return {str(key): int(hold_id or 0) for key, hold_id in rows}


async def _problems(cluster: Cluster) -> list[str]:
    async with cluster.runtime() as rt, rt.uow(BENCH_ACTOR, readonly=True) as uow:
        return await consistency.problems(uow)


async def run_hold_rush(
    cluster: Cluster,
    session_id: int,
    buyers: list[Buyer],
    *,
    in_flight: int = 200,
    seed: int = 1,
    time_limit: float | None = None,
) -> HoldsResult:
    """All ``buyers`` arrive at once; ``in_flight`` of them are served at a time, buyer ``i``
    on server ``i % n``. Then the end check."""
    rec = Recorder()
    async with Http(cluster.urls, connections_per_server(cluster, in_flight)) as http:
        path = f"/api/v1/sessions/{session_id}"
        layout = await http.call(rec, "seat map", 0, "GET", f"{path}/seatmap")
        avail = await http.call(
            rec, "availability", 0, "GET", f"{path}/availability", headers=auth(buyers[0].token)
        )
        plan = seat_plan(layout.body, avail.body["levels"])
        view = View(avail.body["states"], avail.headers.get("ETag", ""))
        rush = Rush(http, rec, plan, view, session_id, seed)
        gate = asyncio.Semaphore(in_flight)
        t0 = time.monotonic()

        async def arrive(i: int, b: Buyer) -> None:
            async with gate:
                if time_limit is not None and time.monotonic() - t0 > time_limit:
                    rush.ledger.end("left the queue (time limit)")
                else:
                    await rush.buyer(i, b)

        meter = CpuMeter([s.pid for s in cluster.servers]).start()
        await asyncio.gather(*(arrive(i, b) for i, b in enumerate(buyers)))
        t_end = time.monotonic()
        cpu = meter.stop()
    ledger = rush.ledger
    failures = [f"seat in two live holds: {k}" for k in ledger.twice]
    in_db = await _held_in_database(cluster, session_id)
    if in_db != ledger.owner:
        extra = sorted(set(in_db.items()) - set(ledger.owner.items()))[:10]
        missing = sorted(set(ledger.owner.items()) - set(in_db.items()))[:10]
        failures.append(f"held seats differ from the live holds: extra {extra}, missing {missing}")
    failures += [f"admit check: {p}" for p in await _problems(cluster)]
    return HoldsResult(
        buyers=len(buyers),
        in_flight=in_flight,
        hold_seconds=max(ledger.won, default=t0) - t0,
        holds=len(ledger.won),
        released=ledger.released,
        ops={name: op.figure(t_end - t0) for name, op in rec.ops.items()},
        cpu=cpu,
        failures=failures,
        ends=dict(sorted(ledger.ends.items())),
    )


def hold_rows(label: str, result: HoldsResult) -> list[Row]:
    """The rush as rows of the benchmark table: successful holds per second with the hold's
    latency, then each kind of request."""
    hold = result.ops.get("hold", {})
    errors = sum(int(op["errors"]) for op in result.ops.values())
    rows = [
        Row(
            label,
            "hold rush",
            "successful holds",
            result.holds,
            result.holds_per_s,
            hold.get("p50_ms"),
            hold.get("p95_ms"),
            hold.get("p99_ms"),
            errors=errors,
            check="ok" if result.ok else "FAILED",
            cpu=result.cpu,
            extra={"released": result.released, "ends": result.ends, "buyers": result.buyers},
        )
    ]
    for name, op in result.ops.items():
        rows.append(Row.of(label, "hold rush", f"· {name}", op))
    return rows
