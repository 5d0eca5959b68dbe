"""A counter sale ready to print: a session on sale at box office BO-1, its clerk, a paid
order of two seats, the printer simulator in process and a printer registered for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.sales.sale_factories import ROW_B, box_office, counter_order, on_sale

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.production.models import PrintLog, TicketProduction
from admit.production.printer import TcpTicketPrinter, TicketPrinter
from admit.sims.printer import PrinterSim
from admit.ticketing import issue, qr_payload
from admit.ticketing.models import Ticket

ADMIN = "/api/v1/admin"
COUNTER = "/api/v1/counter"


@pytest.fixture
async def printer_sim(runtime: Runtime) -> AsyncIterator[PrinterSim]:
    sim = PrinterSim()
    await sim.start()
    # Short waits: a printer that says nothing is "unacknowledged" within a second.
    device = TcpTicketPrinter(connect_timeout=2.0, ack_timeout=1.0)
    runtime.register(TicketPrinter, device)  # type: ignore[type-abstract]
    yield sim
    await sim.stop()


@dataclass
class Sale:
    session_id: int
    number: str
    clerk: dict[str, str]


async def counter_sale(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> Sale:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    order = await counter_order(client, clerk, sid, ROW_B[:2], "print-order-1")
    number = str(order["number"])
    cash = await client.post(
        f"{COUNTER}/orders/{number}/cash", headers=clerk, json={"received": 100_000}
    )
    assert cash.status_code == 200, cash.text
    return Sale(sid, number, clerk)


async def register_printer(
    admin: httpx.AsyncClient,
    sim: PrinterSim,
    *,
    code: str = "BO-1-P1",
    outlet: str = "BO-1",
    thermal: bool = True,
) -> None:
    made = await admin.post(
        f"{ADMIN}/printers",
        json={
            "code": code,
            "outlet": outlet,
            "name": "Kiosk printer",
            "host": "127.0.0.1",
            "port": sim.port,
            "thermal": thermal,
        },
    )
    assert made.status_code == 201, made.text


async def print_order(
    client: httpx.AsyncClient, sale: Sale, printer: str = "BO-1-P1"
) -> httpx.Response:
    return await client.post(
        f"{COUNTER}/orders/{sale.number}/print", headers=sale.clerk, json={"printer": printer}
    )


async def tickets(runtime: Runtime, number: str) -> list[Ticket]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await issue.tickets_of(uow, number)


async def keys(runtime: Runtime) -> dict[str, bytes]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return {k.kid: k.public_key for k in await issue.public_keys(uow)}


async def verified(runtime: Runtime, qr: str) -> qr_payload.TicketClaims:
    return qr_payload.verify(qr, await keys(runtime))[1]


async def production_status(runtime: Runtime, ticket_id: int) -> str | None:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await uow.session.scalar(
            select(TicketProduction.status).where(TicketProduction.ticket_id == ticket_id)
        )


async def log_results(runtime: Runtime, ticket_id: int) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.scalars(
            select(PrintLog.result).where(PrintLog.ticket_id == ticket_id).order_by(PrintLog.id)
        )
        return list(rows.all())
