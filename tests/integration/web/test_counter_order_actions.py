"""The counter's order page beyond cash (issue 19, items 1 and 3): the card terminal and the
agent's own collection pay and issue at once; the tickets print on the outlet's printer (the
printer simulator in process) and the page says how it went — printed, or the printer's
fault with nothing marked printed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.payments.models import Payment
from admit.production.models import TicketProduction
from admit.sims.printer import PrinterSim
from admit.ticketing import issue
from tests.conftest import TEST_ACTOR
from tests.integration.production.print_world import printer_sim, register_printer, verified
from tests.integration.sales.sale_factories import ROW_A, ROW_B
from tests.integration.web.counter_world import (
    counter_session,
    location,
    make_clerk,
    refusal_code,
    sign_in,
)

pytestmark = pytest.mark.backends
__all__ = ["printer_sim"]  # the fixture, used by name


async def _ordered(web: httpx.AsyncClient, sid: int, seats: list[str]) -> str:
    held = location(await web.post(f"/counter/sessions/{sid}/hold", data={"seat": seats}))
    return location(
        await web.post(f"{held}/order", data={"seat": seats, "ticket_type": ["adult"] * len(seats)})
    )


async def test_card_terminal_then_printing_on_the_outlets_printer(
    admin: httpx.AsyncClient,
    web: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=False)
    await register_printer(admin, printer_sim)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    ordered = await _ordered(web, sid, ROW_B[:2])
    number = ordered.rsplit("/", 1)[1]

    bad = await web.post(f"{ordered}/card", data={"reference": "no spaces allowed"})
    assert bad.status_code in (400, 422)
    assert location(await web.post(f"{ordered}/card", data={"reference": "POS-7781"})) == ordered
    paid = await web.get(ordered)
    assert paid.text.count("data-ticket=") == 2
    assert 'id="print-thermal"' in paid.text
    assert 'value="BO-1-P1"' in paid.text
    again = await web.post(f"{ordered}/card", data={"reference": "POS-7782"})
    assert (again.status_code, refusal_code(again)) == (409, "not_payable")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        payment = await uow.session.scalar(select(Payment).where(Payment.order_number == number))
        assert payment is not None
        assert (payment.method, payment.status, payment.outlet) == ("card", "captured", "BO-1")
        codes = {t.code for t in await issue.tickets_of(uow, number)}

    printed = location(await web.post(f"{ordered}/print", data={"printer": "BO-1-P1"}))
    assert printed == f"{ordered}?printed=2&printer=printed"
    assert 'data-result="printed"' in (await web.get(printed)).text
    # What came out of the printer: one ticket each, its QR signed and naming the ticket.
    assert len(printer_sim.printed) == 2
    qrs = [qr for job in printer_sim.printed for qr in job.qr_codes]
    assert {(await verified(runtime, qr)).code for qr in qrs} == codes
    # Printed already: nothing is sent twice.
    twice = location(await web.post(f"{ordered}/print", data={"printer": "BO-1-P1"}))
    assert twice == f"{ordered}?printed=0&printer=skipped"
    assert len(printer_sim.printed) == 2
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        states = await uow.session.scalars(select(TicketProduction.status))
        assert sorted(states) == ["printed", "printed"]


async def test_a_printer_dropping_the_job_is_said_on_the_page(
    admin: httpx.AsyncClient,
    web: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=False)
    await register_printer(admin, printer_sim)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    ordered = await _ordered(web, sid, ROW_A[:1])
    assert location(await web.post(f"{ordered}/cash", data={"received": "100"})).startswith(ordered)
    printer_sim.drop_next_job()
    dropped = location(await web.post(f"{ordered}/print", data={"printer": "BO-1-P1"}))
    assert dropped == f"{ordered}?printed=0&printer=unacknowledged"
    page = await web.get(dropped)
    assert 'data-result="unacknowledged"' in page.text
    assert "do not hand it out" in page.text
    assert printer_sim.printed == []


async def test_the_agents_own_collection_only_at_an_agents_outlet(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid, _ = await counter_session(admin, clock, real_name=False)
    await make_clerk(runtime, "kiosk1")
    await sign_in(web, "kiosk1")
    ordered = await _ordered(web, sid, ROW_B[:1])
    refused = await web.post(f"{ordered}/agent-collection", data={"reference": "AG-1"})
    assert (refused.status_code, refusal_code(refused)) == (409, "outlet_not_in_channel")
    assert 'id="take-cash"' in (await web.get(ordered)).text  # still to pay
