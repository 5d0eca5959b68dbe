"""The bank gateway client against the bank simulator, in process: the client talks to the
simulator over ``httpx.ASGITransport``, the simulator notifies a tiny merchant app the same way,
and business time is a :class:`FixedClock`. No database is involved."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from admit.core.clock import FixedClock
from admit.core.signing import sign_params
from admit.payments.bank import HttpBankGateway
from admit.payments.bank_notice import NOTIFICATION_FIELDS
from admit.payments.gateway import (
    CreatedTrade,
    ForgedNotification,
    GatewayRefused,
    GatewayUnavailable,
    Notification,
    RefundResult,
    StatementLine,
    TradeNotFound,
    TradeState,
)
from admit.sims.bank import BankSimConfig, create_bank_app

MERCHANT, SECRET = "admit", "bank-secret"
BANK = "http://bank.test"
NOTIFY_URL = "http://merchant.test/notify"
RETURN_URL = "https://shop.test/orders/return?step=3"
FAST_RETRIES = (0.0, 0.01, 0.02)
FORM = "application/x-www-form-urlencoded"


@dataclass
class Merchant:
    """The platform's notification endpoint: records every body, verifies it with the gateway
    and answers from a script (the last answer repeats)."""

    answers: list[str]
    gateway: HttpBankGateway | None = None
    bodies: list[bytes] = field(default_factory=list)
    verified: list[Notification] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/notify")
        async def notify(request: Request) -> Response:
            body = await request.body()
            self.bodies.append(body)
            assert self.gateway is not None
            try:
                notification = self.gateway.parse_notification(
                    body, request.headers.get("content-type", "")
                )
            except ForgedNotification:
                return Response("forged", status_code=400)
            self.verified.append(notification)
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return Response(answer, media_type="text/plain")

        return app

    def fields(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.bodies[index].decode(), keep_blank_values=True))


@dataclass
class Bank:
    clock: FixedClock
    gateway: HttpBankGateway
    browser: httpx.AsyncClient  # the payer's browser, and the test's own calls
    merchant: Merchant
    transport: httpx.ASGITransport  # to the simulator

    async def control(self, **change: Any) -> dict[str, Any]:
        response = await self.browser.post("/_control", json=change)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def trades(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self.browser.get("/_trades")).json()
        return result

    async def create(
        self, out_trade_no: str = "A-1", amount: int = 2250, expires_in_min: int = 15
    ) -> CreatedTrade:
        return await self.gateway.create(
            out_trade_no=out_trade_no,
            amount=amount,
            currency="CNY",
            subject="2 tickets, Swan Lake",
            notify_url=NOTIFY_URL,
            return_url=RETURN_URL,
            expires_at=self.clock.now() + timedelta(minutes=expires_in_min),
        )

    async def pay(self, trade: CreatedTrade, decision: str = "approve") -> httpx.Response:
        return await self.browser.post(trade.pay_url, data={"decision": decision})

    async def settled(self) -> list[dict[str, Any]]:
        """All notifications delivered or given up; the trades as the simulator has them."""
        for _ in range(400):
            trades = await self.trades()
            if all(n["done"] for t in trades for n in t["notifications"]):
                return trades
            await asyncio.sleep(0.005)
        raise AssertionError("notifications never settled")


OpenBank = Callable[..., Awaitable[Bank]]


@pytest.fixture
async def open_bank(clock: FixedClock) -> AsyncIterator[OpenBank]:
    """Open a simulator (its lifespan running) with a gateway client and a merchant app."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_(
            *, answers: tuple[str, ...] = ("success",), timeout: float = 2.0, **config: Any
        ) -> Bank:
            merchant = Merchant(answers=list(answers))
            settings: dict[str, Any] = {
                "merchants": {MERCHANT: SECRET, "other": "other-secret"},
                "notify_retry_delays_s": FAST_RETRIES,
                "notify_transport": httpx.ASGITransport(merchant.app()),
                "public_url": BANK,
                **config,
            }
            app = create_bank_app(BankSimConfig(**settings), clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app)
            gateway = HttpBankGateway(
                BANK, MERCHANT, SECRET, timeout=timeout, transport=transport, clock=clock
            )
            stack.push_async_callback(gateway.aclose)
            merchant.gateway = gateway
            browser = httpx.AsyncClient(transport=transport, base_url=BANK)
            await stack.enter_async_context(browser)
            return Bank(clock, gateway, browser, merchant, transport)

        yield open_


@pytest.fixture
async def bank(open_bank: OpenBank) -> Bank:
    return await open_bank()


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
    assert "2026-11-22 08:15 UTC" in html
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


