"""The message queue for operators (M4): every message's status; failed ones sent again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, staff_reader, staff_writer
from admit.messaging import dispatch
from admit.messaging.dispatch import MessageChannel, MessageStatus
from admit.messaging.models import OutboundMessage

router = APIRouter(prefix="/admin/messages", tags=["admin: messages"])
Reader = Annotated[UnitOfWork, staff_reader(Permission.MESSAGES)]
Writer = Annotated[UnitOfWork, staff_writer(Permission.MESSAGES)]


class MessageOut(BaseModel):
    id: int
    channel: MessageChannel
    to: str
    template: str
    status: MessageStatus
    error: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None


def _out(m: OutboundMessage) -> MessageOut:
    return MessageOut(
        id=m.id,
        channel=m.channel,
        to=m.to_masked,
        template=m.template,
        status=m.status,
        error=m.error,
        attempts=m.attempts,
        created_at=m.created_at,
        sent_at=m.sent_at,
    )


@router.get("")
async def list_messages(
    uow: Reader,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessageOut]:
    """Newest first; addresses masked, parameters (codes, passwords) never shown."""
    return [_out(m) for m in await dispatch.list_messages(uow, status=status, limit=limit)]


@router.post("/{message_id}/resend")
async def resend(message_id: int, uow: Writer, now: Now) -> MessageOut:
    return _out(await dispatch.resend(uow, message_id=message_id, now=now))
