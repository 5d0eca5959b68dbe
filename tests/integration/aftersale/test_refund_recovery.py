"""A refund is never paid twice (issue 18 acceptance): a refund job interrupted after the bank
accepted the refund — killed before its record, or its answer timed out — is recovered by the
bank's refund query on its next run, not sent again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import TEST_ACTOR
from tests.integration.aftersale.refund_steps import (
    open_refunds,
    paid_order,
    settle_refunds,
)
from tests.integration.sales.conftest import Bank
from tests.integration.sales.purchase_steps import count_rows
from tests.integration.sales.sale_factories import ROW_A, on_sale

from admit.aftersale.models import RefundRequest
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.finance.models import LedgerEntry
from admit.payments.models import Refund
from admit.sales import refunds

ADMIN = "/api/v1/admin"


async def test_a_refund_interrupted_after_the_bank_accepted_it_is_recovered_by_query(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:1], "refund-crash-1")
    await open_refunds(admin, sid, approval_required=False)

    # The process dies between the bank's answer and the platform's record of it.
    real = refunds.complete_refund
    crashes = []

    async def crash_once(*args: Any, **kwargs: Any) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("killed after the bank accepted the refund")
        await real(*args, **kwargs)

    monkeypatch.setattr(refunds, "complete_refund", crash_once)
    sent_again: list[str] = []
    real_refund = bank.gateway.refund

    async def counting_refund(**kwargs: Any) -> Any:
        sent_again.append(kwargs["out_refund_no"])
        return await real_refund(**kwargs)

    monkeypatch.setattr(bank.gateway, "refund", counting_refund)
    applied = await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    assert applied.status_code == 201, applied.text

    await settle_refunds(runtime, clock)  # the bank refunds; the record is lost
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        refund = await uow.session.scalar(select(Refund))
        assert refund is not None
        assert (refund.status, refund.sent_at is not None) == ("requested", True)
    assert len(sent_again) == 1

    await settle_refunds(runtime, clock)  # the job runs again: it asks, and records
    assert len(sent_again) == 1  # not sent a second time: the query found it
    (trade,) = await bank.trades()
    assert [r["amount"] for r in trade["refunds"]] == [8000]
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        refund = await uow.session.scalar(select(Refund))
        assert refund is not None
        assert refund.status == "done"
        assert refund.refund_no == trade["refunds"][0]["refund_no"]
        request = await uow.session.scalar(select(RefundRequest))
        assert request is not None
        assert request.status == "done"
    assert await count_rows(runtime, LedgerEntry, LedgerEntry.kind == "refund") == 1


async def test_a_refund_whose_answer_timed_out_is_recovered_by_query(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,
) -> None:
    sid = await on_sale(admin, clock)
    number, who, _ = await paid_order(client, bank, runtime, sid, ROW_A[:1], "refund-timeout-1")
    await open_refunds(admin, sid, approval_required=False)
    bank.gateway._timeout = 0.3  # noqa: SLF001 - the sim hangs past any client's wait
    await bank.control(timeout_next_refunds=1)
    await client.post(f"/api/v1/orders/{number}/refund-requests", headers=who, json={})
    await settle_refunds(runtime, clock, rounds=2)
    (trade,) = await bank.trades()
    assert len(trade["refunds"]) == 1
    assert await count_rows(runtime, Refund, Refund.status == "done") == 1
