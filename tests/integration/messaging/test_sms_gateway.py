"""The HTTP client against the carrier simulator over real HTTP (uvicorn in a thread)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from admit.core.clock import FixedClock
from admit.core.signing import sign_params, signature_valid
from admit.messaging.sms import (
    DeliveryStatus,
    HttpSmsGateway,
    SmsRejected,
    SmsThrottled,
    SmsUnavailable,
)
from admit.sims.sms import SmsSimConfig, create_sms_app
from tests.integration.messaging.conftest import Serve

KEY, SECRET = "admit-key", "admit-secret"
CODE = {"code": "123456", "minutes": "5"}


def _sim(serve: Serve, clock: FixedClock, **config: Any) -> str:
    return serve(create_sms_app(SmsSimConfig(access_key=KEY, secret=SECRET, **config), clock))


@pytest.fixture
def sim(serve: Serve, clock: FixedClock) -> str:
    return _sim(serve, clock)


@pytest.fixture
async def carrier(sim: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's test and demo endpoints."""
    async with httpx.AsyncClient(base_url=sim) as client:
        yield client


@pytest.fixture
async def sms(sim: str, clock: FixedClock) -> AsyncIterator[HttpSmsGateway]:
    gateway = HttpSmsGateway(sim, KEY, SECRET, timeout=2.0, clock=clock)
    yield gateway
    await gateway.aclose()


async def _send_code(sms: HttpSmsGateway, phone: str = "13800138000") -> str:
    accepted = await sms.send(
        phone=phone, template="SMS_VERIFY_CODE", params=CODE, sign_name="Admit"
    )
    return accepted.request_id


async def _messages(carrier: httpx.AsyncClient, phone: str | None = None) -> list[Any]:
    response = await carrier.get("/v1/_messages", params={"phone": phone} if phone else {})
    assert response.status_code == 200
    result: list[Any] = response.json()
    return result


async def _control(carrier: httpx.AsyncClient, **change: Any) -> None:
    response = await carrier.post("/v1/_control", json=change)
    assert response.status_code == 200


async def test_a_send_is_recorded_with_its_rendered_text(
    sms: HttpSmsGateway, carrier: httpx.AsyncClient
) -> None:
    request_id = await sms.send(
        phone="+8613800138000",
        template="SMS_ORDER_CONFIRMED",
        params={
            "order": "A-17",
            "event": "Night Film",
            "time": "Sat 12 Dec 19:30",
            "seats": "Row 5 Seats 7-8",
            "pickup": "884213",
        },
        sign_name="Admit",
    )
    assert await _messages(carrier, "13800138000") == [
        {
            "request_id": request_id.request_id,
            "phone": "13800138000",
            "template": "SMS_ORDER_CONFIRMED",
            "sign_name": "Admit",
            "params": {
                "order": "A-17",
                "event": "Night Film",
                "time": "Sat 12 Dec 19:30",
                "seats": "Row 5 Seats 7-8",
                "pickup": "884213",
            },
            "text": (
                "Order A-17 confirmed: Night Film, Sat 12 Dec 19:30. Row 5 Seats 7-8. "
                "Pickup code 884213."
            ),
            "sent_at": "2026-11-22T08:00:00+00:00",
            "state": "delivered",
            "error_code": None,
        }
    ]
    assert await _messages(carrier, "+8613800138000") == await _messages(carrier)
    assert await _messages(carrier, "13900139000") == []


@pytest.mark.parametrize(
    ("change", "details"),
    [
        ({"template": "SMS_MARKETING"}, {"reason": "unknown_template", "fields": []}),
        ({"phone": "12800138000"}, {"reason": "invalid_phone", "fields": []}),
        ({"sign_name": "Acme"}, {"reason": "unknown_sign_name", "fields": []}),
        ({"params": {"code": "1"}}, {"reason": "missing_params", "fields": ["minutes"]}),
    ],
)
async def test_refused_sends_raise_rejected_and_record_nothing(
    sms: HttpSmsGateway,
    carrier: httpx.AsyncClient,
    change: dict[str, Any],
    details: dict[str, Any],
) -> None:
    send: dict[str, Any] = {
        "phone": "13800138000",
        "template": "SMS_VERIFY_CODE",
        "params": CODE,
        "sign_name": "Admit",
    }
    with pytest.raises(SmsRejected) as refused:
        await sms.send(**{**send, **change})
    assert refused.value.details == details
    assert await _messages(carrier) == []


