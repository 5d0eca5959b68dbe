"""Importing partner cinemas' showtimes on demand (C1): a job per cinema system asks the
cinemas (outside any transaction, retried when they do not answer) and puts what is new on
sale on the website and the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, RuntimeDep, staff_writer
from admit.partners.sync_jobs import queue_sync

router = APIRouter(prefix="/admin/partners", tags=["admin: partners"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.PARTNERS)]


class SyncOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queued: list[str]
    days: int


@router.post("/sync", status_code=202)
async def sync(
    uow: Writer, rt: RuntimeDep, now: Now, days: Annotated[int, Query(ge=1, le=14)] = 3
) -> SyncOut:
    """Import every cinema system's cinemas, halls and the showtimes of the next ``days``
    days, by the worker; sessions the cinemas no longer list are cancelled. Safe to repeat."""
    systems = await queue_sync(uow, rt, days=days, now=now)
    return SyncOut(queued=systems, days=days)
