"""Daily reconciliation with each cinema (C5, A2, A3) and the cinemas' read-only bills (C4):
a day with injected discrepancies reports exactly those; exceptions are resolved with a note
and stay resolved when the day is run again; the worker reconciles yesterday by itself."""

from __future__ import annotations

from datetime import timedelta

import httpx

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from tests.conftest import T0
from tests.integration.partners.conftest import CinemaSim
from tests.integration.partners.partner_flows import API, buy, first_session, work
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import customers_with_tokens

DAY = T0.date().isoformat()


async def _cinema_ids(admin: httpx.AsyncClient, staff: dict[str, str]) -> dict[str, int]:
    found = (await admin.get(f"{API}/admin/partners/cinemas", headers=staff)).json()
    return {c["code"]: c["id"] for c in found}


def _found(run: dict[str, object]) -> set[tuple[object, ...]]:
    return {
        (e["order_no"], e["kind"], e["platform_amount"], e["partner_amount"], e["status"])
        for e in run["exceptions"]  # type: ignore[attr-defined]
    }


async def test_a_day_with_injected_discrepancies_reports_exactly_those(
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
    clock: FixedClock,
) -> None:
    staff = dict(admin.headers)
    sid, _ = await first_session(runtime, admin)
    ann, bob, cai = await customers_with_tokens(runtime, 3, first=1)
    admin.headers.pop("Authorization")
    dropped = await buy(admin, bank, sid, ann, ["L1-HALL-A-1", "L1-HALL-A-2"], "one")
    changed = await buy(admin, bank, sid, bob, ["L1-HALL-B-1"], "two")
    kept = await buy(admin, bank, sid, cai, ["L1-HALL-H-1"], "three")  # a VIP seat
    await work(runtime)
    await cinema.control(
        report_drop=[dropped],
        report_amounts={changed: 4000},
        report_extra=[
            {"cinema": "C001", "order_no": "PHANTOM-1", "amount": 6500, "at": T0.isoformat()}
        ],
    )
    ids = await _cinema_ids(admin, staff)

    too_soon = await admin.post(
        f"{API}/admin/partners/cinemas/{ids['C001']}/reconciliations/{DAY}", headers=staff
    )
    assert too_soon.status_code == 400  # the day is not over

    clock.advance(timedelta(days=1))
    await work(runtime, rounds=2)  # the worker reconciles yesterday for every cinema
    run = (
        await admin.get(
            f"{API}/admin/partners/cinemas/{ids['C001']}/reconciliations/{DAY}", headers=staff
        )
    ).json()
    assert (run["status"], run["matched"], run["open_exceptions"]) == ("done", 1, 3)
    assert (run["platform_total"], run["partner_total"]) == (9000 + 4500 + 6500, 4000 + 6500 + 6500)
    assert _found(run) == {
        (dropped, "missing_at_cinema", 9000, None, "open"),
        (changed, "amount_differs", 4500, 4000, "open"),
        ("PHANTOM-1", "missing_on_platform", None, 6500, "open"),
    }
    assert kept not in {e["order_no"] for e in run["exceptions"]}
    other = (
        await admin.get(
            f"{API}/admin/partners/cinemas/{ids['C002']}/reconciliations/{DAY}", headers=staff
        )
    ).json()
    assert (other["matched"], other["exceptions"]) == (0, [])

    (amount,) = [e for e in run["exceptions"] if e["order_no"] == changed]
    empty = await admin.post(
        f"{API}/admin/partners/exceptions/{amount['id']}/resolve", json={"note": " "}, headers=staff
    )
    assert empty.status_code == 400
    resolved = await admin.post(
        f"{API}/admin/partners/exceptions/{amount['id']}/resolve",
        json={"note": "cinema applied a member discount; credit note 17 agreed"},
        headers=staff,
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == ("resolved", "root")
    twice = await admin.post(
        f"{API}/admin/partners/exceptions/{amount['id']}/resolve", json={"note": "x"}, headers=staff
    )
    assert twice.json()["error"]["code"] == "already_resolved"

    await cinema.control(report_drop=[])  # the cinema's report now has the missing order
    again = await admin.post(
        f"{API}/admin/partners/cinemas/{ids['C001']}/reconciliations/{DAY}", headers=staff
    )
    assert again.status_code == 200, again.text
    assert (again.json()["matched"], again.json()["open_exceptions"]) == (2, 1)
    assert _found(again.json()) == {
        (dropped, "missing_at_cinema", 9000, None, "cleared"),
        (changed, "amount_differs", 4500, 4000, "resolved"),
        ("PHANTOM-1", "missing_on_platform", None, 6500, "open"),
    }
    open_ones = (
        await admin.get(
            f"{API}/admin/partners/exceptions", params={"status": "open"}, headers=staff
        )
    ).json()
    assert [e["order_no"] for e in open_ones] == ["PHANTOM-1"]


async def test_a_cinemas_daily_bill_lists_what_it_confirmed_and_cannot_be_changed(
    admin: httpx.AsyncClient, runtime: Runtime, cinema: CinemaSim, bank: Bank
) -> None:
    staff = dict(admin.headers)
    sid, code = await first_session(runtime, admin)
    ann, bob = await customers_with_tokens(runtime, 2, first=1)
    admin.headers.pop("Authorization")
    first = await buy(admin, bank, sid, ann, ["L1-HALL-A-1", "L1-HALL-A-2"], "one")
    second = await buy(admin, bank, sid, bob, ["L1-HALL-H-3"], "two")
    await work(runtime)
    sold = {o["order_no"]: o["order_code"] for o in await cinema.orders()}
    cid = (await _cinema_ids(admin, staff))["C001"]

    bill = (
        await admin.get(f"{API}/admin/partners/cinemas/{cid}/bills/{DAY}", headers=staff)
    ).json()
    assert (bill["cinema"], bill["orders"], bill["tickets"], bill["total"]) == (
        "Lumière Riverside",
        2,
        3,
        9000 + 6500,
    )
    assert [(ln["order_number"], ln["cinema_order"], ln["amount"]) for ln in bill["lines"]] == [
        (first, sold[first], 9000),
        (second, sold[second], 6500),
    ]
    assert all(ln["session"].startswith(code) for ln in bill["lines"])
    csv = await admin.get(f"{API}/admin/partners/cinemas/{cid}/bills/{DAY}.csv", headers=staff)
    assert (
        csv.text.splitlines()[0] == "confirmed_at,order_number,cinema_order,session,tickets,amount"
    )
    assert csv.text.splitlines()[-1] == "total,,,,3,15500"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        changed = await admin.request(
            method, f"{API}/admin/partners/cinemas/{cid}/bills/{DAY}", headers=staff
        )
        assert changed.status_code == 405
    other_day = (
        await admin.get(f"{API}/admin/partners/cinemas/{cid}/bills/2026-11-21", headers=staff)
    ).json()
    assert (other_day["orders"], other_day["total"], other_day["lines"]) == (0, 0, [])
    assert (
        await admin.get(f"{API}/admin/partners/cinemas/999/bills/{DAY}", headers=staff)
    ).status_code == 404
