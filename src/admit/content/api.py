"""HTTP routes of this slice (mounted under /api/v1): operators manage announcements and the
recommended sessions (``content.manage``); anyone reads what the home page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from admit.content import announcements, recommendations
from admit.content.models import Announcement
from admit.content.rules import MAX_RECOMMENDATIONS
from admit.core.permissions import Permission
from admit.core.timestamps import UTCTimestamp
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PublicReader, staff_reader, staff_writer

router = APIRouter(tags=["content"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.CONTENT)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CONTENT)]

Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=4000)]
Link = Annotated[str, Field(max_length=400)]
Sort = Annotated[int, Field(ge=-1000, le=1000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnnouncementIn(Model):
    title: Title
    body: Body = ""
    link_url: Link = ""
    starts_at: UTCTimestamp
    ends_at: UTCTimestamp | None = None
    published: bool = False
    sort: Sort = 0


class AnnouncementPatch(Model):
    title: Title | None = None
    body: Body | None = None
    link_url: Link | None = None
    starts_at: UTCTimestamp | None = None
    ends_at: UTCTimestamp | None = None
    published: bool | None = None
    sort: Sort | None = None


class AnnouncementOut(Model):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    link_url: str
    starts_at: datetime
    ends_at: datetime | None
    published: bool
    sort: int


class PickIn(Model):
    session_id: int = Field(ge=1)
    note: Annotated[str, Field(max_length=200)] = ""


class RecommendationsIn(Model):
    sessions: list[PickIn] = Field(max_length=MAX_RECOMMENDATIONS)


class RecommendationOut(Model):
    model_config = ConfigDict(from_attributes=True)

    session_id: int
    rank: int
    note: str


def _out(row: Announcement) -> AnnouncementOut:
    return AnnouncementOut.model_validate(row)


@router.post("/admin/announcements", status_code=201)
async def create_announcement(body: AnnouncementIn, uow: Writer, now: Now) -> AnnouncementOut:
    cmd = announcements.AnnouncementInput(**body.model_dump())
    return _out(await announcements.create_announcement(uow, cmd, now=now))


@router.get("/admin/announcements")
async def list_announcements(uow: Reader) -> list[AnnouncementOut]:
    return [_out(a) for a in await announcements.list_announcements(uow)]


@router.patch("/admin/announcements/{announcement_id}")
async def update_announcement(
    announcement_id: int, body: AnnouncementPatch, uow: Writer, now: Now
) -> AnnouncementOut:
    changes = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k == "ends_at"}
    row = await announcements.update_announcement(uow, announcement_id, changes=changes, now=now)
    return _out(row)


@router.delete("/admin/announcements/{announcement_id}", status_code=204)
async def delete_announcement(announcement_id: int, uow: Writer, now: Now) -> Response:
    await announcements.delete_announcement(uow, announcement_id, now=now)
    return Response(status_code=204)


@router.put("/admin/recommendations")
async def set_recommendations(
    body: RecommendationsIn, uow: Writer, now: Now
) -> list[RecommendationOut]:
    """Replace the home page's recommended sessions; the list's order is the page's order."""
    picks = [recommendations.Pick(p.session_id, p.note) for p in body.sessions]
    rows = await recommendations.set_recommendations(uow, picks, now=now)
    return [RecommendationOut.model_validate(r) for r in rows]


@router.get("/admin/recommendations")
async def list_recommendations(uow: Reader) -> list[RecommendationOut]:
    rows = await recommendations.list_recommendations(uow)
    return [RecommendationOut.model_validate(r) for r in rows]


@router.get("/announcements", tags=["public: content"])
async def showing_announcements(uow: PublicReader, now: Now) -> list[AnnouncementOut]:
    """What the home page shows now: published and within their dates."""
    return [_out(a) for a in await announcements.showing_announcements(uow, now=now)]
