"""Low-stock alerts (G7): a worker chore compares the stock of sessions to come with their
alert levels and raises each level crossed once — an audit entry and a staff notice (which
``/metrics`` counts by kind) — and re-arms a level when stock is back above it.

Why a chore and not the sale's transaction: the hold, order and payment statements are one
round trip each on the hot path; counting a price level's stock there would add reads (and a
write) to every sale. The chore reads the counts every ``stock_alert_scan_seconds`` instead,
so an alert follows the sale within that period plus a worker cycle. *Once* is kept by the
database, not by the chore: a raised level is a row keyed (session, price level, level),
inserted with ``ON CONFLICT DO NOTHING … RETURNING`` — of two workers (or two runs) finding
the same crossing, only the one whose insert returned the row announces it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.catalog.models import Event, PriceLevel, Session, SessionStatus
from admit.core import audit, staff_notices
from admit.core.audit_context import SYSTEM
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.core.staff_notices import NoticeKind, NoticeSubject
from admit.core.uow import UnitOfWork
from admit.core.worker import chore
from admit.inventory import stock_alert_rules as rules
from admit.inventory.models import (
    SessionGA,
    SessionGASlice,
    SessionPlan,
    SessionSeat,
    StockAlert,
    StockAlertRule,
)
from admit.inventory.rules import SeatStatus

BATCH = 200  # sessions read and compared in one unit of work
_LAST_SCAN = "stock_alerts.last_scan"  # in ``rt.caches``: when this process last scanned


async def stock(uow: UnitOfWork, session_ids: Sequence[int]) -> list[rules.Stock]:
    """Each session × price level's sellable total (seats not blocked, standing capacity) and
    what of it is not sold. Two grouped reads."""
    if not session_ids:
        return []
    seats = await uow.session.execute(
        select(
            SessionSeat.session_id,
            SessionSeat.price_level_id,
            func.sum(case((SessionSeat.status != SeatStatus.BLOCKED, 1), else_=0)),
            func.sum(case((SessionSeat.status == SeatStatus.SOLD, 1), else_=0)),
        )
        .where(SessionSeat.session_id.in_(session_ids), SessionSeat.price_level_id.is_not(None))
        .group_by(SessionSeat.session_id, SessionSeat.price_level_id)
    )
    ga = await uow.session.execute(
        select(
            SessionGA.session_id,
            SessionGA.price_level_id,
            func.sum(SessionGASlice.capacity),
            func.sum(SessionGASlice.sold),
        )
        .join(SessionGASlice, SessionGASlice.counter_id == SessionGA.id)
        .where(SessionGA.session_id.in_(session_ids), SessionGA.price_level_id.is_not(None))
        .group_by(SessionGA.session_id, SessionGA.price_level_id)
    )
    totals: dict[tuple[int, int], list[int]] = {}
    for sid, level_id, total, sold in [*seats, *ga]:
        entry = totals.setdefault((int(sid), int(level_id)), [0, 0])
        entry[0] += int(total or 0)
        entry[1] += int(sold or 0)
    return [
        rules.Stock(sid, level_id, total, total - sold)
        for (sid, level_id), (total, sold) in sorted(totals.items())
    ]


async def levels_of(
    uow: UnitOfWork, stocks: Sequence[rules.Stock], default: Sequence[int]
) -> dict[tuple[int, int], tuple[int, ...]]:
    """The alert levels of each session × price level: the session's own, else ``default``."""
    session_ids = sorted({s.session_id for s in stocks})
    own = {
        r.session_id: r
        for r in await uow.session.scalars(
            select(StockAlertRule).where(StockAlertRule.session_id.in_(session_ids))
        )
    }
    out: dict[tuple[int, int], tuple[int, ...]] = {}
    for s in stocks:
        rule = own.get(s.session_id)
        if rule is None:
            out[(s.session_id, s.price_level_id)] = tuple(default)
            continue
        chosen = rule.by_level.get(str(s.price_level_id), rule.levels)
        out[(s.session_id, s.price_level_id)] = tuple(chosen)
    return out


async def _mark_raised(
    uow: UnitOfWork, keys: Sequence[rules.Key], now: datetime
) -> list[rules.Key]:
    """Insert the raised levels; returns those this transaction inserted (new crossings)."""
    if not keys:
        return []
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    stmt = (
        upsert(StockAlert)
        .values(
            [
                {"session_id": s, "price_level_id": p, "level": lv, "raised_at": now}
                for s, p, lv in keys
            ]
        )
        .on_conflict_do_nothing()
        .returning(StockAlert.session_id, StockAlert.price_level_id, StockAlert.level)
    )
    return [(int(s), int(p), int(lv)) for s, p, lv in (await uow.session.execute(stmt)).all()]


