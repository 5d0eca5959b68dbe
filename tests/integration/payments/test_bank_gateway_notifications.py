"""The bank's payment notifications through the gateway client, in process, no database: forged,
tampered and malformed ones refused, forms and JSON read, retries until acknowledged (and no
further), repeats, delays, losses, and retries cancelled at shutdown."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.signing import sign_params
from admit.payments.bank import HttpBankGateway
from admit.payments.gateway import ForgedNotification
from admit.sims.bank import BankSimConfig, create_bank_app
from tests.integration.payments.bank_harness import (
    BANK,
    FAST_RETRIES,
    FORM,
    MERCHANT,
    NOTIFY_URL,
    SECRET,
    Bank,
    Merchant,
    OpenBank,
)


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
