"""A payment gateway's statement reconciled with the ledger (issue 18 item 4; C5, A2, A3):
payments and a refund made through the bank simulator, its statement fetched by the worker
and on demand, and uploaded in the generic CSV with injected discrepancies — exactly those
become exceptions; resolving them (one with a correcting ledger entry) leaves the day
reconciled and the ledger balanced; a malformed upload is refused naming its rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
from sqlalchemy import select
from tests.conftest import T0, TEST_ACTOR
from tests.integration.sales.conftest import Bank, consistent  # noqa: F401  (autouse)
from tests.integration.sales.purchase_steps import one_seat_each, pay_each
from tests.integration.sales.sale_factories import ROW_A, customers_with_tokens, on_sale

from admit.core.audit import AuditEntry, PendingAudit
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.finance import statement_csv
from admit.finance.models import LedgerEntry
from admit.payments.gateway import StatementLine
from admit.payments.models import Payment
from admit.sales.refunds import request_refund

RECON = "/api/v1/admin/finance/reconciliation"
DAY = T0.date().isoformat()


async def _paid_day(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> tuple[list[str], str]:
    """Four orders paid through the bank on T0's day and the first one refunded: the payment
    numbers and the refund number."""
    sid = await on_sale(client, clock)
    buyers = await customers_with_tokens(runtime, 4)
    orders = await one_seat_each(client, sid, buyers, ROW_A[:4])
    await pay_each(client, bank, orders, buyers)
    await bank.settled()
    async with runtime.uow(TEST_ACTOR) as uow:
        payments = list((await uow.session.scalars(select(Payment).order_by(Payment.number))).all())
        assert [p.status for p in payments] == ["captured"] * 4
        refund = await request_refund(
            uow, payments[0], amount=payments[0].amount, reason="buyer", now=clock.now()
        )
        numbers, refund_no = [p.number for p in payments], refund.number
    await run_once(runtime)  # the refund job: the bank refunds, the ledger records it
    assert clock.now().date() == T0.date()
    return numbers, refund_no


async def _audited(runtime: Runtime, action: str) -> list[tuple[str, str]]:
    """(actor, entity) of the audit entries of ``action``, oldest first: those chained, then
    those still pending."""
    out: list[tuple[str, str]] = []
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        for model in (AuditEntry, PendingAudit):
            rows = await uow.session.execute(
                select(model.actor, model.entity_id)
                .where(model.action == action)
                .order_by(model.id)
            )
            out += [(str(a), str(e)) for a, e in rows.all()]
    return out


def _found(run: dict[str, object]) -> set[tuple[object, ...]]:
    return {
        (
            e["ref"],
            e["kind"],
            e["line_kind"],
            e["platform_amount"],
            e["partner_amount"],
            e["status"],
        )
        for e in run["exceptions"]  # type: ignore[attr-defined]
    }


async def test_the_worker_and_an_operator_fetch_the_statement_and_find_the_foreign_line(
    admin: httpx.AsyncClient, runtime: Runtime, bank: Bank, clock: FixedClock
) -> None:
    staff = {"Authorization": admin.headers["Authorization"]}
    numbers, refund_no = await _paid_day(admin, staff, runtime, clock, bank)
    ghost = {"trade_no": "T-ghost", "out_trade_no": "GHOST-1", "type": "pay", "amount": 1234}
    await bank.control(extra_statement_lines=[{**ghost, "time": f"{DAY}T09:30:00+00:00"}])

    early = await admin.post(f"{RECON}/gateways/bank/{DAY}", headers=staff)
    assert early.status_code == 400  # the day is not over
    clock.advance(timedelta(days=1))
    await run_once(runtime)  # the chore queues yesterday's run of every gateway
    await run_once(runtime)  # the job fetches the statement and compares
    run = (await admin.get(f"{RECON}/gateways/bank/{DAY}", headers=staff)).json()
    assert (run["status"], run["source"], run["lines"], run["matched"]) == (
        "done",
        "fetched",
        6,
        5,
    )
    assert _found(run) == {("GHOST-1", "missing_on_platform", "pay", None, 1234, "open")}
    assert run["partner_total"] == run["platform_total"] + 1234
    assert not run["reconciled"]

    again = await admin.post(f"{RECON}/gateways/bank/{DAY}", headers=staff)  # on demand
    assert again.status_code == 200, again.text
    assert (again.json()["matched"], again.json()["open_exceptions"]) == (5, 1)
    assert len(again.json()["exceptions"]) == 1
    await bank.control(extra_statement_lines=[])  # the bank withdraws the line
    cleared = (await admin.post(f"{RECON}/gateways/bank/{DAY}", headers=staff)).json()
    assert _found(cleared) == {("GHOST-1", "missing_on_platform", "pay", None, 1234, "cleared")}
    assert cleared["reconciled"]
    runs = await _audited(runtime, "reconciliation.run")  # none of the empty day before
    assert [e for _, e in runs] == [f"gateway:bank/{DAY}"] * 3
    assert runs[0][0] == "system:admit"  # the worker
    assert runs[1][0].startswith("staff:")  # then an operator


async def test_a_statement_with_injected_discrepancies_reports_exactly_those_and_resolves(
    admin: httpx.AsyncClient, runtime: Runtime, bank: Bank, clock: FixedClock
) -> None:
    staff = {"Authorization": admin.headers["Authorization"]}
    numbers, refund_no = await _paid_day(admin, staff, runtime, clock, bank)
    clock.advance(timedelta(days=1))
    true_lines = await bank.gateway.statement(T0.date())
    assert sorted(ln.out_refund_no or ln.out_trade_no for ln in true_lines) == sorted(
        [*numbers, refund_no]
    )
    by_ref = {ln.out_refund_no or ln.out_trade_no: ln for ln in true_lines}
    dropped, changed, doubled = numbers[1], numbers[2], numbers[3]
    extra = StatementLine("T-extra", "NOT-OURS-1", "pay", 777, 5, T0 + timedelta(hours=3), None)
    lines = [
        replace(ln, amount=ln.amount - 500) if ln is by_ref[changed] else ln
        for ln in true_lines
        if ln is not by_ref[dropped]
    ] + [by_ref[doubled], extra]
    upload = statement_csv.write("bank", lines)
    url = f"{RECON}/gateways/bank/{DAY}/statement"
    csv_headers = {**staff, "Content-Type": "text/csv"}

    bad = upload.replace(",pay,", ",paid,", 1) + "bank,T-9,X,pay,-5,0,yesterday,\n"
    refused = await admin.post(url, content=bad, headers=csv_headers)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "malformed_statement"
    assert [r["row"] for r in error["details"]["rows"]] == [1, len(lines) + 1]
    nothing = await admin.get(f"{RECON}/gateways/bank/{DAY}", headers=staff)
    assert nothing.json()["error"]["code"] == "not_reconciled"  # nothing was stored

    done = await admin.post(url, content=upload, headers=csv_headers)
    assert done.status_code == 200, done.text
    run = done.json()
    amount = {ln.out_trade_no: ln.amount for ln in true_lines if ln.kind == "pay"}
    assert _found(run) == {
        (dropped, "missing_at_gateway", "pay", amount[dropped], None, "open"),
        ("NOT-OURS-1", "missing_on_platform", "pay", None, 777, "open"),
        (changed, "amount_differs", "pay", amount[changed], amount[changed] - 500, "open"),
        (doubled, "duplicate_at_gateway", "pay", amount[doubled], amount[doubled], "open"),
    }
    assert (run["source"], run["matched"], run["open_exceptions"], run["reconciled"]) == (
        "uploaded",
        2,  # the refunded payment and its refund
        4,
        False,
    )
    assert run["partner_total"] - run["platform_total"] == (
        -amount[dropped] + 777 - 500 + amount[doubled]
    )
    ids = {e["kind"]: e["id"] for e in run["exceptions"]}

    async def resolve(kind: str, **body: object) -> httpx.Response:
        return await admin.post(
            f"{RECON}/exceptions/{ids[kind]}/resolve",
            json={"note": "checked", **body},
            headers=staff,
        )

    no_owner = await resolve("missing_on_platform", adjust=True)
    assert no_owner.json()["error"]["code"] == "organiser_required"
    fixed = await resolve("amount_differs", adjust=True, note="bank short-paid; claim 88 filed")
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["adjustment"], fixed.json()["resolved_by"]) == (
        "resolved",
        -500,
        "root",
    )
    assert (await resolve("amount_differs", adjust=True)).json()["error"]["code"] == (
        "already_resolved"
    )
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        organiser = await uow.session.scalar(select(Payment.organiser_id).limit(1))
    foreign = await resolve("missing_on_platform", adjust=True, organiser_id=organiser)
    assert foreign.json()["adjustment"] == 777  # the bank holds it: into suspense to refund
    for kind in ("missing_at_gateway", "duplicate_at_gateway"):
        assert (await resolve(kind)).status_code == 200

    day = (await admin.get(f"{RECON}/gateways/bank/{DAY}", headers=staff)).json()
    assert (day["open_exceptions"], day["reconciled"]) == (0, True)
    balances = (await admin.get("/api/v1/admin/finance/ledger/balances", headers=staff)).json()
    assert (balances["total"], balances["unbalanced_entries"]) == (0, [])
    assert balances["accounts"]["suspense:reconciliation"] == 500 - 777
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        adjusts = (
            await uow.session.scalars(
                select(LedgerEntry.ref)
                .where(LedgerEntry.kind == "recon_adjust")
                .order_by(LedgerEntry.id)
            )
        ).all()
    assert adjusts == [str(ids["amount_differs"]), str(ids["missing_on_platform"])]
    resolutions = await _audited(runtime, "reconciliation.exception_resolved")
    assert sorted(e for _, e in resolutions) == sorted(str(i) for i in ids.values())

    rerun = (await admin.post(url, content=upload, headers=csv_headers)).json()
    assert {e["status"] for e in rerun["exceptions"]} == {"resolved"}  # kept, not reopened
    assert rerun["reconciled"]
    listed = await admin.get(
        f"{RECON}/runs", params={"counterparty": "gateway:", "reconciled": "true"}, headers=staff
    )
    assert [(r["counterparty"], r["day"]) for r in listed.json()] == [("gateway:bank", DAY)]
