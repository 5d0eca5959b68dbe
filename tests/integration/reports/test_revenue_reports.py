"""Revenue (G8): by day, week and month, by event, session, channel, outlet and ticket type,
on a known sale history (``report_world``) — money in the period it moved, tickets in the
period they were issued, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.reports.conftest import figures
from tests.integration.reports.conftest import get_report as report
from tests.integration.reports.report_world import MONDAY, SUNDAY, History

from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.payments.models import Payment
from admit.sales.refunds import request_refund

pytestmark = pytest.mark.backends
MONEY = ("key", "payments", "paid", "refunds", "refunded", "net", "tickets")


async def test_revenue_by_period(admin: httpx.AsyncClient, history: History) -> None:
    by_day = await report(admin, history, "revenue", by="day")
    assert figures(by_day, *MONEY) == [
        (SUNDAY, 3, 33000, 0, 0, 33000, 5),
        (MONDAY, 1, 8000, 1, 8000, 0, 1),
    ]
    assert (by_day["totals"]["net"], by_day["totals"]["tickets"]) == (33000, 6)
    # 2026-11-22 is a Sunday: its week began on Monday the 16th; the 23rd starts the next.
    by_week = await report(admin, history, "revenue", by="week")
    assert figures(by_week, "key", "paid", "refunded", "net") == [
        ("2026-11-16", 33000, 0, 33000),
        ("2026-11-23", 8000, 8000, 0),
    ]
    by_month = await report(admin, history, "revenue", by="month")
    assert figures(by_month, *MONEY) == [("2026-11-01", 4, 41000, 1, 8000, 33000, 6)]
    # Only the days asked for: Monday alone.
    monday = await report(admin, history, "revenue", **{"by": "day", "from": MONDAY, "to": MONDAY})
    assert figures(monday, *MONEY) == [(MONDAY, 1, 8000, 1, 8000, 0, 1)]


async def test_revenue_by_what_was_sold(admin: httpx.AsyncClient, history: History) -> None:
    by_event = await report(admin, history, "revenue", by="event")
    assert figures(by_event, "key", "net", "tickets") == [(str(history.event_id), 33000, 6)]
    by_session = await report(admin, history, "revenue", by="session")
    assert figures(by_session, "key", "paid", "refunded", "net", "tickets") == [
        (str(history.session_id), 41000, 8000, 33000, 6)
    ]
    # The biggest first.
    by_channel = await report(admin, history, "revenue", by="channel")
    assert figures(by_channel, "key", "payments", "paid", "refunded", "net", "tickets") == [
        ("web", 2, 17000, 0, 17000, 3),
        ("box_office", 2, 24000, 8000, 16000, 3),
    ]
    by_outlet = await report(admin, history, "revenue", by="outlet")
    assert figures(by_outlet, "key", "label", "net", "tickets") == [
        ("", "(online, no outlet)", 17000, 3),
        ("BO-1", "BO-1 · Gate A kiosk", 16000, 3),
    ]
    # Ann's order (an adult at 8000, a child at 4000) splits by its lines' prices.
    by_type = await report(admin, history, "revenue", by="ticket_type")
    assert figures(by_type, "key", "payments", "paid", "refunds", "refunded", "net", "tickets") == [
        ("adult", 4, 37000, 1, 8000, 29000, 5),
        ("child", 1, 4000, 0, 0, 4000, 1),
    ]
    assert by_type["totals"]["net"] == by_channel["totals"]["net"] == 33000


async def test_a_partial_refund_splits_by_ticket_type_to_the_fen(
    admin: httpx.AsyncClient, runtime: Runtime, history: History
) -> None:
    """1001 fen back of Ann's 12000 (8000 adult, 4000 child): ⌊1001·8000/12000⌋ = 667 to
    the adult line and the rest, 334, to the child — never a fen lost or made."""
    async with runtime.uow(TEST_ACTOR) as uow:
        ann = await uow.session.scalar(
            select(Payment).where(Payment.method == "bank", Payment.amount == 12000)
        )
        assert ann is not None
        await request_refund(uow, ann, amount=1001, reason="buyer", now=runtime.clock.now())
    for _ in range(3):
        await run_once(runtime)  # the refund job: the bank agrees, the refund is done
    by_type = await report(admin, history, "revenue", by="ticket_type")
    assert figures(by_type, "key", "refunded", "net") == [
        ("adult", 8000 + 667, 29000 - 667),
        ("child", 334, 4000 - 334),
    ]
    by_day = await report(admin, history, "revenue", by="day")
    assert by_day["totals"]["refunded"] == by_type["totals"]["refunded"] == 8000 + 1001
