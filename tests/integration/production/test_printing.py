"""Printing a counter sale's tickets at the outlet's printer (S7, G16; issue 19, item 3): a
ticket is printed only when the printer acknowledged it, every attempt is logged, paper out
sends nothing, and thermal tickets print only at designated terminals of the sale's outlet."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tests.integration.production.print_world import (
    ADMIN,
    COUNTER,
    counter_sale,
    log_results,
    print_order,
    production_status,
    register_printer,
    tickets,
    verified,
)
from tests.integration.sales.sale_factories import clerk_of

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.sims.printer import PrinterSim

pytestmark = pytest.mark.backends


async def test_tickets_are_printed_once_acknowledged_and_their_qr_verifies(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    done = await print_order(client, sale)
    assert done.status_code == 200, done.text
    issued = await tickets(runtime, sale.number)
    assert [(t["code"], t["result"]) for t in done.json()["tickets"]] == [
        (t.code, "printed") for t in issued
    ]
    # The simulator received one complete job per ticket; each QR is the ticket's and verifies.
    assert [j.complete and j.printed for j in printer_sim.jobs] == [True, True]
    for job, ticket in zip(printer_sim.jobs, issued, strict=True):
        (qr,) = job.qr_codes
        assert qr == ticket.qr
        claims = await verified(runtime, qr)
        assert (claims.code, claims.session_id, claims.reprint) == (ticket.code, sale.session_id, 0)
        # The middle dots of the label print from the printer's code page (CP437).
        assert ticket.code in job.text
        assert ticket.label.split(" · ")[-1] in job.text
        assert await production_status(runtime, ticket.id) == "printed"
        assert await log_results(runtime, ticket.id) == ["printed"]

    # Printed tickets are not printed twice (a second stub would admit twice).
    again = await print_order(client, sale)
    assert [t["result"] for t in again.json()["tickets"]] == ["skipped", "skipped"]
    assert len(printer_sim.jobs) == 2
    log = await admin.get(f"{ADMIN}/print-log", params={"order": sale.number})
    assert [r["result"] for r in log.json()] == ["printed", "printed"]


async def test_paper_out_prints_nothing_and_the_next_attempt_prints(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    printer_sim.paper_out = True
    out = await print_order(client, sale)
    assert out.status_code == 200, out.text
    (first,) = out.json()["tickets"]  # the second is not tried at a printer with no paper
    assert (first["result"], first["exception_id"]) == ("paper_out", None)
    assert printer_sim.jobs == []
    one, two = await tickets(runtime, sale.number)
    assert await production_status(runtime, one.id) == "unprinted"
    assert await log_results(runtime, one.id) == ["paper_out"]
    assert await log_results(runtime, two.id) == []
    exceptions = await admin.get(f"{ADMIN}/print-exceptions")
    assert exceptions.json() == []  # nothing was sent: nothing to dispute

    printer_sim.paper_out = False
    again = await print_order(client, sale)
    assert [t["result"] for t in again.json()["tickets"]] == ["printed", "printed"]
    assert await log_results(runtime, one.id) == ["paper_out", "printed"]


async def test_thermal_tickets_print_only_at_designated_terminals_of_the_outlet(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim, code="BO-1-PLAIN", thermal=False)
    # Not thermal yet: a plain printer prints it.
    marked = await admin.put(f"{ADMIN}/sessions/{sale.session_id}/thermal", json={"thermal": True})
    assert marked.json() == {"session_id": sale.session_id, "thermal": True}
    refused = await print_order(client, sale, "BO-1-PLAIN")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "not_thermal_terminal"
    assert printer_sim.jobs == []
    one, _ = await tickets(runtime, sale.number)
    assert await log_results(runtime, one.id) == []

    # Another outlet's designated printer is refused too; its clerk cannot print this sale.
    other = await admin.post(
        f"{ADMIN}/outlets", json={"channel": "box_office", "code": "BO-2", "name": "Gate B"}
    )
    assert other.status_code == 201, other.text
    await register_printer(admin, printer_sim, code="BO-2-P1", outlet="BO-2")
    elsewhere = await print_order(client, sale, "BO-2-P1")
    assert elsewhere.status_code == 409, elsewhere.text
    assert elsewhere.json()["error"]["code"] == "printer_at_another_outlet"
    stranger = await clerk_of(runtime, "BO-2", "kiosk2")
    forbidden = await client.post(
        f"{COUNTER}/orders/{sale.number}/print", headers=stranger, json={"printer": "BO-2-P1"}
    )
    assert forbidden.status_code == 403, forbidden.text
    missing = await print_order(client, sale, "NO-SUCH")
    assert missing.status_code == 404, missing.text

    # The outlet's designated terminal prints it; the counter page lists its printers.
    await register_printer(admin, printer_sim, code="BO-1-THERMAL")
    listed = await client.get(f"{COUNTER}/outlets/BO-1/printers", headers=sale.clerk)
    assert [p["code"] for p in listed.json()] == ["BO-1-PLAIN", "BO-1-THERMAL"]
    printed = await print_order(client, sale, "BO-1-THERMAL")
    assert [t["result"] for t in printed.json()["tickets"]] == ["printed", "printed"]
    off = await admin.patch(f"{ADMIN}/printers/{listed.json()[1]['id']}", json={"enabled": False})
    assert off.json()["enabled"] is False


async def test_two_counters_printing_one_sale_at_once_print_each_ticket_once(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    answers = await asyncio.gather(*(print_order(client, sale) for _ in range(4)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    results = [t for a in answers for t in a.json()["tickets"]]
    printed = sorted(t["code"] for t in results if t["result"] == "printed")
    assert printed == sorted(t.code for t in await tickets(runtime, sale.number))
    assert {t["result"] for t in results} <= {"printed", "skipped"}
    assert len(printer_sim.jobs) == 2
