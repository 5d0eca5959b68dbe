"""A message queued when a backup was taken, and sent by the lost primary after it, is not
delivered again by the platform restored from that backup: the restored outbox runs the job
again, but its send carries the same idempotency key (the message's id and creation time are
in the dump), so the carrier answers with the first request id (issue 34, item 5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from admit import tables  # noqa: F401  (every model, as the processes have them)
from admit.core.clock import FixedClock
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.messaging import dispatch
from admit.messaging.models import OutboundMessage
from admit.messaging.sms import HttpSmsGateway, SmsGateway
from admit.migrations import upgrade
from admit.sims.sms import SmsSimConfig, create_sms_app
from tests.conftest import TEST_ACTOR
from tests.integration.messaging.conftest import Serve

KEY, SECRET = "admit-key", "admit-secret"
PHONE = "13800138000"


def _runtime(data_dir: Path, db: Path, clock: FixedClock, carrier: str) -> Runtime:
    rt = Runtime.from_settings(
        Settings(data_dir=data_dir, database_url=f"sqlite+aiosqlite:///{db}"), clock=clock
    )
    rt.register(SmsGateway, HttpSmsGateway(carrier, KEY, SECRET, clock=clock))  # type: ignore[type-abstract]
    return rt


async def _messages(carrier: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=carrier) as http:
        answer = await http.get(path)
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize("sent_after_backup", [True, False])
async def test_a_message_sent_after_the_backup_is_not_sent_again(
    tmp_path: Path, serve: Serve, clock: FixedClock, sent_after_backup: bool
) -> None:
    carrier = serve(create_sms_app(SmsSimConfig(access_key=KEY, secret=SECRET), clock))
    db, copy = tmp_path / "admit.db", tmp_path / "restored.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    primary = _runtime(tmp_path, db, clock, carrier)
    async with primary.uow(TEST_ACTOR) as uow:
        queued = await dispatch.queue_message(
            uow,
            primary.crypto,
            channel="sms",
            to=PHONE,
            template="SMS_ORDER_CONFIRMED",
            params={
                "order": "A-17",
                "event": "Night Film",
                "time": "Sat 12 Dec 19:30",
                "seats": "Row 5 Seat 7",
                "pickup": "884213",
            },
            now=clock.now(),
        )
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the backup: the message is still queued in it
    if sent_after_backup:
        assert await run_once(primary) == 1  # the lost primary sends it, then is lost
    await primary.close()

    restored = _runtime(tmp_path, copy, clock, carrier)
    assert await run_once(restored) == 1  # the restored outbox runs the job (again)
    async with restored.uow(TEST_ACTOR, readonly=True) as uow:
        message = await uow.session.get(OutboundMessage, queued.id)
    await restored.close()

    delivered = await _messages(carrier, "/v1/_messages")
    assert [m["phone"] for m in delivered] == [PHONE]  # one message, whoever sent it first
    assert message is not None
    assert (message.status, message.provider_id) == ("sent", delivered[0]["request_id"])
    stats = await _messages(carrier, "/v1/_stats")
    assert stats["deduplicated"] == (1 if sent_after_backup else 0)
