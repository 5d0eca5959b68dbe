"""The general-admission rush: every buyer at once for one standing area's quota (one hot
counter row for the area and one for the quota). A buyer wants 1–4 places; on 409
``sold_out`` it asks for one fewer, and at one it goes home. Winners order, pay through the
bank simulator and approve; the quota must end exactly used up, never passed."""

from __future__ import annotations

import random

from bench.catalogue import Buyer
from bench.harness import Cluster
from bench.loadgen import Http, Recorder
from bench.purchase import SaleResult, Tally, auth, connections_per_server, crowd, retrying

WANTS = (1, 1, 2, 2, 2, 3, 4)


async def run_ga_rush(
    cluster: Cluster,
    session_id: int,
    buyers: list[Buyer],
    *,
    area: str = "FIELD",
    in_flight: int = 200,
    seed: int = 1,
    time_limit: float | None = None,
) -> SaleResult:
    rec = Recorder()
    tally = Tally()
    path = f"/api/v1/sessions/{session_id}/holds"
    async with Http(cluster.urls, connections_per_server(cluster, in_flight)) as http:

        async def visit(i: int, b: Buyer) -> None:
            want = random.Random(seed * 1_000_003 + i).choice(WANTS)
            for attempt in range(len(WANTS)):
                key = f"ga-{session_id}-{i}-{attempt}"
                r = await retrying(
                    lambda k=key, n=want: http.call(
                        rec,
                        "hold",
                        i,
                        "POST",
                        path,
                        json={"places": [{"area": area, "quantity": n}]},
                        headers=auth(b.token, k),
                        expect=(201, "409 sold_out"),
                    )
                )
                if r.status == 201:
                    lines = [{"area": area}] * want
                    return await tally.pay(http, rec, i, b.token, r.body, lines)
                if r.code != "sold_out":
                    return tally.end(f"refused {r.status} {r.code}")
                if want == 1:
                    return tally.end("sold out")
                want -= 1
            return tally.end("gave up")

        return await crowd(
            cluster, http, rec, tally, session_id, buyers, visit, in_flight, time_limit
        )
