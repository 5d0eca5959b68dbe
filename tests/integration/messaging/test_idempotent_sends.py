"""A retried send is not a second message: the carrier simulator answers a repeated
idempotency key with the first request id, mail keeps one Message-ID and one file per message,
and a mail drop on a full disk refuses instead of leaving an empty file (issue 34, 4 and 9)."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from admit.core import outbox
from admit.core.clock import FixedClock
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.messaging import dispatch
from admit.messaging.email import EmailSender, EmailUnavailable, FileEmailSender
from admit.messaging.models import OutboundMessage
from admit.messaging.sms import HttpSmsGateway, SmsGateway, SmsRejected
from admit.sims.sms import SmsSimConfig, create_sms_app
from tests.conftest import TEST_ACTOR
from tests.integration.messaging.conftest import Serve

KEY, SECRET = "admit-key", "admit-secret"
PHONE = "13800138000"
ORDER = {
    "order": "A-17",
    "event": "Night Film",
    "time": "Sat 12 Dec 19:30",
    "seats": "Row 5 Seats 7-8",
    "pickup": "884213",
}
EVENTUALLY_S = 10.0


@pytest.fixture
def sim(serve: Serve, clock: FixedClock) -> str:
    return serve(create_sms_app(SmsSimConfig(access_key=KEY, secret=SECRET), clock))


@pytest.fixture
async def carrier(sim: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim) as client:
        yield client


async def _get(carrier: httpx.AsyncClient, path: str) -> Any:
    response = await carrier.get(path)
    assert response.status_code == 200
    return response.json()


async def _send(gateway: HttpSmsGateway, key: str | None, **change: Any) -> str:
    fields: dict[str, Any] = {
        "phone": PHONE,
        "template": "SMS_ORDER_CONFIRMED",
        "params": ORDER,
        "sign_name": "Admit",
    }
    accepted = await gateway.send(**{**fields, **change}, idempotency_key=key)
    return accepted.request_id


async def test_the_same_key_twice_is_one_message_with_the_first_request_id(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    gateway = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    first = await _send(gateway, "admit-msg-1")
    again = await _send(gateway, "admit-msg-1", phone="+86" + PHONE)
    other = await _send(gateway, "admit-msg-2")
    await gateway.aclose()
    assert again == first != other
    messages = await _get(carrier, "/v1/_messages")
    assert [m["request_id"] for m in messages] == [first, other]
    stats = await _get(carrier, "/v1/_stats")
    assert (stats["requests"], stats["accepted"], stats["deduplicated"]) == (3, 2, 1)


async def test_sends_without_a_key_are_each_a_message(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    gateway = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    first, second = await _send(gateway, None), await _send(gateway, None)
    await gateway.aclose()
    assert first != second
    assert len(await _get(carrier, "/v1/_messages")) == 2


async def test_a_key_used_for_another_message_is_refused(
    sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    gateway = HttpSmsGateway(sim, KEY, SECRET, clock=clock)
    first = await _send(gateway, "admit-msg-1")
    with pytest.raises(SmsRejected) as refused:
        await _send(gateway, "admit-msg-1", params={**ORDER, "order": "A-18"})
    await gateway.aclose()
    assert refused.value.details == {
        "reason": "idempotency_key_reused",
        "request_id": first,
    }
    assert len(await _get(carrier, "/v1/_messages")) == 1


async def test_a_send_whose_answer_was_lost_is_not_sent_twice(
    runtime: Runtime, sim: str, carrier: httpx.AsyncClient, clock: FixedClock
) -> None:
    """The carrier takes the message but the answer never comes (the client gives up; a
    worker killed mid-call is the same): the retry carries the same key."""
    gateway = HttpSmsGateway(sim, KEY, SECRET, timeout=0.2, clock=clock)
    runtime.register(SmsGateway, gateway)  # type: ignore[type-abstract]
    async with runtime.uow(TEST_ACTOR) as uow:
        queued = await dispatch.queue_message(
            uow,
            runtime.crypto,
            channel="sms",
            to=PHONE,
            template="SMS_ORDER_CONFIRMED",
            params=ORDER,
            now=clock.now(),
        )
    assert (await carrier.post("/v1/_control", json={"latency_ms": 600})).status_code == 200
    assert await run_once(runtime) == 1
    job = await _only_job(runtime)
    assert (job.done_at, job.attempts) == (None, 1)
    assert "SmsUnavailable" in (job.last_error or "")
    messages = await _eventually_messages(carrier)
    assert (await carrier.post("/v1/_control", json={"latency_ms": 0})).status_code == 200
    clock.advance(outbox.backoff(1))
    assert await run_once(runtime) == 1
    assert [m["request_id"] for m in await _get(carrier, "/v1/_messages")] == [
        messages[0]["request_id"]
    ]
    assert (await _get(carrier, "/v1/_stats"))["deduplicated"] == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        message = await uow.session.get(OutboundMessage, queued.id)
        assert message is not None
        assert (message.status, message.provider_id) == ("sent", messages[0]["request_id"])


async def _eventually_messages(carrier: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The simulator still records the send it was slow to answer."""
    deadline = time.monotonic() + EVENTUALLY_S
    while not (messages := await _get(carrier, "/v1/_messages")):
        assert time.monotonic() < deadline, "the carrier never recorded the send"
        await asyncio.sleep(0.05)
    return list(messages)


