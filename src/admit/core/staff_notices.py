"""The staff notice feed: short messages the platform posts for operators to see in the admin
API (``GET /admin/notices``) — low stock first. A notice is posted in the transaction of what
it reports, so a rollback takes it back; each may be scoped to one organiser, whose staff see
it (staff with a global grant see all)."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.audit import canonical_json
from admit.core.db import Base, BigIntKey, UTCDateTime, table
from admit.core.uow import UnitOfWork


class NoticeKind(enum.StrEnum):
    STOCK_LOW = "stock.low"  # a low-stock level crossed
    STOCK_SOLD_OUT = "stock.sold_out"  # a price level of a session sold out


class NoticeSubject(enum.StrEnum):
    SESSION = "session"


class StaffNotice(Base):
    __tablename__ = "staff_notice"
    __table_args__ = (Index("ix_staff_notice_organiser", "organiser_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # a NoticeKind
    organiser_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    subject_type: Mapped[str] = mapped_column(String(40))  # a NoticeSubject
    subject_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice to post."""

    kind: NoticeKind
    organiser_id: int | None
    subject_type: NoticeSubject
    subject_id: object
    title: str
    data: dict[str, Any]


async def post_many(uow: UnitOfWork, notices: Sequence[Notice], *, now: datetime) -> None:
    """Post notices in the caller's transaction (one statement)."""
    if not notices:
        return
    await uow.session.execute(
        insert(table(StaffNotice)),
        [
            {
                "kind": n.kind,
                "organiser_id": n.organiser_id,
                "subject_type": n.subject_type,
                "subject_id": str(n.subject_id),
                "title": n.title[:200],
                "data": canonical_json(n.data),
                "created_at": now,
            }
            for n in notices
        ],
    )


async def list_notices(
    uow: UnitOfWork,
    *,
    organisers: Collection[int] | None,
    before_id: int | None = None,
    kind: NoticeKind | None = None,
    limit: int = 100,
) -> list[StaffNotice]:
    """Newest first; ``organisers``: only notices of these (``None``: every notice)."""
    query = select(StaffNotice).order_by(StaffNotice.id.desc()).limit(limit)
    if organisers is not None:
        query = query.where(StaffNotice.organiser_id.in_(list(organisers)))
    if before_id is not None:
        query = query.where(StaffNotice.id < before_id)
    if kind:
        query = query.where(StaffNotice.kind == kind)
    return list((await uow.session.scalars(query)).all())


async def notices_by_kind(conn: AsyncConnection) -> dict[str, int]:
    """How many notices of each kind were ever posted (``/metrics``)."""
    rows = await conn.execute(select(StaffNotice.kind, func.count()).group_by(StaffNotice.kind))
    return {str(kind): int(n) for kind, n in rows}
