"""Refunds, the seller ranking (outlets and staff), the audience's sources (channel, kind of
buyer, where a customer's account was opened, the province of its default address) and the
bills per day, on the known sale history (``report_world``), on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from tests.integration.reports.conftest import PERIOD, figures
from tests.integration.reports.conftest import get_report as report
from tests.integration.reports.report_world import ADMIN, MONDAY, SUNDAY, History

pytestmark = pytest.mark.backends


async def test_refunds_by_day_reason_and_channel(
    admin: httpx.AsyncClient, history: History
) -> None:
    by_day = await report(admin, history, "refunds", by="day")
    assert figures(by_day, "key", "refunds", "refunded", "payments", "paid") == [
        (MONDAY, 1, 8000, 0, 0)  # payments are not in the refunds report
    ]
    by_reason = await report(admin, history, "refunds", by="reason")
    assert figures(by_reason, "key", "refunds", "refunded") == [("buyer", 1, 8000)]
    by_channel = await report(admin, history, "refunds", by="channel")
    assert figures(by_channel, "key", "refunded") == [("box_office", 8000)]
    assert by_day["columns"] == ["key", "label", "refunds", "refunded"]


async def test_sellers_are_ranked(admin: httpx.AsyncClient, history: History) -> None:
    outlets = await report(admin, history, "sellers", by="outlet")
    assert figures(outlets, "key", "net", "tickets", "refunded") == [
        ("", 17000, 3, 0),
        ("BO-1", 16000, 3, 8000),
    ]
    top = await report(admin, history, "sellers", by="outlet", limit=1)
    assert figures(top, "key") == [("",)]
    # Web customers sell nothing: only the clerk is ranked among staff.
    staff = await report(admin, history, "sellers", by="staff", rank="tickets")
    assert figures(staff, "label", "net", "tickets", "payments", "refunded") == [
        ("kiosk1", 16000, 3, 2, 8000)
    ]
    assert staff["rows"][0]["key"].startswith("staff:")


async def test_audience_sources(admin: httpx.AsyncClient, history: History) -> None:
    kinds = await report(admin, history, "audience", by="buyer_kind")
    assert figures(kinds, "key", "buyers", "tickets", "net") == [
        ("customer", 2, 3, 17000),
        ("staff", 1, 3, 16000),
    ]
    channels = await report(admin, history, "audience", by="channel")
    assert figures(channels, "key", "buyers") == [("web", 2), ("box_office", 1)]
    sources = await report(admin, history, "audience", by="source")
    assert figures(sources, "key", "label", "buyers", "net") == [
        ("web", "web", 2, 17000),
        ("", "(not a customer account)", 1, 16000),
    ]
    # Ann's default address is in 北京市; Bob has none, nor has the counter's buyer.
    regions = await report(admin, history, "audience", by="region")
    assert figures(regions, "key", "label", "buyers", "tickets", "net") == [
        ("", "(no address)", 2, 4, 21000),
        ("北京市", "北京市", 1, 2, 12000),
    ]


async def test_bills_per_day_match_the_daily_bill(
    admin: httpx.AsyncClient, history: History
) -> None:
    per_day = await report(admin, history, "bills")
    assert per_day["by"] == "day"  # the one grain: a day
    assert figures(per_day, "key", "payments", "paid", "refunds", "refunded", "net") == [
        (SUNDAY, 3, 33000, 0, 0, 33000),
        (MONDAY, 1, 8000, 1, 8000, 0),
    ]
    for row in per_day["rows"]:
        bill = (
            await admin.get(f"{ADMIN}/finance/bills/{history.organiser_id}/{row['key']}")
        ).json()
        assert (bill["paid"], bill["refunded"], bill["net"]) == (
            row["paid"],
            row["refunded"],
            row["net"],
        )
        assert bill["matches_ledger"]
    coarser = await admin.get(
        f"{ADMIN}/reports/{history.organiser_id}/bills", params={**PERIOD, "by": "week"}
    )
    assert (coarser.status_code, coarser.json()["error"]["code"]) == (
        400,
        "report_dimension_invalid",
    )
