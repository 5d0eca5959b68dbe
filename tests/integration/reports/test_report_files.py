"""The reports as files and pages: CSV and XLSX with the JSON's rows (the XLSX read back with
openpyxl), one day's bill as XLSX, the page with one SVG bar per row and links to the files;
an organiser's reports refused to staff of another organiser and to staff without
``finance.read``; bad parameters answered 4xx with a code. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR
from tests.integration.reports.conftest import PERIOD
from tests.integration.reports.report_world import ADMIN, MONDAY, SUNDAY, History

from admit.accounts import staff
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from admit.reports.exports import XLSX

pytestmark = pytest.mark.backends
HEADER = ["day", "label", "payments", "paid", "refunds", "refunded", "net", "tickets"]
ROWS = [
    [SUNDAY, SUNDAY, 3, 33000, 0, 0, 33000, 5],
    [MONDAY, MONDAY, 1, 8000, 1, 8000, 0, 1],
]
TOTAL = ["total", "2 rows", 4, 41000, 1, 8000, 33000, 6]


def url(history: History, name: str) -> str:
    return f"{ADMIN}/reports/{history.organiser_id}/{name}"


async def test_csv_and_xlsx_hold_the_report(admin: httpx.AsyncClient, history: History) -> None:
    params = {**PERIOD, "by": "day"}
    got = await admin.get(url(history, "revenue.csv"), params=params)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(got.text)))
    assert lines == [HEADER, *[[str(v) for v in r] for r in ROWS], [str(v) for v in TOTAL]]

    book = await admin.get(url(history, "revenue.xlsx"), params=params)
    assert book.status_code == 200, book.text
    assert book.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(book.content), read_only=True)["revenue"]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["Revenue by day", "2026-11-01 to 2026-11-30"]
    assert cells[1:] == [HEADER, *ROWS, TOTAL]  # amounts are numbers, not text

    ranked = await admin.get(url(history, "sellers.xlsx"), params={**PERIOD, "by": "staff"})
    sheet = load_workbook(io.BytesIO(ranked.content), read_only=True)["sellers"]
    assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)][1][1:3] == [
        "kiosk1",
        16000,
    ]


async def test_one_days_bill_as_xlsx(admin: httpx.AsyncClient, history: History) -> None:
    got = await admin.get(f"{ADMIN}/reports/{history.organiser_id}/bills/{MONDAY}.xlsx")
    assert got.status_code == 200, got.text
    sheet = load_workbook(io.BytesIO(got.content), read_only=True).active
    assert sheet is not None
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["time", "type", "reference", "order", "method", "amount"]
    assert sorted((r[1], r[4], r[5]) for r in cells[1:3]) == [
        ("pay", "cash", 8000),
        ("refund", "cash", -8000),
    ]
    assert {r[0]: r[1] for r in cells[4:]} == {
        "paid": 8000,
        "refunded": 8000,
        "net": 0,
        "ledger_net": 0,
    }


async def test_the_page_draws_a_bar_per_row(admin: httpx.AsyncClient, history: History) -> None:
    got = await admin.get(url(history, "revenue.html"), params={**PERIOD, "by": "day"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/html")
    assert got.headers["content-security-policy"]  # the same headers as every response
    page = got.text
    svg = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svg) == 1
    assert len(re.findall(r'<rect class="bar"', svg[0])) == 2
    assert f"<title>{SUNDAY}: 33000</title>" in svg[0]
    assert f"<td>{MONDAY}</td>" in page
    assert "revenue.csv?from=2026-11-01&amp;to=2026-11-30&amp;by=day" in page
    assert "revenue.xlsx?" in page
    # Nothing the strict content security policy blocks.
    assert re.findall(r"<script", page) == []
    assert re.findall(r"\s(?:style|on[a-z]+)\s*=", page) == []
    channels = await admin.get(url(history, "revenue.html"), params={**PERIOD, "by": "channel"})
    assert len(re.findall(r'<rect class="bar"', channels.text)) == 2
    bills = await admin.get(url(history, "bills.html"), params=PERIOD)
    assert f"/finance/bills/{history.organiser_id}/{MONDAY}" in bills.text
    assert f"/reports/{history.organiser_id}/bills/{MONDAY}.xlsx" in bills.text


async def _manager_of(runtime: Runtime, organiser_id: int, username: str) -> dict[str, str]:
    async with runtime.uow(TEST_ACTOR) as uow:
        user = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username=username,
                password=ROOT_PASSWORD,
                grants=[Grant(Role.BUSINESS_MANAGER, ScopeKind.ORGANISER, str(organiser_id))],
            ),
            now=runtime.clock.now(),
        )
        token = await staff.issue_token(
            uow, staff_id=user.id, now=runtime.clock.now(), lifetime=timedelta(hours=8)
        )
    return {"Authorization": f"Bearer {token.token}"}


async def test_only_finance_staff_of_the_organiser_read_its_reports(
    client: httpx.AsyncClient, runtime: Runtime, history: History
) -> None:
    own = await _manager_of(runtime, history.organiser_id, "manager1")
    other = await _manager_of(runtime, history.organiser_id + 1000, "manager2")
    for name in ("revenue", "revenue.csv", "revenue.xlsx", "revenue.html", "sellers"):
        assert (await client.get(url(history, name), params=PERIOD, headers=own)).status_code == 200
        refused = await client.get(url(history, name), params=PERIOD, headers=other)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden"), name
        kiosk = await client.get(url(history, name), params=PERIOD, headers=history.clerk)
        assert kiosk.status_code == 403, name
        anonymous = await client.get(
            url(history, name), params=PERIOD, headers={"Authorization": ""}
        )
        assert anonymous.status_code == 401, name
    bill = await client.get(url(history, f"bills/{MONDAY}.xlsx"), headers=other)
    assert bill.status_code == 403


@pytest.mark.parametrize(
    ("name", "params", "status", "code"),
    [
        ("revenue", {"by": "fortnight"}, 422, "invalid_request"),
        ("revenue", {"by": "staff"}, 400, "report_dimension_invalid"),
        ("audience", {"by": "day"}, 400, "report_dimension_invalid"),
        ("revenue", {"from": "2026-11-30", "to": "2026-11-01"}, 400, "report_period_invalid"),
        ("revenue", {"from": "2000-01-01", "to": "2026-11-01"}, 400, "report_period_invalid"),
        ("revenue", {"from": "yesterday"}, 422, "invalid_request"),
        ("revenue.csv", {"to": None}, 422, "invalid_request"),
        ("sellers", {"limit": "0"}, 422, "invalid_request"),
        ("sellers.html", {"rank": "charm"}, 422, "invalid_request"),
        ("profits", {}, 422, "invalid_request"),
        ("profits.xlsx", {}, 422, "invalid_request"),
    ],
)
async def test_bad_parameters_are_refused_with_a_code(
    admin: httpx.AsyncClient,
    name: str,
    params: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    query = {k: v for k, v in {**PERIOD, **params}.items() if v is not None}
    got = await admin.get(f"{ADMIN}/reports/1/{name}", params=query)
    assert (got.status_code, got.json()["error"]["code"]) == (status, code), got.text