async def test_tampered_or_foreign_notifications_are_forged(bank: Bank, clock: FixedClock) -> None:
    await bank.pay(await bank.create())
    await bank.settled()
    genuine = bank.merchant.fields()
    for change in ({"amount": "1"}, {"trade_status": "FAILED"}, {"merchant_id": "other"}):
        with pytest.raises(ForgedNotification):
            bank.gateway.parse_notification(urlencode({**genuine, **change}).encode(), FORM)
    unsigned = {k: v for k, v in genuine.items() if k != "sign"}
    with pytest.raises(ForgedNotification):
        bank.gateway.parse_notification(urlencode(unsigned).encode(), FORM)
    stranger = HttpBankGateway(BANK, MERCHANT, "not-the-secret", clock=clock)
    with pytest.raises(ForgedNotification):
        stranger.parse_notification(bank.merchant.bodies[-1], FORM)
    await stranger.aclose()


def _signed_notification(**change: str) -> dict[str, str]:
    fields = {
        "merchant_id": MERCHANT,
        "out_trade_no": "A-1",
        "trade_no": "T1",
        "amount": "2250",
        "currency": "CNY",
        "trade_status": "SUCCESS",
        "paid_at": "2026-11-22T08:00:00+00:00",
        "notify_id": "n-1",
        "nonce": "x",
        **change,
    }
    return {**fields, "sign": sign_params(fields, SECRET)}


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "-5"},
        {"amount": "22.50"},
        {"amount": "1e3"},
        {"amount": "0"},
        {"amount": ""},
        {"trade_status": "PAID"},
        {"paid_at": ""},
        {"paid_at": "2026-11-22T08:00:00"},
        {"currency": "yuan"},
        {"notify_id": ""},
    ],
)
async def test_well_signed_but_malformed_notifications_are_refused(
    bank: Bank, change: dict[str, str]
) -> None:
    body = urlencode(_signed_notification(**change)).encode()
    with pytest.raises(ForgedNotification) as forged:
        bank.gateway.parse_notification(body, FORM)
    assert forged.value.details["reason"] == "malformed"


async def test_notifications_are_read_from_forms_and_json(bank: Bank) -> None:
    fields = _signed_notification()
    form = bank.gateway.parse_notification(urlencode(fields).encode(), f"{FORM}; charset=utf-8")
    assert (form.amount, form.paid_at) == (2250, datetime(2026, 11, 22, 8, tzinfo=UTC))
    as_json = httpx.Request("POST", NOTIFY_URL, json=fields).content
    assert bank.gateway.parse_notification(as_json, "application/json") == form
    repeated = urlencode(fields).encode() + b"&amount=1"
    for body, content_type in [(repeated, FORM), (b"\xff", FORM), (b"{}", "text/plain")]:
        with pytest.raises(ForgedNotification):
            bank.gateway.parse_notification(body, content_type)


async def test_unacknowledged_notifications_are_retried_until_success(
    open_bank: OpenBank,
) -> None:
    bank = await open_bank(answers=("fail", "fail", "success"))
    await bank.pay(await bank.create())
    [trade] = await bank.settled()
    [record] = trade["notifications"]
    assert [a["acknowledged"] for a in record["attempts"]] == [False, False, True]
    assert record["acknowledged"] is True
    ids = {bank.merchant.fields(i)["notify_id"] for i in range(3)}
    nonces = {bank.merchant.fields(i)["nonce"] for i in range(3)}
    assert (ids, len(nonces)) == ({record["notify_id"]}, 3)
    await asyncio.sleep(0.05)
    assert len(bank.merchant.bodies) == 3


async def test_retries_stop_when_the_gaps_run_out(open_bank: OpenBank) -> None:
    bank = await open_bank(answers=("fail",))
    await bank.pay(await bank.create())
    [trade] = await bank.settled()
    [record] = trade["notifications"]
    assert (len(record["attempts"]), record["acknowledged"]) == (len(FAST_RETRIES), False)
    assert len(bank.merchant.bodies) == len(FAST_RETRIES)


async def test_repeated_notifications_carry_the_same_notify_id(bank: Bank) -> None:
    await bank.control(notify_repeats=2)
    await bank.pay(await bank.create())
    [trade] = await bank.settled()
    assert len(bank.merchant.verified) == 3
    assert {n.notify_id for n in bank.merchant.verified} == {trade["notifications"][0]["notify_id"]}


async def test_delayed_notifications_arrive_later(bank: Bank) -> None:
    await bank.control(notify_delay_ms=100)
    await bank.pay(await bank.create())
    assert bank.merchant.bodies == []
    await bank.settled()
    assert len(bank.merchant.verified) == 1


async def test_lost_notifications_leave_only_the_query(bank: Bank) -> None:
    await bank.control(lose_notifications=True)
    await bank.pay(await bank.create())
    [trade] = await bank.settled()
    await asyncio.sleep(0.05)
    assert bank.merchant.bodies == []
    assert trade["notifications"][0]["lost"] is True
    assert (await bank.gateway.query("A-1")).status == "paid"


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