async def _rearm(uow: UnitOfWork, keys: Sequence[rules.Key]) -> None:
    if keys:
        await uow.session.execute(
            delete(StockAlert).where(
                tuple_(StockAlert.session_id, StockAlert.price_level_id, StockAlert.level).in_(keys)
            )
        )


async def _raised(uow: UnitOfWork, session_ids: Sequence[int]) -> list[rules.Key]:
    rows = await uow.session.execute(
        select(StockAlert.session_id, StockAlert.price_level_id, StockAlert.level).where(
            StockAlert.session_id.in_(session_ids)
        )
    )
    return [(int(s), int(p), int(lv)) for s, p, lv in rows]


async def compare(
    uow: UnitOfWork, session_ids: Sequence[int], *, default: Sequence[int], now: datetime
) -> list[rules.Alert]:
    """Compare these sessions' stock with their levels: mark the levels crossed, re-arm those
    stock is back above, and announce the new crossings. Returns the alerts announced here."""
    stocks = await stock(uow, session_ids)
    found = rules.changes(
        stocks, await levels_of(uow, stocks, default), await _raised(uow, session_ids)
    )
    await _rearm(uow, found.rearmed)
    new = rules.alerts(await _mark_raised(uow, found.crossed, now), stocks)
    await _announce(uow, new, now)
    return new


async def _announce(uow: UnitOfWork, new: Sequence[rules.Alert], now: datetime) -> None:
    if not new:
        return
    names = await _names(uow, [a.stock.price_level_id for a in new])
    events, notices = [], []
    for alert in new:
        organiser_id, what, level_name = names[alert.stock.price_level_id]
        kind = NoticeKind.STOCK_SOLD_OUT if alert.level == 0 else NoticeKind.STOCK_LOW
        data = {
            "session_id": alert.stock.session_id,
            "price_level_id": alert.stock.price_level_id,
            "price_level": level_name,
            "level": alert.level,
            "levels": list(alert.levels),
            "left": alert.stock.left,
            "total": alert.stock.total,
        }
        events.append(audit.Event(kind.value, "session", alert.stock.session_id, data))
        notices.append(
            staff_notices.Notice(
                kind=kind,
                organiser_id=organiser_id,
                subject_type=NoticeSubject.SESSION,
                subject_id=alert.stock.session_id,
                title=_title(what, level_name, alert),
                data=data,
            )
        )
    await audit.record_many(uow, events, now=now)
    await staff_notices.post_many(uow, notices, now=now)


def _title(what: str, level_name: str, alert: rules.Alert) -> str:
    if alert.level == 0:
        return f"{what}: {level_name} is sold out"
    s = alert.stock
    return f"{what}: {level_name} down to {s.left} of {s.total} (the {alert.level} % level)"


async def _names(
    uow: UnitOfWork, price_level_ids: Sequence[int]
) -> dict[int, tuple[int, str, str]]:
    """Per price level: its event's organiser, "event — session", and the level's name."""
    rows = await uow.session.execute(
        select(PriceLevel.id, PriceLevel.name, Event.organiser_id, Event.name, Session.code)
        .join(Session, Session.id == PriceLevel.session_id)
        .join(Event, Event.id == Session.event_id)
        .where(PriceLevel.id.in_(price_level_ids))
    )
    return {int(pid): (int(org), f"{event} — {code}", name) for pid, name, org, event, code in rows}


async def sessions_to_watch(
    uow: UnitOfWork, *, now: datetime, after_id: int, limit: int
) -> list[int]:
    """Sessions still to come that have a plan (and so stock), by id from ``after_id``."""
    return list(
        (
            await uow.session.scalars(
                select(Session.id)
                .join(SessionPlan, SessionPlan.session_id == Session.id)
                .where(
                    Session.id > after_id,
                    Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.POSTPONED]),
                    Session.ends_at > now,
                )
                .order_by(Session.id)
                .limit(limit)
            )
        ).all()
    )


