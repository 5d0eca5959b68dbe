"""The bank gateway client when the bank misbehaves, in process, no database: timeouts whose
request took effect, outages, a wrong secret, stale timestamps and replayed nonces, answers it
cannot trust and an unreachable bank."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.core.signing import sign_params
from admit.payments.bank import HttpBankGateway
from admit.payments.gateway import GatewayRefused, GatewayUnavailable, RefundResult
from tests.integration.payments.bank_harness import BANK, MERCHANT, SECRET, Bank, OpenBank


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