async def test_verification_codes_are_throttled_per_number(
    sms: HttpSmsGateway, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    await _send_code(sms)
    clock.advance(timedelta(seconds=20))
    with pytest.raises(SmsThrottled) as throttled:
        await _send_code(sms)
    assert (throttled.value.retry_after, throttled.value.details) == (40, {"retry_after": 40})
    await _send_code(sms, "13900139000")
    clock.advance(timedelta(seconds=40))
    await _send_code(sms)
    for _ in range(3):
        clock.advance(timedelta(minutes=2))
        await _send_code(sms)
    clock.advance(timedelta(minutes=2))
    with pytest.raises(SmsThrottled) as hourly:
        await _send_code(sms)
    assert hourly.value.retry_after == 3600 - 9 * 60  # the first code went 9 minutes ago
    assert len(await _messages(carrier, "13800138000")) == 5
    stats = (await carrier.get("/v1/_stats")).json()
    assert (stats["accepted"], stats["refused"]) == (6, {"throttled": 2})


async def test_a_wrong_secret_is_refused_as_unavailable(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    """Refused credentials are our setup's fault, not the message's: retry once fixed."""
    wrong = HttpSmsGateway(sim, KEY, "not-the-secret", clock=clock)
    with pytest.raises(SmsUnavailable) as refused:
        await _send_code(wrong)
    await wrong.aclose()
    assert refused.value.details == {"reason": "bad_signature", "status": 401}
    assert await _messages(carrier) == []
    assert (await carrier.get("/v1/_stats")).json()["refused"] == {"bad_signature": 1}


async def test_a_stale_timestamp_is_refused(sim: str, clock: FixedClock) -> None:
    late = HttpSmsGateway(sim, KEY, SECRET, clock=FixedClock(clock.now() - timedelta(minutes=6)))
    with pytest.raises(SmsUnavailable) as refused:
        await _send_code(late)
    await late.aclose()
    assert refused.value.details == {"reason": "stale_timestamp", "status": 401}


async def test_a_replayed_nonce_is_refused(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    body: dict[str, Any] = {
        "access_key": KEY,
        "nonce": "n-1",
        "timestamp": int(clock.now().timestamp()),
        "phone": "13800138000",
        "template": "SMS_VERIFY_CODE",
        "params": CODE,
        "sign_name": "Admit",
    }
    body["sign"] = sign_params(body, SECRET)
    async with httpx.AsyncClient(base_url=sim) as client:
        first = await client.post("/v1/sms/send", json=body)
        clock.advance(timedelta(minutes=2))  # past the throttle: only the nonce is wrong
        replay = await client.post("/v1/sms/send", json=body)
    assert first.status_code == 200
    assert signature_valid({**first.json(), "nonce": "n-1"}, SECRET)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "replayed_nonce"
    assert len(await _messages(carrier)) == 1


async def test_outage_and_failures_are_unavailable_until_they_pass(
    sms: HttpSmsGateway, carrier: httpx.AsyncClient
) -> None:
    await _control(carrier, outage=True)
    with pytest.raises(SmsUnavailable) as down:
        await _send_code(sms)
    assert down.value.details == {"reason": "service_unavailable", "status": 503}
    await _control(carrier, outage=False, fail_next=1)
    with pytest.raises(SmsUnavailable) as failed:
        await _send_code(sms)
    assert failed.value.details == {"reason": "internal_error", "status": 500}
    await _send_code(sms)
    assert len(await _messages(carrier)) == 1


async def test_latency_beyond_the_client_timeout_is_unavailable(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    impatient = HttpSmsGateway(sim, KEY, SECRET, timeout=0.1, clock=clock)
    await _control(carrier, latency_ms=300)
    with pytest.raises(SmsUnavailable) as slow:
        await _send_code(impatient)
    await impatient.aclose()
    assert slow.value.details == {"reason": "timeout"}


async def test_receipts_come_after_the_delay_and_fail_for_unreachable_numbers(
    serve: Serve, clock: FixedClock
) -> None:
    sim = _sim(serve, clock, receipt_delay_ms=30_000)
    sms = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    ok = await _send_code(sms, "13800138000")
    lost = await _send_code(sms, "13800000000")
    assert await sms.status(ok) == DeliveryStatus(ok, "queued", None)
    clock.advance(timedelta(seconds=30))
    assert await sms.status(ok) == DeliveryStatus(ok, "delivered", None)
    assert await sms.status(lost) == DeliveryStatus(lost, "failed", "UNDELIVERABLE")
    with pytest.raises(SmsRejected) as unknown:
        await sms.status("no-such-id")
    await sms.aclose()
    assert unknown.value.details == {"reason": "unknown_request"}


def _fake_carrier(answer: Callable[[httpx.Request], httpx.Response]) -> HttpSmsGateway:
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return HttpSmsGateway("http://carrier.test", KEY, SECRET, client=client)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, json={"request_id": "r1", "sign": "forged"}), "bad_signature"),
        (httpx.Response(200, json={"request_id": "r1"}), "bad_signature"),
        (httpx.Response(200, text="OK"), "malformed_answer"),
        (httpx.Response(200, json={"sign": "x"}), "malformed_answer"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "http_502"),
    ],
)
async def test_answers_not_validly_signed_or_shaped_are_unavailable(
    response: httpx.Response, reason: str
) -> None:
    sms = _fake_carrier(lambda _: response)
    with pytest.raises(SmsUnavailable) as refused:
        await _send_code(sms)
    assert refused.value.details["reason"] == reason