async def _only_job(runtime: Runtime) -> OutboxJob:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return (await uow.session.scalars(select(OutboxJob))).one()


# -- mail --------------------------------------------------------------------------------------


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a full disk shows when writes land in the page cache first (delayed allocation):
    flushing the file to disk fails."""

    def refuse(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("admit.messaging.email.os.fsync", refuse)


async def test_the_mail_drop_keeps_one_file_and_one_message_id_per_message(
    tmp_path: Path,
) -> None:
    drop = FileEmailSender(tmp_path)
    first = await drop.send(to="a@example.com", subject="S", body="one", message_key="admit-msg-7")
    again = await drop.send(to="a@example.com", subject="S", body="two", message_key="admit-msg-7")
    assert first == again == "<admit-msg-7@admit.local>"
    assert _files(tmp_path) == ["admit-msg-7_admit.local.eml"]
    assert (tmp_path / "admit-msg-7_admit.local.eml").read_bytes().endswith(b"two\n")


async def test_a_full_disk_refuses_the_mail_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk(monkeypatch)
    with pytest.raises(EmailUnavailable) as refused:
        await FileEmailSender(tmp_path).send(
            to="a@example.com", subject="S", body="b", message_key="admit-msg-8"
        )
    assert refused.value.details == {"errno": errno.ENOSPC}
    assert _files(tmp_path) == []


async def test_mail_that_meets_a_full_disk_stays_queued_and_goes_out_on_retry(
    runtime: Runtime, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = tmp_path / "drop"
    runtime.register(EmailSender, FileEmailSender(drop))  # type: ignore[type-abstract]
    async with runtime.uow(TEST_ACTOR) as uow:
        queued = await dispatch.queue_message(
            uow,
            runtime.crypto,
            channel="email",
            to="buyer@example.com",
            template="EMAIL_VERIFY_CODE",
            params={"code": "123456", "minutes": "5"},
            now=clock.now(),
        )
    with monkeypatch.context() as disk:
        _full_disk(disk)
        assert await run_once(runtime) == 1
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        message = await uow.session.get(OutboundMessage, queued.id)
        assert message is not None
        assert (message.status, message.sent_at) == ("queued", None)
    job = await _only_job(runtime)
    assert (job.done_at, job.attempts) == (None, 1)
    assert "EmailUnavailable" in (job.last_error or "")
    assert _files(drop) == []
    clock.advance(outbox.backoff(1))
    assert await run_once(runtime) == 1
    key = dispatch.message_key(queued.id, queued.created_at)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        message = await uow.session.get(OutboundMessage, queued.id)
        assert message is not None
        assert (message.status, message.provider_id) == ("sent", f"<{key}@admit.local>")
    assert _files(drop) == [f"{key}_admit.local.eml"]
