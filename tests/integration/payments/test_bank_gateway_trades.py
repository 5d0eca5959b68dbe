"""The bank gateway client against the bank simulator, in process, no database: a trade's life —
created once per out_trade_no, paid or declined on the pay page, expired, closed, refunded in
parts — and the day's statement with its fees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admit.payments.bank_notice import NOTIFICATION_FIELDS
from admit.payments.gateway import (
    GatewayRefused,
    Notification,
    RefundResult,
    StatementLine,
    TradeNotFound,
    TradeState,
)
from tests.integration.payments.bank_harness import BANK, RETURN_URL, Bank


async def test_create_is_idempotent_by_out_trade_no(bank: Bank) -> None:
    first = await bank.create()
    assert first.pay_url == f"{BANK}/pay/{first.trade_no}"
    assert await bank.create() == first
    with pytest.raises(GatewayRefused) as reused:
        await bank.create(amount=2251)
    assert reused.value.reason == "out_trade_no_reused"
    assert [t["trade_no"] for t in await bank.trades()] == [first.trade_no]


@pytest.mark.parametrize(("amount", "expires_in_min"), [(0, 15), (-5, 15), (100, -1)])
async def test_invalid_creates_are_refused(bank: Bank, amount: int, expires_in_min: int) -> None:
    with pytest.raises(GatewayRefused) as refused:
        await bank.create(amount=amount, expires_in_min=expires_in_min)
    assert refused.value.reason == "invalid_request"
    assert await bank.trades() == []


async def test_the_pay_page_shows_the_trade_and_two_buttons(bank: Bank) -> None:
    trade = await bank.create()
    page = await bank.browser.get(trade.pay_url)
    assert page.status_code == 200
    html = page.text
    for part in ('lang="en"', 'name="viewport"', 'id="approve"', 'id="decline"', "¥22.50"):
        assert part in html
    assert "2 tickets, Swan Lake" in html
    assert "2026-11-22 16:15 Beijing time" in html  # 08:15 UTC, as the buyer's clock shows it
    missing = await bank.browser.get("/pay/T-nope")
    assert missing.status_code == 404


async def test_approval_redirects_and_sends_a_verifiable_notification(bank: Bank) -> None:
    trade = await bank.create()
    response = await bank.pay(trade)
    assert response.status_code == 303
    assert response.headers["location"] == f"{RETURN_URL}&out_trade_no=A-1&result=paid"
    [record] = await bank.settled()
    assert bank.merchant.verified == [
        Notification(
            out_trade_no="A-1",
            trade_no=trade.trade_no,
            status="paid",
            amount=2250,
            currency="CNY",
            paid_at=bank.clock.now(),
            notify_id=record["notifications"][0]["notify_id"],
        )
    ]
    fields = bank.merchant.fields()
    assert sorted(fields) == sorted(NOTIFICATION_FIELDS)
    assert (fields["trade_status"], fields["paid_at"]) == ("SUCCESS", "2026-11-22T08:00:00+00:00")
    [attempt] = record["notifications"][0]["attempts"]
    assert (attempt["status"], attempt["answer"], attempt["acknowledged"]) == (200, "success", True)
    assert await bank.gateway.query("A-1") == TradeState(
        "A-1", trade.trade_no, "paid", 2250, "CNY", bank.clock.now(), 0
    )


async def test_a_decline_sends_a_failed_notification(bank: Bank) -> None:
    trade = await bank.create()
    response = await bank.pay(trade, "decline")
    assert response.headers["location"].endswith("&out_trade_no=A-1&result=declined")
    await bank.settled()
    [notification] = bank.merchant.verified
    assert (notification.status, notification.paid_at) == ("declined", None)
    assert bank.merchant.fields()["trade_status"] == "FAILED"
    assert (await bank.gateway.query("A-1")).status == "declined"
    page = await bank.browser.get(trade.pay_url)
    assert "This payment was declined." in page.text
    assert 'id="approve"' not in page.text


async def test_an_expired_trade_cannot_be_paid(bank: Bank) -> None:
    trade = await bank.create(expires_in_min=15)
    bank.clock.advance(timedelta(minutes=15))
    assert "expired" in (await bank.browser.get(trade.pay_url)).text
    response = await bank.pay(trade)
    assert response.status_code == 409
    assert "expired" in response.text
    assert (await bank.gateway.query("A-1")).status == "closed"
    assert (await bank.trades())[0]["notifications"] == []


async def test_a_closed_trade_cannot_be_paid(bank: Bank) -> None:
    trade = await bank.create()
    assert (await bank.gateway.close("A-1")).status == "closed"
    assert (await bank.gateway.close("A-1")).status == "closed"
    response = await bank.pay(trade)
    assert response.status_code == 409
    assert "closed" in response.text
    assert (await bank.gateway.query("A-1")).paid_at is None


async def test_a_paid_trade_cannot_be_closed_or_paid_again(bank: Bank) -> None:
    trade = await bank.create()
    await bank.pay(trade)
    with pytest.raises(GatewayRefused) as refused:
        await bank.gateway.close("A-1")
    assert refused.value.reason == "already_paid"
    again = await bank.pay(trade)
    assert again.status_code == 409
    assert "not been charged again" in again.text
    [record] = await bank.settled()
    assert len(record["notifications"]) == 1


async def test_unknown_trades_are_not_found(bank: Bank) -> None:
    with pytest.raises(TradeNotFound):
        await bank.gateway.query("nope")
    with pytest.raises(TradeNotFound):
        await bank.gateway.close("nope")
    with pytest.raises(TradeNotFound):
        await bank.gateway.refund(out_trade_no="nope", out_refund_no="R", amount=1, reason="")


async def test_refunds_are_idempotent_and_add_up_to_the_paid_amount(bank: Bank) -> None:
    trade = await bank.create()

    async def refund(number: str, amount: int) -> RefundResult:
        return await bank.gateway.refund(
            out_trade_no="A-1", out_refund_no=number, amount=amount, reason="changed plans"
        )

    with pytest.raises(GatewayRefused) as unpaid:
        await refund("R-1", 1000)
    assert unpaid.value.reason == "not_paid"
    await bank.pay(trade)
    first = await refund("R-1", 1000)
    assert (first.out_refund_no, first.amount, first.status) == ("R-1", 1000, "done")
    assert await refund("R-1", 1000) == first
    for number, amount, reason in [("R-1", 500, "out_refund_no_reused"), ("R-2", 1251, "")]:
        with pytest.raises(GatewayRefused) as refused:
            await refund(number, amount)
        assert refused.value.reason == (reason or "refund_exceeds_paid")
    await refund("R-2", 1250)
    assert (await bank.gateway.query("A-1")).refunded == 2250
    with pytest.raises(GatewayRefused) as exceeded:
        await refund("R-3", 1)
    assert exceeded.value.reason == "refund_exceeds_paid"


async def test_the_statement_comes_after_the_day_with_fees(bank: Bank) -> None:
    t0 = bank.clock.now()
    paid = await bank.create("A-1", 2250)
    await bank.pay(paid)
    await bank.pay(await bank.create("A-2", 1500), "decline")
    bank.clock.advance(timedelta(hours=1))
    await bank.gateway.refund(out_trade_no="A-1", out_refund_no="R-1", amount=1000, reason="")
    with pytest.raises(GatewayRefused) as early:
        await bank.gateway.statement(t0.date())
    assert early.value.reason == "statement_not_ready"
    bank.clock.advance(timedelta(hours=15))  # 2026-11-23 00:00 UTC: the day has ended
    await bank.gateway.refund(out_trade_no="A-1", out_refund_no="R-2", amount=1250, reason="")
    assert await bank.gateway.statement(t0.date()) == [
        # 2250 fen at 60 bp is 13.5 fen, rounded half up; the first refund gives 6 of it back.
        StatementLine(paid.trade_no, "A-1", "pay", 2250, 14, t0, None),
        StatementLine(paid.trade_no, "A-1", "refund", 1000, 6, t0 + timedelta(hours=1), "R-1"),
    ]
    assert await bank.gateway.statement(t0.date() - timedelta(days=1)) == []
    bank.clock.advance(timedelta(days=1))
    [rest] = await bank.gateway.statement(t0.date() + timedelta(days=1))
    assert (rest.kind, rest.amount, rest.fee) == ("refund", 1250, 8)  # all 14 given back


async def test_extra_statement_lines_appear(bank: Bank) -> None:
    t0 = bank.clock.now()
    extra = {"trade_no": "T-ghost", "out_trade_no": "GHOST", "type": "pay", "amount": 1000}
    await bank.control(extra_statement_lines=[{**extra, "time": "2026-11-22T09:30:00+00:00"}])
    bank.clock.advance(timedelta(days=1))
    assert await bank.gateway.statement(t0.date()) == [
        StatementLine("T-ghost", "GHOST", "pay", 1000, 6, t0 + timedelta(minutes=90), None)
    ]
