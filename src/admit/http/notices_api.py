"""The staff notice feed (``admit.core.staff_notices``): staff with a global grant see every
notice, staff scoped to organisers those of their organisers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel

from admit.core import staff_notices
from admit.core.permissions import Permission, ScopeKind
from admit.core.staff_notices import NoticeKind, NoticeSubject
from admit.core.uow import UnitOfWork
from admit.http.deps import PrincipalDep, narrowed, reach, staff_reader

router = APIRouter(prefix="/admin/notices", tags=["admin: notices"])

NoticeReader = Annotated[
    UnitOfWork, staff_reader(Permission.DASHBOARDS, scope=narrowed(ScopeKind.ORGANISER))
]


class NoticeOut(BaseModel):
    id: int
    kind: NoticeKind
    organiser_id: int | None
    subject_type: NoticeSubject
    subject_id: str
    title: str
    data: Any
    created_at: datetime


@router.get("")
async def list_notices(
    uow: NoticeReader,
    who: PrincipalDep,
    kind: NoticeKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[NoticeOut]:
    """Newest first (low stock: ``stock.low``, ``stock.sold_out``); page with ``before_id``."""
    mine = reach(who, Permission.DASHBOARDS, ScopeKind.ORGANISER)
    rows = await staff_notices.list_notices(
        uow,
        organisers=None if mine is None else [int(i) for i in mine if i.isdigit()],
        before_id=before_id,
        kind=kind,
        limit=limit,
    )
    return [
        NoticeOut(
            id=n.id,
            kind=NoticeKind(n.kind),
            organiser_id=n.organiser_id,
            subject_type=NoticeSubject(n.subject_type),
            subject_id=n.subject_id,
            title=n.title,
            data=orjson.loads(n.data),
            created_at=n.created_at,
        )
        for n in rows
    ]
