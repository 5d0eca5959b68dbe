"""Settlement runs and agreements over the API and the CLI's service (A1, OPS6, C4): a period
settled twice posts once and answers the same statement (CSV, PDF), refused inputs have their
codes, the permission is checked, printers and clients get their shares, a refund of a settled
period is carried into the next one, the daily bill still matches the ledger after a
settlement, and the scheduled sweeper settles a due period once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import httpx
from sqlalchemy import func, select
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.sales.sale_factories import customers_with_ids
from tests.integration.settlement import settle_world as w

from admit.accounts import staff
from admit.accounts.models import StaffUser
from admit.clients.models import Client, ClientCustomer
from admit.core.clock import FixedClock
from admit.core.permissions import Grant, Role
from admit.core.runtime import Runtime
from admit.finance import ledger
from admit.finance.models import LedgerEntry
from admit.sales.models import Order, Pickup
from admit.settlement import schedule

S = "/api/v1/admin/settlement"
DAY = (T0 + timedelta(days=1)).date()


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def entries(runtime: Runtime) -> int:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


async def token(runtime: Runtime, role: Role, name: str) -> dict[str, str]:
    async with runtime.uow(TEST_ACTOR) as uow:
        user = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(username=name, password=ROOT_PASSWORD, grants=[Grant(role)]),
            now=T0,
        )
        issued = await staff.issue_token(uow, staff_id=user.id, lifetime=timedelta(days=30), now=T0)
    return {"Authorization": f"Bearer {issued.token}"}


async def agree(admin: httpx.AsyncClient, **body: object) -> dict:  # type: ignore[type-arg]
    made = await admin.post(f"{S}/agreements", json={"valid_from": str(DAY), **body})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


async def test_a_period_settles_once_with_the_same_statements(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    stage = await w.stage(admin, runtime, clock)
    org = await w.organiser(runtime, T0)
    agent = await w.outlet(runtime, "agent", T0)
    await agree(admin, organiser_id=org, kind="organiser", cadence="daily")
    await agree(admin, organiser_id=org, kind="platform", percent_bp=300)
    await agree(admin, organiser_id=org, kind="agent", party=agent, percent_bp=1000, per_ticket=50)

    async def sale(outlet: str | None, method: str, outcome: str = "captured") -> str:
        return await w.sale(
            runtime,
            stage,
            organiser_id=org,
            outlet=outlet,
            method=method,
            tickets=2,
            price=5000,
            at=at(DAY),
            outcome=outcome,
        )

    await sale(None, "bank")
    cash = await sale(agent, "cash")
    await sale(agent, "bank", "declined")
    await w.refund(runtime, cash, amount=1001, at=at(DAY, 11), done=at(DAY, 11))
    clock.advance(at(DAY + timedelta(days=1), 1) - clock.now())
    body = {"organiser_id": org, "start": str(DAY), "end": str(DAY + timedelta(days=1))}

    first = await admin.post(f"{S}/runs", json=body)
    assert first.status_code == 200, first.text
    run = first.json()
    assert (run["gross"], run["refunded"], run["currency"]) == (20_000, 1001, "CNY")
    shares = {f"{s['kind']}:{s['party']}": s for s in run["shares"]}
    # Agent: 10 % of (10 000 − 1 001) = 899.9 → 900, plus 2 tickets × 50; platform 3 % of
    # 18 999 = 569.97 → 570; the organiser the rest: 18 999 − 1 000 − 570.
    assert shares[f"agent:{agent}"]["amount"] == 1000
    assert shares["platform:fees"]["amount"] == 570
    assert shares[f"organiser:{org}"]["amount"] == 18_999 - 1000 - 570
    assert shares["customer:refunds"]["amount"] == 0
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        balances = await ledger.balances(uow, organiser_id=org)
        bill_day = DAY
    assert balances[f"agent:{agent}:payable"] == -1000
    assert balances["platform:fees"] == -570
    assert balances[ledger.payable_account(org)] == -(18_999 - 1570)
    posted = await entries(runtime)

    again = await admin.post(f"{S}/runs", json=body)
    assert again.json() == run  # the same run, nothing posted again
    assert await entries(runtime) == posted
    share = shares[f"agent:{agent}"]
    url = f"{S}/runs/{run['id']}/statements/{share['id']}"
    csv1, csv2 = (await admin.get(url + ".csv")).text, (await admin.get(url + ".csv")).text
    assert csv1 == csv2
    for line in (
        f"party,agent:{agent}",
        "gross,10000",
        "refunded,1001",
        "net,8999",
        "tickets,2",
        "percent_bp,1000",
        "per_ticket,50",
        "amount,1000",
        f"ledger_entry,{share['entry_ref']}",
    ):
        assert f"\n{line}\n" in csv1
    pdf = await admin.get(url + ".pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (await admin.get(url + ".pdf")).content == pdf.content
    assert (await admin.get(f"{S}/runs/{run['id']}/statements/999999.csv")).status_code == 404
    # The day's bill counts captures and refunds only: still equal to the ledger.
    bill = (await admin.get(f"/api/v1/admin/finance/bills/{org}/{bill_day}")).json()
    assert bill["matches_ledger"] is True
    assert bill["net"] == 18_999
    listed = (await admin.get(f"{S}/runs", params={"organiser_id": org})).json()
    assert [r["id"] for r in listed] == [run["id"]]


async def test_refused_inputs_have_their_codes(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    org = await w.organiser(runtime, T0)
    agent = await w.outlet(runtime, "agent", T0)
    made = await agree(admin, organiser_id=org, kind="agent", party=agent, percent_bp=500)

    async def refused(path: str, body: dict[str, object], status: int, code: str) -> None:
        got = await admin.post(f"{S}/{path}", json=body)
        assert (got.status_code, got.json().get("error", {}).get("code")) == (status, code), (
            path,
            body,
            got.text,
        )

    base = {"organiser_id": org, "valid_from": str(DAY)}
    await refused("agreements", {**base, "kind": "agent", "party": "NOPE"}, 400, "invalid_input")
    await refused(
        "agreements",
        {**base, "kind": "agent", "party": agent, "percent_bp": 10_001},
        422,
        "invalid_request",
    )
    await refused("agreements", {**base, "kind": "dealer"}, 422, "invalid_request")
    await refused("agreements", {**base, "kind": "organiser"}, 400, "invalid_input")  # cadence
    await refused(
        "agreements", {**base, "kind": "platform", "cadence": "daily"}, 400, "invalid_input"
    )
    await refused(
        "agreements",
        {**base, "kind": "printer", "party": "P1", "outlet": "NOPE"},
        400,
        "invalid_input",
    )
    await refused("agreements", {**base, "kind": "client", "party": "999"}, 400, "invalid_input")
    await refused(
        "agreements", {**base, "organiser_id": 999_999, "kind": "platform"}, 404, "not_found"
    )
    await refused(
        "agreements",
        {**base, "kind": "platform", "valid_until": str(DAY)},
        400,
        "invalid_input",
    )
    later = {**base, "valid_from": str(DAY + timedelta(days=5))}
    await refused(
        "agreements", {**later, "kind": "agent", "party": agent}, 409, "agreement_overlaps"
    )
    ended = await admin.post(
        f"{S}/agreements/{made['id']}/end", json={"until": str(DAY + timedelta(days=3))}
    )
    assert ended.status_code == 200, ended.text
    await agree(admin, **{**later, "kind": "agent", "party": agent, "percent_bp": 700})
    await refused(
        f"agreements/{made['id']}/end",
        {"until": str(DAY + timedelta(days=4))},
        400,
        "invalid_input",  # never lengthened
    )
    await refused("agreements/999999/end", {"until": str(DAY)}, 404, "not_found")

    clock.advance(at(DAY + timedelta(days=2), 1) - clock.now())
    run = {"organiser_id": org, "start": str(DAY), "end": str(DAY + timedelta(days=1))}
    await refused("runs", {**run, "end": str(DAY)}, 400, "invalid_input")
    await refused("runs", {**run, "end": str(DAY + timedelta(days=3))}, 409, "period_open")
    await refused("runs", {**run, "organiser_id": 999_999}, 404, "not_found")
    assert (await admin.post(f"{S}/runs", json=run)).status_code == 200
    await refused("runs", {**run, "end": str(DAY + timedelta(days=2))}, 409, "period_overlaps")
    # An agreement cannot be ended before a period settled under it.
    next_day = {**run, "start": run["end"], "end": str(DAY + timedelta(days=2))}
    assert (await admin.post(f"{S}/runs", json=next_day)).status_code == 200
    await refused(
        f"agreements/{made['id']}/end",
        {"until": str(DAY + timedelta(days=1))},
        409,
        "agreement_settled",
    )
    listed = (await admin.get(f"{S}/agreements", params={"organiser_id": org})).json()
    assert [(a["percent_bp"], a["valid_until"]) for a in listed] == [
        (500, str(DAY + timedelta(days=3))),
        (700, None),
    ]


async def test_settling_needs_the_settlement_permission(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    org = await w.organiser(runtime, T0)
    body = {"organiser_id": org, "kind": "platform", "valid_from": str(DAY)}
    manager = await token(runtime, Role.BUSINESS_MANAGER, "manager")
    ops = await token(runtime, Role.TICKET_OPS, "ops")
    anonymous = await client.post(f"{S}/agreements", json=body, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert (await client.post(f"{S}/agreements", json=body, headers=ops)).status_code == 403
    assert (
        await client.get(f"{S}/agreements", params={"organiser_id": org}, headers=ops)
    ).status_code == 403
    made = await client.post(f"{S}/agreements", json=body, headers=manager)
    assert made.status_code == 201, made.text
    assert made.json()["created_by"] == "manager"


async def test_printers_and_clients_get_their_shares_and_refunds_carry_forward(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    stage = await w.stage(admin, runtime, clock)
    org = await w.organiser(runtime, T0)
    counter = await w.outlet(runtime, "box_office", T0)
    agent = await w.outlet(runtime, "agent", T0)
    ((customer_id, _),) = await customers_with_ids(runtime, 1)
    async with runtime.uow(TEST_ACTOR) as uow:
        client_row = Client(name="Sponsor", created_at=T0)
        uow.session.add(client_row)
        await uow.session.flush()
        uow.session.add(ClientCustomer(client_id=client_row.id, customer_id=customer_id))
        client_id = client_row.id
    await agree(
        admin, organiser_id=org, kind="printer", party="PRN-1", outlet=counter, per_ticket=20
    )
    await agree(admin, organiser_id=org, kind="client", party=str(client_id), percent_bp=500)
    await agree(admin, organiser_id=org, kind="agent", party=agent, percent_bp=1000)
    picked = await w.sale(
        runtime,
        stage,
        organiser_id=org,
        outlet=None,
        method="bank",
        tickets=3,
        price=1000,
        at=at(DAY),
    )
    await w.sale(
        runtime,
        stage,
        organiser_id=org,
        outlet=None,
        method="bank",
        tickets=1,
        price=4001,
        at=at(DAY),
        buyer=f"customer:{customer_id}",
    )
    sold = await w.sale(
        runtime,
        stage,
        organiser_id=org,
        outlet=agent,
        method="bank",
        tickets=1,
        price=2000,
        at=at(DAY),
    )
    async with runtime.uow(TEST_ACTOR) as uow:
        order_id = await uow.session.scalar(select(Order.id).where(Order.paid_by == picked))
        root = await uow.session.scalar(select(func.min(StaffUser.id)))
        uow.session.add(
            Pickup(
                order_id=order_id,
                person_key="k",
                outlet=counter,
                staff_id=root,
                created_at=at(DAY, 12),
            )
        )
    clock.advance(at(DAY + timedelta(days=2), 1) - clock.now())
    one = {"organiser_id": org, "start": str(DAY), "end": str(DAY + timedelta(days=1))}
    first = (await admin.post(f"{S}/runs", json=one)).json()
    got = {f"{s['kind']}:{s['party']}": s["amount"] for s in first["shares"]}
    assert got["printer:PRN-1"] == 60  # 3 tickets picked up at its counter × 20
    assert got[f"client:{client_id}"] == 200  # 5 % of 4 001 = 200.05
    assert got[f"agent:{agent}"] == 200
    assert got[f"organiser:{org}"] == 3000 + 4001 + 2000 - 60 - 200 - 200
    # The agent's sale is refunded the next day, after its day was settled: the next
    # period carries it, and the agent gives its commission back there.
    await w.refund(
        runtime, sold, amount=2000, at=at(DAY + timedelta(days=1)), done=at(DAY + timedelta(days=1))
    )
    two = {**one, "start": one["end"], "end": str(DAY + timedelta(days=2))}
    second = (await admin.post(f"{S}/runs", json=two)).json()
    got = {f"{s['kind']}:{s['party']}": s for s in second["shares"]}
    assert (got[f"agent:{agent}"]["refunded"], got[f"agent:{agent}"]["amount"]) == (2000, -200)
    assert got[f"organiser:{org}"]["amount"] == -2000 + 200
    assert got[f"agent:{agent}"]["entry_ref"]  # posted: the agent owes it back
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        balances = await ledger.balances(uow, organiser_id=org)
        assert await ledger.unbalanced_entries(uow) == []
    assert balances.get(f"agent:{agent}:payable", 0) == 0
    assert balances["printer:PRN-1:payable"] == -60
    assert balances[f"client:{client_id}:payable"] == -200
    assert sum(balances.values()) == 0


async def test_the_scheduler_settles_a_due_period_once(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    stage = await w.stage(admin, runtime, clock)
    org = await w.organiser(runtime, T0)
    await agree(admin, organiser_id=org, kind="organiser", cadence="weekly")
    await agree(admin, organiser_id=org, kind="platform", percent_bp=250)
    await w.sale(
        runtime,
        stage,
        organiser_id=org,
        outlet=None,
        method="bank",
        tickets=1,
        price=10_000,
        at=at(DAY + timedelta(days=1)),
    )
    monday = DAY + timedelta(days=14 - DAY.weekday())
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await schedule.settle_due(uow, at(monday, 0)) == 1
    async with runtime.uow(TEST_ACTOR) as uow:
        assert await schedule.settle_due(uow, at(monday, 5)) == 0
    runs = (await admin.get(f"{S}/runs", params={"organiser_id": org})).json()
    assert [(r["period_start"], r["period_end"], r["trigger"]) for r in runs] == [
        (str(monday - timedelta(days=7)), str(monday), "scheduled")
    ]
