"""Reads shaped for the storefront's lists: session cards with what the website may still
sell, its lowest price and its sale status (one grouped query per kind of fact, never one
query per session)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.catalog.models import Event, Session, SessionStatus, Venue
from admit.catalog.queries import SessionRow
from admit.core.uow import UnitOfWork
from admit.inventory import counts
from admit.sales.models import Channel, SalesWindow, WindowQuota
from admit.sales.rules import channel_left, sale_state
from admit.web.sale_status import PublicStatus, label, public_status

WEB = "web"


@dataclass(frozen=True, slots=True)
class WebSale:
    """The website's sales window of one session."""

    state: str
    starts_at: datetime
    ends_at: datetime
    per_person_limit: int
    payment_minutes: int
    real_name_required: bool
    quota_left: dict[int, int]  # by price level id: quota − held − sold

    def left(self, free: Mapping[int | None, int]) -> dict[int, int]:
        """What the website may still sell at each level it sells, from the levels' free
        seats and places: the one number every page shows (``sales.rules.channel_left``)."""
        return channel_left(free, self.quota_left)


@dataclass(frozen=True, slots=True)
class SessionCard:
    session_id: int
    event_id: int
    event_name: str
    session_name: str
    category: str
    discipline: str
    venue_name: str
    starts_at: datetime
    remaining: int
    lowest_price: tuple[int, str] | None
    status: PublicStatus
    note: str = ""

    @property
    def status_label(self) -> str:
        return label(self.status)


async def web_sales(
    uow: UnitOfWork, session_ids: Sequence[int], now: datetime
) -> dict[int, WebSale]:
    """The website window of each session that has one, with its state now."""
    if not session_ids:
        return {}
    enabled = await uow.session.scalar(select(Channel.enabled).where(Channel.code == WEB))
    windows = (
        await uow.session.scalars(
            select(SalesWindow).where(
                SalesWindow.session_id.in_(session_ids), SalesWindow.channel == WEB
            )
        )
    ).all()
    left: dict[int, dict[int, int]] = defaultdict(dict)
    if windows:
        quotas = await uow.session.execute(
            select(
                WindowQuota.window_id,
                WindowQuota.price_level_id,
                WindowQuota.quota - WindowQuota.held - WindowQuota.sold,
            ).where(WindowQuota.window_id.in_([w.id for w in windows]))
        )
        for window_id, level_id, free in quotas:
            left[window_id][int(level_id)] = int(free)
    return {
        w.session_id: WebSale(
            state=sale_state(
                starts_at=w.starts_at,
                ends_at=w.ends_at,
                enabled=w.enabled and bool(enabled),
                now=now,
            ).value,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            per_person_limit=w.per_person_limit,
            payment_minutes=w.payment_minutes,
            real_name_required=w.real_name_required,
            quota_left=left[w.id],
        )
        for w in windows
    }


async def session_cards(
    uow: UnitOfWork,
    rows: Sequence[SessionRow],
    *,
    now: datetime,
    notes: dict[int, str] | None = None,
) -> list[SessionCard]:
    ids = [r.session.id for r in rows]
    free = await counts.free_by_level(uow, ids, now=now)
    prices = await counts.lowest_prices(uow, ids)
    sales = await web_sales(uow, ids, now)
    cards = []
    for r in rows:
        sale = sales.get(r.session.id)
        here = sum(sale.left(free[r.session.id]).values()) if sale else 0
        cards.append(
            SessionCard(
                session_id=r.session.id,
                event_id=r.event.id,
                event_name=r.event.name,
                session_name=r.session.name,
                category=r.event.category.value,
                discipline=r.event.discipline,
                venue_name=r.venue.name,
                starts_at=r.session.starts_at,
                remaining=here,
                lowest_price=prices.get(r.session.id),
                status=public_status(
                    window_state=sale.state if sale else None,
                    remaining=here,
                    session_status=r.session.status.value,
                    session_ends_at=r.session.ends_at,
                    now=now,
                ),
                note=(notes or {}).get(r.session.id, ""),
            )
        )
    return cards


async def session_rows(uow: UnitOfWork, session_ids: Sequence[int]) -> list[SessionRow]:
    """The sessions with their event and venue, in the order of ``session_ids``."""
    if not session_ids:
        return []
    found = (
        await uow.session.execute(
            select(Session, Event, Venue)
            .join(Event, Event.id == Session.event_id)
            .join(Venue, Venue.id == Session.venue_id)
            .where(Session.id.in_(session_ids))
        )
    ).all()
    by_id = {s.id: SessionRow(s, e, v) for s, e, v in found}
    return [by_id[i] for i in session_ids if i in by_id]


async def event_session_rows(
    uow: UnitOfWork, event_id: int, *, now: datetime, limit: int = 100
) -> list[SessionRow]:
    """The event's sessions still to come (scheduled or postponed), soonest first."""
    found = await uow.session.execute(
        select(Session, Event, Venue)
        .join(Event, Event.id == Session.event_id)
        .join(Venue, Venue.id == Session.venue_id)
        .where(
            Session.event_id == event_id,
            Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.POSTPONED]),
            Session.ends_at > now,
        )
        .order_by(Session.starts_at, Session.id)
        .limit(limit)
    )
    return [SessionRow(s, e, v) for s, e, v in found.all()]