async def test_an_answer_signed_for_another_request_is_refused() -> None:
    replayed = {
        "request_id": "r1",
        "sign": sign_params({"request_id": "r1", "nonce": "old"}, SECRET),
    }
    sms = _fake_carrier(lambda _: httpx.Response(200, json=replayed))
    with pytest.raises(SmsUnavailable):
        await _send_code(sms)


def _receiver(received: list[dict[str, Any]], failures: int) -> FastAPI:
    """A platform endpoint for pushed receipts that fails its first ``failures`` calls."""
    app = FastAPI()

    @app.post("/receipts")
    async def receipt(request: Request) -> Response:
        received.append(await request.json())
        return Response("success", status_code=500 if len(received) <= failures else 200)

    return app


async def _wait_for_stat(carrier: httpx.AsyncClient, name: str, value: int) -> None:
    for _ in range(200):
        if (await carrier.get("/v1/_stats")).json()[name] == value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name} never reached {value}")


async def test_receipts_are_pushed_signed_and_retried(serve: Serve, clock: FixedClock) -> None:
    received: list[dict[str, Any]] = []
    url = serve(_receiver(received, failures=1)) + "/receipts"
    sim = _sim(
        serve, clock, receipt_delay_ms=1000, receipt_url=url, receipt_retry_delays_s=(0, 0.01)
    )
    sms = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    request_id = await _send_code(sms, "13800000000")
    await sms.aclose()
    async with httpx.AsyncClient(base_url=sim) as carrier:
        await asyncio.sleep(0.1)
        assert received == []
        clock.advance(timedelta(seconds=1))
        await _wait_for_stat(carrier, "receipts_pushed", 1)
    assert len(received) == 2
    assert received[0]["nonce"] != received[1]["nonce"]
    for receipt in received:
        assert signature_valid(receipt, SECRET)
        del receipt["nonce"], receipt["sign"]
    assert received[1] == {
        "access_key": KEY,
        "timestamp": int(clock.now().timestamp()),
        "request_id": request_id,
        "phone": "13800000000",
        "state": "failed",
        "error_code": "UNDELIVERABLE",
    }


async def test_receipts_are_abandoned_after_the_last_try(serve: Serve, clock: FixedClock) -> None:
    received: list[dict[str, Any]] = []
    url = serve(_receiver(received, failures=99)) + "/receipts"
    sim = _sim(serve, clock, receipt_url=url, receipt_retry_delays_s=(0, 0.01, 0.01))
    sms = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    await _send_code(sms)
    await sms.aclose()
    async with httpx.AsyncClient(base_url=sim) as carrier:
        await _wait_for_stat(carrier, "receipts_abandoned", 1)
        assert (await carrier.get("/v1/_stats")).json()["receipts_pushed"] == 0
    assert len(received) == 3
