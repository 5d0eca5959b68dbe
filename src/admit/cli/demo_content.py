"""Demo storefront content: two announcements and the recommended sessions (the stadium's
matches first, then tonight's films) for the home page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from admit.catalog.models import Session
from admit.content import announcements, recommendations
from admit.core.uow import UnitOfWork

RECOMMENDED = ("G-FB-01-S1", "G-AT-01-S1", "G-RG-01-S1", "F-2026-002-0-2", "F-2026-003-0-2")


async def seed_content(uow: UnitOfWork, *, now: datetime) -> None:
    for sort, (title, body, link) in enumerate(
        (
            (
                "Games tickets are on sale",
                "Football, athletics and rugby sevens at Harbour Stadium. Up to 6 tickets each.",
                "/search?category=sport",
            ),
            (
                "Family matinees at Star Cinema Pudong",
                "Paper Dragons every afternoon: children's tickets from 40 CNY.",
                "/search?q=paper+dragons",
            ),
        )
    ):
        await announcements.create_announcement(
            uow,
            announcements.AnnouncementInput(
                title=title,
                body=body,
                link_url=link,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=30),
                published=True,
                sort=sort,
            ),
            now=now,
        )
    ids = dict(
        (
            await uow.session.execute(
                select(Session.code, Session.id).where(Session.code.in_(RECOMMENDED))
            )
        ).all()
    )
    picks = [recommendations.Pick(ids[code]) for code in RECOMMENDED if code in ids]
    await recommendations.set_recommendations(uow, picks, now=now)
