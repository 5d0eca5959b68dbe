"""Reading and verifying the audit log (staff bearer token required)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from admit.core.audit import AuditEntry, chain_all, verify_chain
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import RuntimeDep, staff_reader

router = APIRouter(prefix="/admin/audit", tags=["admin: audit"])

AuditReader = Annotated[UnitOfWork, staff_reader(Permission.AUDIT_READ)]


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: Any
    hash: str


class ChainOut(BaseModel):
    ok: bool
    entries: int
    broken_at_seq: int | None
    reason: str | None


@router.get("")
async def list_entries(
    uow: AuditReader,
    rt: RuntimeDep,
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
) -> list[AuditOut]:
    """Newest first; page with ``before_seq``."""
    await chain_all(rt.uow)
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if before_seq:
        query = query.where(AuditEntry.seq < before_seq)
    rows = (await uow.session.scalars(query)).all()
    return [
        AuditOut(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            data=orjson.loads(e.data),
            hash=e.hash,
        )
        for e in rows
    ]


@router.get("/verify")
async def verify(uow: AuditReader, rt: RuntimeDep) -> ChainOut:
    await chain_all(rt.uow)
    report = await verify_chain(uow.session)
    return ChainOut(
        ok=report.ok,
        entries=report.entries,
        broken_at_seq=report.broken_at_seq,
        reason=report.reason,
    )
