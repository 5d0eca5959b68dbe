"""Sending after commit (C2, G9, M1, M4): services queue a message in their transaction; the
worker sends it through the SMS or email adapter and records its status. Failed messages can
be sent again by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import insert, select

from admit.core import outbox
from admit.core.crypto import FieldCrypto
from admit.core.db import table
from admit.core.errors import InvalidInput
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork
from admit.messaging.email import EmailSender, render_email
from admit.messaging.models import OutboundMessage
from admit.messaging.sms import SmsGateway, SmsRejected, SmsThrottled

JOB = "messaging.send"
# What a message is (this module writes it) and the channels it goes by.
MessageStatus = Literal["queued", "sent", "failed", "throttled"]
MessageChannel = Literal["sms", "email"]


def _mask(channel: str, to: str) -> str:
    if channel == "email":
        name, _, domain = to.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{to[:3]}****{to[-4:]}" if len(to) >= 7 else "****"


@dataclass(frozen=True, slots=True)
class ToSend:
    """One message to queue with :func:`queue_messages`."""

    channel: MessageChannel
    to: str
    template: str
    params: dict[str, str]


def _row(crypto: FieldCrypto, m: ToSend, now: datetime) -> dict[str, Any]:
    return {
        "channel": m.channel,
        "to_enc": crypto.encrypt(m.to),
        "to_masked": _mask(m.channel, m.to),
        "template": m.template,
        "params_enc": crypto.encrypt(orjson.dumps(m.params).decode()),
        "created_at": now,
    }


async def queue_message(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    channel: MessageChannel,
    to: str,
    template: str,
    params: dict[str, str],
    now: datetime,
) -> OutboundMessage:
    """Record the message and its send job in the caller's transaction (a rollback drops both)."""
    message = OutboundMessage(**_row(crypto, ToSend(channel, to, template, params), now))
    uow.session.add(message)
    await uow.session.flush()
    await outbox.enqueue(uow, kind=JOB, payload={"message_id": message.id}, now=now)
    return message


async def queue_messages(
    uow: UnitOfWork, crypto: FieldCrypto, messages: list[ToSend], *, now: datetime
) -> None:
    """Several messages and their send jobs in two statements of the caller's transaction."""
    if not messages:
        return
    messages_table = table(OutboundMessage)
    ids = (
        await uow.session.scalars(
            insert(messages_table)
            .values([_row(crypto, m, now) for m in messages])
            .returning(messages_table.c.id)
        )
    ).all()
    await outbox.enqueue_many(uow, JOB, [{"message_id": i} for i in ids], now=now)


@outbox.handler(JOB)
async def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    async with ctx.unit() as uow:
        message = await uow.session.get(OutboundMessage, payload["message_id"])
        if message is None or message.status == "sent":
            return
        channel, template = message.channel, message.template
        to_enc, params_enc = message.to_enc, message.params_enc
        key = message_key(message.id, message.created_at)
    crypto = ctx.runtime.crypto
    params: dict[str, str] = orjson.loads(crypto.decrypt(params_enc))
    outcome: dict[str, Any] = {"status": "sent", "sent_at": ctx.now, "error": None}
    try:
        outcome["provider_id"] = await _deliver(
            ctx, channel, crypto.decrypt(to_enc), template, params, key
        )
    except SmsRejected as exc:
        outcome = {"status": "failed", "error": exc.message[:400]}
    except SmsThrottled as exc:
        outcome = {"status": "throttled", "error": exc.message[:400]}
        retry = timedelta(seconds=int((exc.details or {}).get("retry_after", 60)))
    async with ctx.unit() as uow:
        message = await get_or_404(uow, OutboundMessage, payload["message_id"], "message")
        message.attempts += 1
        for key, value in outcome.items():
            setattr(message, key, value)
        if outcome["status"] == "throttled":
            await outbox.enqueue(uow, kind=JOB, payload=payload, now=ctx.now, delay=retry)


def message_key(message_id: int, created_at: datetime) -> str:
    """The message's idempotency key at the carrier, Message-ID and mail file name: the same
    for every attempt to send it, so a retry after a crash is recognisably the same message
    (never a second SMS). Its creation time is part of it: a database restored from a backup
    hands out the later message ids again, to other messages, which must not look the same."""
    return f"admit-msg-{message_id}-{created_at:%Y%m%d%H%M%S%f}"


async def _deliver(
    ctx: outbox.JobContext,
    channel: str,
    to: str,
    template: str,
    params: dict[str, str],
    key: str,
) -> str:
    settings = ctx.runtime.settings
    if channel == "sms":
        sms = ctx.runtime.adapter(SmsGateway)  # type: ignore[type-abstract]
        accepted = await sms.send(
            phone=to,
            template=template,
            params=params,
            sign_name=settings.sms_sign_name,
            idempotency_key=key,
        )
        return accepted.request_id
    subject, body = render_email(template, params)
    mailer = ctx.runtime.adapter(EmailSender)  # type: ignore[type-abstract]
    # Failures (EmailUnavailable, SmsUnavailable) leave the message queued: the outbox retries.
    return await mailer.send(to=to, subject=subject, body=body, message_key=key)


async def resend(uow: UnitOfWork, *, message_id: int, now: datetime) -> OutboundMessage:
    """Send a failed or throttled message again (M4)."""
    message = await get_or_404(uow, OutboundMessage, message_id, "message")
    if message.status == "sent":
        raise InvalidInput("the message was sent already")
    message.status, message.error = "queued", None
    await outbox.enqueue(uow, kind=JOB, payload={"message_id": message.id}, now=now)
    return message


async def list_messages(
    uow: UnitOfWork, *, status: str | None, limit: int
) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboundMessage.status == status)
    return list((await uow.session.scalars(query)).all())
