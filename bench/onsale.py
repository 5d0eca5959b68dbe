"""The on-sale: thousands of buyers, all arriving at once, race for one session's seats the
way people do — each looks at the seat map, wants 1–4 seats side by side in a row as near the
best spot as it can get (most of them aim at the best sections, so they collide), holds them,
and on 409 ``seats_taken`` tries other seats, refreshing the map now and then; on 409
``sold_out`` (the level's quota is used up) it asks for fewer and finally gives the level
up. Winners order, pay through the bank simulator and approve. At the end the sale is
checked (:mod:`bench.checks`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bench.catalogue import Buyer
from bench.harness import Cluster
from bench.loadgen import Http, Recorder
from bench.purchase import (
    SaleResult,
    Tally,
    auth,
    connections_per_server,
    crowd,
    retrying,
)

MAX_ATTEMPTS = 12
REFRESH_EVERY = 2  # failed holds between two looks at the seat map
WANTS = (1, 2, 2, 2, 3, 4, 4)  # seats a buyer wants, drawn uniformly
SKEW = 3.0  # rank = n × u**SKEW: most buyers aim near the best seats


@dataclass
class SeatPlan:
    """The map's seats (ordinal order), grouped in rows, ranked best first per level."""

    keys: list[str]
    row_of: list[int]
    pos_of: list[int]
    rows: list[list[int]]
    ranked: dict[str, list[int]]  # level char → seat indices, best first


def seat_plan(layout: dict[str, Any], levels: str) -> SeatPlan:
    """Best = nearest the middle of the long side and the front: a distance from the map's
    centre that weighs sideways distance more (the halfway line) than depth."""
    seats = layout["seats"]
    keys, xs, ys = seats["key"], seats["x"], seats["y"]
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    rows: list[list[int]] = []
    index: dict[tuple[int, str], int] = {}
    row_of, pos_of = [0] * len(keys), [0] * len(keys)
    for i, (section, row) in enumerate(zip(seats["section"], seats["row"], strict=True)):
        r = index.setdefault((section, row), len(rows))
        if r == len(rows):
            rows.append([])
        row_of[i], pos_of[i] = r, len(rows[r])
        rows[r].append(i)
    score = [abs(x - cx) + 0.7 * abs(y - cy) for x, y in zip(xs, ys, strict=True)]
    ranked: dict[str, list[int]] = {}
    for i in sorted(range(len(keys)), key=score.__getitem__):
        if levels[i] != "-":
            ranked.setdefault(levels[i], []).append(i)
    return SeatPlan(keys, row_of, pos_of, rows, ranked)


@dataclass
class View:
    """What a buyer's page shows: the shared seat states (refreshed with the ETag, as a
    browser cache does) and the seats this buyer was told are gone."""

    states: str
    etag: str
    taken: set[int] = field(default_factory=set)


def choose(plan: SeatPlan, view: View, level: str, k: int, rng: random.Random) -> list[int] | None:
    """``k`` free seats side by side in one row at ``level``, starting from a seat drawn near
    the best and walking to worse ones."""
    ranked = plan.ranked[level]
    n = len(ranked)
    start = int(n * rng.random() ** SKEW)
    states, taken = view.states, view.taken

    def free(j: int) -> bool:
        return states[j] == "a" and j not in taken

    for step in range(n):
        seat = ranked[(start + step) % n]
        if not free(seat):
            continue
        row, p = plan.rows[plan.row_of[seat]], plan.pos_of[seat]
        for s in range(max(0, p - k + 1), min(p, len(row) - k) + 1):
            block = row[s : s + k]
            if all(free(j) for j in block):
                return block
    return None


@dataclass
class Wish:
    """One buyer's wish: how many seats, the seats it was told are gone, the levels it gave
    up. Refused for want of seats or quota, it asks for one fewer; at one, it drops the
    level."""

    want: int
    gone: set[int] = field(default_factory=set)
    exhausted: set[str] = field(default_factory=set)

    def fewer(self, level: str) -> None:
        if self.want == 1:
            self.exhausted.add(level)
        self.want = max(1, self.want - 1)


