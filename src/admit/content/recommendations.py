"""Use cases for the home page's recommended sessions, in the order operators set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from admit.catalog.models import Session, SessionStatus
from admit.content.models import Recommendation
from admit.content.rules import MAX_RECOMMENDATIONS
from admit.core import audit
from admit.core.errors import InvalidInput, NotFound
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Pick:
    session_id: int
    note: str = ""


async def set_recommendations(
    uow: UnitOfWork, picks: Sequence[Pick], *, now: datetime
) -> list[Recommendation]:
    """Replace the whole list: the first pick shows first. Raises ``InvalidInput`` for a
    session listed twice or too many picks, ``NotFound`` for a session that does not exist."""
    ids = [p.session_id for p in picks]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a session is recommended once")
    if len(ids) > MAX_RECOMMENDATIONS:
        raise InvalidInput(f"at most {MAX_RECOMMENDATIONS} recommendations")
    found = set((await uow.session.scalars(select(Session.id).where(Session.id.in_(ids)))).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no session {missing[0]}", details={"missing": missing})
    await uow.session.execute(delete(Recommendation))
    rows = [
        Recommendation(session_id=p.session_id, rank=rank, note=p.note, created_at=now)
        for rank, p in enumerate(picks, start=1)
    ]
    uow.session.add_all(rows)
    await uow.session.flush()
    await audit.record(
        uow,
        action="recommendations.set",
        entity_type="recommendations",
        entity_id="home",
        data={"sessions": ids},
        now=now,
    )
    return rows


async def list_recommendations(uow: UnitOfWork) -> list[Recommendation]:
    rows = await uow.session.scalars(select(Recommendation).order_by(Recommendation.rank))
    return list(rows.all())


async def recommended_session_ids(
    uow: UnitOfWork, *, now: datetime, limit: int = 12
) -> list[tuple[int, str]]:
    """(session id, note) of recommended sessions still to come and not cancelled, in the
    operators' order."""
    rows = await uow.session.execute(
        select(Recommendation.session_id, Recommendation.note)
        .join(Session, Session.id == Recommendation.session_id)
        .where(
            Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.POSTPONED]),
            Session.ends_at > now,
        )
        .order_by(Recommendation.rank)
        .limit(limit)
    )
    return [(int(sid), str(note)) for sid, note in rows.all()]
