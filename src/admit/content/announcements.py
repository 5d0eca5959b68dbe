"""Use cases for announcements: operators write them, the home page shows the live ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from admit.content.models import Announcement
from admit.content.rules import dates_problem, link_problem
from admit.core import audit
from admit.core.errors import InvalidInput, NotFound
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AnnouncementInput:
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime | None = None
    link_url: str = ""
    published: bool = False
    sort: int = 0


def _check(link_url: str, starts_at: datetime, ends_at: datetime | None) -> None:
    problem = link_problem(link_url) or dates_problem(starts_at, ends_at)
    if problem:
        raise InvalidInput(problem)


def _snapshot(a: Announcement) -> dict[str, Any]:
    return {
        "title": a.title,
        "link_url": a.link_url,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "published": a.published,
        "sort": a.sort,
    }


async def create_announcement(
    uow: UnitOfWork, cmd: AnnouncementInput, *, now: datetime
) -> Announcement:
    """A new announcement (shown only once published). Raises ``InvalidInput`` for a link
    that is not a site path or an http(s) address, or an end before the start."""
    _check(cmd.link_url, cmd.starts_at, cmd.ends_at)
    row = Announcement(
        title=cmd.title,
        body=cmd.body,
        link_url=cmd.link_url,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        published=cmd.published,
        sort=cmd.sort,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        action="announcement.create",
        entity_type="announcement",
        entity_id=row.id,
        data=_snapshot(row),
        now=now,
    )
    return row


async def get_announcement(uow: UnitOfWork, announcement_id: int) -> Announcement:
    row = await uow.session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound(f"announcement {announcement_id} does not exist")
    return row


async def update_announcement(
    uow: UnitOfWork, announcement_id: int, *, changes: dict[str, Any], now: datetime
) -> Announcement:
    """Change some fields; the same checks as on creation apply to the result."""
    row = await get_announcement(uow, announcement_id)
    _check(
        changes.get("link_url", row.link_url),
        changes.get("starts_at", row.starts_at),
        changes.get("ends_at", row.ends_at),
    )
    await audit.record_update(
        uow,
        row,
        {**changes, "updated_at": now},
        action="announcement.update",
        entity_type="announcement",
        entity_id=row.id,
        now=now,
    )
    return row


async def delete_announcement(uow: UnitOfWork, announcement_id: int, *, now: datetime) -> None:
    row = await get_announcement(uow, announcement_id)
    await audit.record(
        uow,
        action="announcement.delete",
        entity_type="announcement",
        entity_id=row.id,
        data=_snapshot(row),
        now=now,
    )
    await uow.session.delete(row)
    await uow.session.flush()


async def list_announcements(uow: UnitOfWork) -> list[Announcement]:
    """All of them, for operators: newest start first."""
    rows = await uow.session.scalars(
        select(Announcement).order_by(Announcement.starts_at.desc(), Announcement.id.desc())
    )
    return list(rows.all())


async def showing_announcements(
    uow: UnitOfWork, *, now: datetime, limit: int = 5
) -> list[Announcement]:
    """Published announcements within their dates, by ``sort`` then newest first."""
    rows = await uow.session.scalars(
        select(Announcement)
        .where(
            Announcement.published.is_(True),
            Announcement.starts_at <= now,
            or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
        )
        .order_by(Announcement.sort, Announcement.starts_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    return list(rows.all())