@dataclass
class Market:
    """What all buyers share: the plan, the latest seat states, the levels known sold out."""

    plan: SeatPlan
    view: View
    tally: Tally
    sold_out: set[str] = field(default_factory=set)


class Sale:
    def __init__(
        self, http: Http, rec: Recorder, market: Market, session_id: int, seed: int
    ) -> None:
        self.http, self.rec, self.market, self.sid = http, rec, market, session_id
        self.seed = seed

    async def refresh(self, i: int, token: str) -> None:
        view = self.market.view
        r = await self.http.call(
            self.rec,
            "availability",
            i,
            "GET",
            f"/api/v1/sessions/{self.sid}/availability",
            headers={**auth(token), "If-None-Match": view.etag},
            expect=(200, 304),
        )
        if r.status == 200:
            view.states, view.etag = r.body["states"], r.headers.get("ETag", "")

    async def buyer(self, i: int, b: Buyer) -> None:
        rng = random.Random(self.seed * 1_000_003 + i)
        me = Wish(rng.choice(WANTS))
        plan = self.market.plan
        await self.refresh(i, b.token)
        for attempt in range(MAX_ATTEMPTS):
            levels = [c for c in plan.ranked if c not in self.market.sold_out | me.exhausted]
            if not levels:
                return self._end("sold out")
            level = rng.choice(levels)
            block = choose(plan, View(self.market.view.states, "", me.gone), level, me.want, rng)
            if block is None:
                me.fewer(level)
                continue
            keys = [plan.keys[j] for j in block]
            r = await retrying(lambda k=keys, a=attempt: self._hold(i, b, k, a))
            if r.status == 201:
                return await self._pay(i, b, r.body)
            if r.code == "seats_taken":
                named = set(r.body["error"].get("details", {}).get("seats", keys))
                me.gone |= {j for j in block if plan.keys[j] in named}
                if attempt % REFRESH_EVERY == REFRESH_EVERY - 1:
                    await self.refresh(i, b.token)
            elif r.code == "sold_out":
                if me.want == 1:
                    self.market.sold_out.add(level)
                me.fewer(level)
            else:
                return self._end(f"refused {r.status} {r.code}")
        return self._end("gave up")

    async def _pay(self, i: int, b: Buyer, hold: dict[str, Any]) -> None:
        lines = [{"seat": s} for s in hold["seats"]]
        await self.market.tally.pay(self.http, self.rec, i, b.token, hold, lines)

    async def _hold(self, i: int, b: Buyer, keys: list[str], attempt: int) -> Any:
        return await self.http.call(
            self.rec,
            "hold",
            i,
            "POST",
            f"/api/v1/sessions/{self.sid}/holds",
            json={"seats": keys},
            headers=auth(b.token, f"onsale-{self.sid}-{i}-{attempt}"),
            expect=(201, "409 seats_taken", "409 sold_out"),
        )

    def _end(self, how: str) -> None:
        self.market.tally.end(how)


async def run_onsale(
    cluster: Cluster,
    session_id: int,
    buyers: list[Buyer],
    *,
    in_flight: int = 200,
    seed: int = 1,
    time_limit: float | None = None,
) -> SaleResult:
    """All ``buyers`` arrive at once; ``in_flight`` of them are served at a time (the rest
    wait their turn, as behind a waiting room), buyer ``i`` on server ``i % n``."""
    rec = Recorder()
    async with Http(cluster.urls, connections_per_server(cluster, in_flight)) as http:
        path = f"/api/v1/sessions/{session_id}"
        layout = await http.call(rec, "seat map", 0, "GET", f"{path}/seatmap")
        avail = await http.call(
            rec, "availability", 0, "GET", f"{path}/availability", headers=auth(buyers[0].token)
        )
        plan = seat_plan(layout.body, avail.body["levels"])
        view = View(avail.body["states"], avail.headers.get("ETag", ""))
        market = Market(plan, view, Tally())
        sale = Sale(http, rec, market, session_id, seed)
        return await crowd(
            cluster, http, rec, market.tally, session_id, buyers, sale.buyer, in_flight, time_limit
        )
