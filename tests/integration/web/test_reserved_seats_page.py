"""The seat map of a visitor who buys for a client (INV3): everyone's map shows the client's
reserved seats as reserved, the visitor's overlay (``/checkout/reserved/{id}``, with the
cookie) names them free, and the map's Continue holds them for that visitor only."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.integration.clients.client_factories import link_customer, make_client, reserve
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401 (after every test)
from tests.integration.sales.sale_factories import ROW_A, on_sale, states
from tests.integration.web.checkout_flows import browser, hold, location, signed_in_buyer

ROWS_A = {"rows": [{"section": "HALL", "row": "A"}]}


async def test_a_clients_buyer_sees_and_holds_its_reserved_seats(
    app: FastAPI, admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    until = (clock.now() + timedelta(hours=1)).isoformat()
    assert (await reserve(admin, sid, ROWS_A, until)).status_code == 200
    async with browser(app) as ann, browser(app) as bo:
        assert (await ann.get(f"/checkout/reserved/{sid}")).status_code == 204  # not signed in
        ann_id = await signed_in_buyer(runtime, ann, "13700000020")
        await signed_in_buyer(runtime, bo, "13700000021")
        assert (await ann.get(f"/checkout/reserved/{sid}")).status_code == 204  # no client yet
        await link_customer(admin, await make_client(admin, "Acme"), ann_id)

        mine = await ann.get(f"/checkout/reserved/{sid}")
        assert mine.headers["cache-control"] == "no-store, private"
        assert mine.json() == {"seats": ROW_A}
        assert (await bo.get(f"/checkout/reserved/{sid}")).status_code == 204
        assert (await states(admin, sid))[:5] == "rrrrr"  # everyone's map is unchanged

        refused = await bo.post("/checkout/hold", data={"session_id": str(sid), "seat": ROW_A[:1]})
        assert location(refused).startswith(f"/sessions/{sid}?msg=seat_reserved")
        assert await hold(ann, sid, ROW_A[:2])
        assert (await states(admin, sid))[:5] == "hhrrr"
        assert (await ann.get(f"/checkout/reserved/{sid}")).json() == {"seats": ROW_A[2:]}
