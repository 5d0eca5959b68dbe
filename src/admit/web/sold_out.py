"""What a sold-out session page offers instead (G7): the event's other sessions the website
still sells, and "the same level elsewhere" — sessions at the same venue of events of the
same category (this event's other sessions among them) whose price level of the same name
(compared without case) the website still sells. Each with what is left, soonest first.

Read once per sold-out page build and kept ``KEPT_FOR`` availability cache periods per
process: a page whose stock changes many times a second (one level sold out, the others
selling) does not run these reads on every change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from admit.catalog.models import Event, PriceLevel, Session, SessionStatus, Venue
from admit.catalog.queries import SessionRow
from admit.core.short_cache import ShortCache
from admit.core.uow import UnitOfWork
from admit.inventory import counts
from admit.web.listings import event_session_rows, session_cards, web_sales
from admit.web.sale_status import PublicStatus, public_status

SOLD_OUT_ALTERNATIVES = "sold_out_alternatives"
KEPT_FOR = 10  # availability cache periods (0.5 s by default: 5 s)
SHOWN = 6  # of each kind
UPCOMING = (SessionStatus.SCHEDULED, SessionStatus.POSTPONED)


@dataclass(frozen=True, slots=True)
class Alternative:
    session_id: int
    event_name: str
    session_name: str
    venue_name: str
    starts_at: datetime
    remaining: int  # at the level for a same-level entry, else in the whole session
    level_code: str = ""  # a same-level entry's level there (the link preselects it)
    level_name: str = ""


@dataclass(frozen=True, slots=True)
class Alternatives:
    same_event: list[Alternative]
    same_level: list[Alternative]

    def __bool__(self) -> bool:
        return bool(self.same_event or self.same_level)


NONE = Alternatives([], [])


async def alternatives(
    uow: UnitOfWork,
    cache: ShortCache[tuple[int, bool, tuple[str, ...]], Alternatives],
    row: SessionRow,
    *,
    whole: bool,
    level_names: Sequence[str],
    now: datetime,
) -> Alternatives:
    """Alternatives to the session (``whole``: it is sold out) or to its sold-out levels
    ``level_names``; kept per (session, whole, levels) in ``cache``."""
    names = tuple(sorted({n.lower() for n in level_names}))
    return await cache.get_or_load(
        uow,
        (row.session.id, whole, names),
        lambda: _load(uow, row, whole=whole, names=names, now=now),
    )


async def _load(
    uow: UnitOfWork, row: SessionRow, *, whole: bool, names: tuple[str, ...], now: datetime
) -> Alternatives:
    same_event = await _same_event(uow, row, now) if whole else []
    listed = {a.session_id for a in same_event}
    same_level = [a for a in await _same_level(uow, row, names, now) if a.session_id not in listed]
    return Alternatives(same_event, same_level[:SHOWN])


async def _same_event(uow: UnitOfWork, row: SessionRow, now: datetime) -> list[Alternative]:
    rows = [
        r
        for r in await event_session_rows(uow, row.event.id, now=now, limit=50)
        if r.session.id != row.session.id
    ]
    cards = await session_cards(uow, rows, now=now)
    return [
        Alternative(
            c.session_id, c.event_name, c.session_name, c.venue_name, c.starts_at, c.remaining
        )
        for c in cards
        if c.status is PublicStatus.ON_SALE and c.remaining > 0
    ][:SHOWN]


async def _same_level(
    uow: UnitOfWork, row: SessionRow, names: tuple[str, ...], now: datetime
) -> list[Alternative]:
    if not names:
        return []
    found = (
        await uow.session.execute(
            select(Session, Event, Venue, PriceLevel.id, PriceLevel.code, PriceLevel.name)
            .join(Event, Event.id == Session.event_id)
            .join(Venue, Venue.id == Session.venue_id)
            .join(PriceLevel, PriceLevel.session_id == Session.id)
            .where(
                Session.venue_id == row.venue.id,
                Session.id != row.session.id,
                Event.category == row.event.category,
                Session.status.in_(UPCOMING),
                Session.ends_at > now,
                func.lower(PriceLevel.name).in_(names),
            )
            .order_by(Session.starts_at, Session.id, PriceLevel.sort, PriceLevel.id)
            .limit(50)
        )
    ).all()
    ids = list(dict.fromkeys(s.id for s, *_ in found))
    free = await counts.free_by_level(uow, ids, now=now)
    sales = await web_sales(uow, ids, now)
    out = []
    for session, event, venue, level_id, code, name in found:
        sale = sales.get(session.id)
        if sale is None:
            continue
        left = sale.left(free[session.id])
        status = public_status(
            window_state=sale.state,
            remaining=sum(left.values()),
            session_status=session.status.value,
            session_ends_at=session.ends_at,
            now=now,
        )
        if status is PublicStatus.ON_SALE and left.get(level_id, 0) > 0:
            out.append(
                Alternative(
                    session.id,
                    event.name,
                    session.name,
                    venue.name,
                    session.starts_at,
                    left[level_id],
                    code,
                    name,
                )
            )
    return out