async def test_a_create_that_times_out_took_effect(open_bank: OpenBank) -> None:
    bank = await open_bank(timeout=0.2, hang_s=1.0)
    await bank.control(timeout_next_creates=1)
    with pytest.raises(GatewayUnavailable) as timed_out:
        await bank.create()
    assert timed_out.value.details == {"reason": "timeout"}
    assert (await bank.gateway.query("A-1")).status == "unpaid"
    again = await bank.create()
    assert again.trade_no == (await bank.trades())[0]["trade_no"]


async def test_a_refund_that_times_out_took_effect(open_bank: OpenBank) -> None:
    bank = await open_bank(timeout=0.2, hang_s=1.0)
    await bank.pay(await bank.create())
    await bank.control(timeout_next_refunds=1)

    async def refund() -> RefundResult:
        return await bank.gateway.refund(
            out_trade_no="A-1", out_refund_no="R-1", amount=700, reason=""
        )

    with pytest.raises(GatewayUnavailable):
        await refund()
    assert (await bank.gateway.query("A-1")).refunded == 700
    assert (await refund()).amount == 700
    assert (await bank.gateway.query("A-1")).refunded == 700


async def test_an_outage_is_unavailable_until_it_ends(bank: Bank) -> None:
    await bank.control(outage=True)
    with pytest.raises(GatewayUnavailable) as down:
        await bank.create()
    assert down.value.details == {"reason": "service_unavailable", "status": 503}
    await bank.control(outage=False)
    await bank.create()


async def test_a_wrong_secret_is_refused_and_nothing_happens(bank: Bank, clock: FixedClock) -> None:
    """Refused credentials are a definite refusal (nothing was created), not an unknown outcome:
    GatewayRefused with reason bad_signature, for the operator to fix the configuration."""
    wrong = HttpBankGateway(BANK, MERCHANT, "not-the-secret", transport=bank.transport, clock=clock)
    with pytest.raises(GatewayRefused) as refused:
        await wrong.query("A-1")
    await wrong.aclose()
    assert (refused.value.reason, refused.value.details["status"]) == ("bad_signature", 401)
    assert await bank.trades() == []


async def test_stale_timestamps_and_replayed_nonces_are_refused(bank: Bank) -> None:
    await bank.create()
    body: dict[str, Any] = {
        "merchant_id": MERCHANT,
        "nonce": "n-1",
        "timestamp": int(bank.clock.now().timestamp()),
        "out_trade_no": "A-1",
    }
    body["sign"] = sign_params(body, SECRET)
    assert (await bank.browser.post("/gateway/query", json=body)).status_code == 200
    replay = await bank.browser.post("/gateway/query", json=body)
    assert (replay.status_code, replay.json()["error"]["code"]) == (409, "replayed_nonce")
    bank.clock.advance(timedelta(minutes=6))
    stale = {**body, "nonce": "n-2"}
    stale["sign"] = sign_params(stale, SECRET)
    late = await bank.browser.post("/gateway/query", json=stale)
    assert (late.status_code, late.json()["error"]["code"]) == (401, "stale_timestamp")


def _fake_bank(answer: Callable[[httpx.Request], httpx.Response]) -> HttpBankGateway:
    return HttpBankGateway(BANK, MERCHANT, SECRET, transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, json={"out_trade_no": "A-1", "sign": "forged"}), "bad_signature"),
        (httpx.Response(200, text="OK"), "malformed_answer"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "http_502"),
    ],
)
async def test_answers_we_cannot_trust_are_unavailable(
    response: httpx.Response, reason: str
) -> None:
    gateway = _fake_bank(lambda _: response)
    with pytest.raises(GatewayUnavailable) as unavailable:
        await gateway.query("A-1")
    await gateway.aclose()
    assert unavailable.value.details["reason"] == reason


async def test_an_unreachable_bank_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gateway = _fake_bank(refuse)
    with pytest.raises(GatewayUnavailable) as unreachable:
        await gateway.close("A-1")
    await gateway.aclose()
    assert unreachable.value.details["reason"] == "transport"


async def test_shutdown_cancels_pending_retries(clock: FixedClock) -> None:
    merchant = Merchant(answers=["fail"])
    config = BankSimConfig(
        merchants={MERCHANT: SECRET},
        notify_retry_delays_s=(0.0, 60.0),
        notify_transport=httpx.ASGITransport(merchant.app()),
        public_url=BANK,
    )
    app = create_bank_app(config, clock)
    transport = httpx.ASGITransport(app)
    gateway = HttpBankGateway(BANK, MERCHANT, SECRET, transport=transport, clock=clock)
    merchant.gateway = gateway
    async with httpx.AsyncClient(transport=transport, base_url=BANK) as browser:
        bank = Bank(clock, gateway, browser, merchant, transport)
        async with app.router.lifespan_context(app):
            await bank.pay(await bank.create())
            for _ in range(400):
                if merchant.bodies:
                    break
                await asyncio.sleep(0.005)
        [trade] = await bank.trades()
    await gateway.aclose()
    [record] = trade["notifications"]
    assert (len(record["attempts"]), record["acknowledged"], record["done"]) == (1, False, True)
