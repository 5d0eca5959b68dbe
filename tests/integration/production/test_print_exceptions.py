"""Print exceptions (S7; issue 19, item 3, acceptance): a printer that drops the connection
mid-job leaves a print exception, not a ticket marked printed; resolving it by reprint voids
the old code (the gates' manifest revokes it) and leaves exactly one valid code, whose QR
carries the bumped reprint number. Confirming resolves without a new code; a ticket recorded
as printed that did not come out is reported by the counter."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import TEST_ACTOR
from tests.integration.production.print_world import (
    ADMIN,
    COUNTER,
    counter_sale,
    keys,
    log_results,
    print_order,
    production_status,
    register_printer,
    tickets,
    verified,
)

from admit.checkin import manifests, validation
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.production.models import PrintException
from admit.sims.printer import PrinterSim
from admit.ticketing.models import Ticket

pytestmark = pytest.mark.backends


async def _gate_verdict(runtime: Runtime, session_id: int, qr: str) -> validation.Verdict:
    """What an offline gate device decides for ``qr`` after downloading the manifest."""
    async with runtime.uow(TEST_ACTOR) as uow:
        doc = await manifests.document(
            uow, runtime.crypto, session_id=session_id, since=None, now=runtime.clock.now()
        )
    validator = validation.Validator(validation.Manifest.from_document(doc))
    return validator.check(qr, gate="MAIN", now=runtime.clock.now())


async def test_a_dropped_job_is_an_exception_and_a_reprint_leaves_one_valid_code(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    first, second = await tickets(runtime, sale.number)
    printer_sim.drop_next_job(after_bytes=40)  # the printer goes away mid-job

    out = await print_order(client, sale)
    assert out.status_code == 200, out.text
    (attempt,) = out.json()["tickets"]  # the second ticket is not sent to a failing printer
    assert (attempt["code"], attempt["result"]) == (first.code, "unacknowledged")
    assert attempt["exception_id"] is not None
    (job,) = printer_sim.jobs
    assert (job.complete, job.printed) == (False, False)
    # Not marked printed: the record says "exception", the log says what happened.
    assert await production_status(runtime, first.id) == "exception"
    assert await log_results(runtime, first.id) == ["unacknowledged"]
    assert await production_status(runtime, second.id) is None

    listed = await admin.get(f"{ADMIN}/print-exceptions", params={"status": "open"})
    (exception,) = listed.json()
    assert (exception["id"], exception["code"], exception["kind"], exception["status"]) == (
        attempt["exception_id"],
        first.code,
        "unacknowledged",
        "open",
    )
    # A disputed ticket is not printed again by the counter: only through its exception.
    retry = await print_order(client, sale)
    assert [t["result"] for t in retry.json()["tickets"]] == ["skipped", "printed"]
    assert await production_status(runtime, first.id) == "exception"

    old_qr = first.qr
    assert (await _gate_verdict(runtime, sale.session_id, old_qr)).result != "revoked"
    reprinted = await admin.post(
        f"{ADMIN}/print-exceptions/{exception['id']}/reprint",
        json={"printer": "BO-1-P1", "note": "stub torn off half-printed at the kiosk"},
    )
    assert reprinted.status_code == 200, reprinted.text
    body = reprinted.json()
    assert (body["old_code"], body["result"]) == (first.code, "printed")
    assert body["new_code"] != first.code
    assert (body["exception"]["status"], body["exception"]["resolution"]) == (
        "resolved",
        "reprinted",
    )

    # Exactly one valid code for the seat: the ticket row carries the new one.
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        codes = await uow.session.scalars(
            select(Ticket.code).where(Ticket.line_id == first.line_id, Ticket.status == "valid")
        )
        assert list(codes.all()) == [body["new_code"]]
        total = await uow.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.order_number == sale.number)
        )
        assert total == 2
    (now_first,) = [t for t in await tickets(runtime, sale.number) if t.id == first.id]
    claims = await verified(runtime, now_first.qr)
    assert (claims.code, claims.reprint) == (body["new_code"], 1)
    reprint_job = printer_sim.printed[-1]
    assert reprint_job.qr_codes == [now_first.qr]
    assert "Reprint 1" in reprint_job.text
    assert await production_status(runtime, first.id) == "printed"
    assert await log_results(runtime, first.id) == ["unacknowledged", "printed"]

    # The gate refuses the old code (revoked: reissued) and admits the new one.
    old = await _gate_verdict(runtime, sale.session_id, old_qr)
    assert (old.result, old.detail) == ("revoked", "reissued")
    new = await _gate_verdict(runtime, sale.session_id, now_first.qr)
    assert new.result not in ("revoked", "unknown", "forged")
    # Both payloads are genuine signatures: only the revocation tells them apart.
    assert (await verified(runtime, old_qr)).code == first.code
    assert set(await keys(runtime))

    again = await admin.post(
        f"{ADMIN}/print-exceptions/{exception['id']}/reprint",
        json={"printer": "BO-1-P1", "note": "twice"},
    )
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "print_exception_resolved"


async def test_a_reprint_that_fails_again_keeps_the_exception_about_the_new_code(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    first, _ = await tickets(runtime, sale.number)
    printer_sim.drop_next_job(after_bytes=10)
    exception_id = (await print_order(client, sale)).json()["tickets"][0]["exception_id"]
    printer_sim.drop_next_job(after_bytes=10)
    failed = await admin.post(
        f"{ADMIN}/print-exceptions/{exception_id}/reprint",
        json={"printer": "BO-1-P1", "note": "first try"},
    )
    assert failed.status_code == 200, failed.text
    body = failed.json()
    assert (body["result"], body["exception"]["status"]) == ("unacknowledged", "open")
    assert body["exception"]["code"] == body["new_code"] != first.code
    assert await production_status(runtime, first.id) == "exception"

    # Someone found the second stub in the tray: confirmed, no third code.
    confirmed = await admin.post(
        f"{ADMIN}/print-exceptions/{exception_id}/confirm",
        json={"note": "reprint came out, handed to the customer"},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["resolution"]) == ("resolved", "confirmed")
    assert await production_status(runtime, first.id) == "printed"
    (now_first,) = [t for t in await tickets(runtime, sale.number) if t.id == first.id]
    assert now_first.code == body["new_code"]
    assert (await verified(runtime, now_first.qr)).reprint == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        opened = await uow.session.scalar(
            select(func.count()).select_from(PrintException).where(PrintException.status == "open")
        )
    assert opened == 0


async def test_a_printed_ticket_that_did_not_come_out_is_reported_and_reprinted(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    printer_sim: PrinterSim,
) -> None:
    sale = await counter_sale(admin, client, runtime, clock)
    await register_printer(admin, printer_sim)
    assert (await print_order(client, sale)).status_code == 200
    first, second = await tickets(runtime, sale.number)
    reported = await client.post(
        f"{COUNTER}/orders/{sale.number}/print-exceptions",
        headers=sale.clerk,
        json={"code": first.code, "note": "paper jam: the stub is blank"},
    )
    assert reported.status_code == 201, reported.text
    assert (reported.json()["kind"], reported.json()["status"]) == ("reported_not_printed", "open")
    assert await production_status(runtime, first.id) == "exception"
    twice = await client.post(
        f"{COUNTER}/orders/{sale.number}/print-exceptions",
        headers=sale.clerk,
        json={"code": first.code, "note": "again"},
    )
    assert twice.status_code == 409, twice.text
    assert twice.json()["error"]["code"] == "ticket_not_printed"

    done = await admin.post(
        f"{ADMIN}/print-exceptions/{reported.json()['id']}/reprint",
        json={"printer": "BO-1-P1", "note": "reprinted at the kiosk"},
    )
    assert done.json()["result"] == "printed", done.text
    old = await _gate_verdict(runtime, sale.session_id, first.qr)
    assert (old.result, old.detail) == ("revoked", "reissued")
    assert await production_status(runtime, second.id) == "printed"