async def scan(rt: Runtime, *, batch: int = BATCH) -> list[rules.Alert]:
    """Compare every session to come, ``batch`` sessions to a unit of work; returns the
    alerts this call announced. Safe to run in several workers at once (see the module)."""
    default = rules.parse(rt.settings.stock_alert_levels)
    announced: list[rules.Alert] = []
    after = 0
    while True:
        async with rt.uow(SYSTEM) as uow:
            now = rt.clock.now()
            ids = await sessions_to_watch(uow, now=now, after_id=after, limit=batch)
            if ids:
                announced += await compare(uow, ids, default=default, now=now)
        if len(ids) < batch:
            return announced
        after = ids[-1]


@chore("inventory.stock_alerts")
async def scan_when_due(rt: Runtime) -> int:
    """The worker's chore: a scan every ``stock_alert_scan_seconds`` in this process."""
    last = rt.caches.get(_LAST_SCAN)
    if isinstance(last, float) and time.monotonic() - last < rt.settings.stock_alert_scan_seconds:
        return 0
    rt.caches[_LAST_SCAN] = time.monotonic()
    return len(await scan(rt))


@dataclass(frozen=True, slots=True)
class SessionLevels:
    """A session's alert levels as staff see them."""

    levels: tuple[int, ...]
    by_level: dict[str, tuple[int, ...]]  # by price level code: the levels that differ
    own: bool  # the session set them (else the setting's)
    raised: list[tuple[str, int, datetime]]  # (price level code, level, when) now raised


async def _level_codes(uow: UnitOfWork, session_id: int) -> dict[int, str]:
    rows = await uow.session.execute(
        select(PriceLevel.id, PriceLevel.code).where(PriceLevel.session_id == session_id)
    )
    return {int(i): str(c) for i, c in rows}


async def session_levels(uow: UnitOfWork, session_id: int, default: Sequence[int]) -> SessionLevels:
    """A session's levels, its price levels' own, and those raised now. Raises ``NotFound``."""
    if await uow.session.get(Session, session_id) is None:
        raise NotFound(f"session {session_id} does not exist")
    codes = await _level_codes(uow, session_id)
    raised = await uow.session.execute(
        select(StockAlert.price_level_id, StockAlert.level, StockAlert.raised_at)
        .where(StockAlert.session_id == session_id)
        .order_by(StockAlert.price_level_id, StockAlert.level.desc())
    )
    now_raised = [(codes.get(int(p), str(p)), int(lv), at) for p, lv, at in raised]
    rule = await uow.session.get(StockAlertRule, session_id)
    if rule is None:
        return SessionLevels(tuple(default), {}, False, now_raised)
    by_code = {codes[int(k)]: tuple(v) for k, v in rule.by_level.items() if int(k) in codes}
    return SessionLevels(tuple(rule.levels), by_code, True, now_raised)


async def set_levels(
    uow: UnitOfWork,
    *,
    session_id: int,
    levels: Sequence[int] | None,
    by_code: Mapping[str, Sequence[int]],
    now: datetime,
) -> None:
    """Give a session its own levels, and its price levels (by code) theirs where they differ;
    ``levels`` ``None``: back to the setting. Raises ``NotFound`` for a session or a code
    that is not the session's; raises ``stock_alert_rules.BadLevels``. Audited."""
    if await uow.session.get(Session, session_id) is None:
        raise NotFound(f"session {session_id} does not exist")
    rule = await uow.session.get(StockAlertRule, session_id)
    if levels is None:
        if rule is not None:
            await uow.session.delete(rule)
            await uow.session.flush()
        await _audit_levels(uow, session_id, None, {}, now)
        return
    ids = {code: level_id for level_id, code in (await _level_codes(uow, session_id)).items()}
    if unknown := sorted(set(by_code) - set(ids)):
        raise NotFound(f"session {session_id} has no price levels {', '.join(unknown)}")
    stored = {str(ids[c]): list(rules.normalise(v)) for c, v in sorted(by_code.items())}
    chosen = list(rules.normalise(levels))
    if rule is None:
        uow.session.add(
            StockAlertRule(session_id=session_id, levels=chosen, by_level=stored, updated_at=now)
        )
    else:
        rule.levels, rule.by_level, rule.updated_at = chosen, stored, now
    await uow.session.flush()
    await _audit_levels(uow, session_id, chosen, stored, now)


async def _audit_levels(
    uow: UnitOfWork,
    session_id: int,
    levels: list[int] | None,
    by_level: dict[str, list[int]],
    now: datetime,
) -> None:
    await audit.record(
        uow,
        action="stock.alert_levels_set",
        entity_type="session",
        entity_id=session_id,
        data={"levels": levels, "by_level": by_level},
        now=now,
    )
