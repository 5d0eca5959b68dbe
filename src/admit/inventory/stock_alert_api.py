"""Administration of a session's low-stock alert levels (staff bearer token required)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from admit.catalog.api import SESSION_ORGANISER
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, RuntimeDep, staff_reader, staff_writer
from admit.inventory import stock_alert_rules, stock_alerts

router = APIRouter(prefix="/admin", tags=["admin: stock alerts"])

# A session's alerts are part of its sale: its organiser's to set and read.
Writer = Annotated[UnitOfWork, staff_writer(Permission.SALES_CONFIGURE, scope=SESSION_ORGANISER)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=SESSION_ORGANISER)]

Percent = Annotated[int, Field(ge=0, le=99)]
Levels = Annotated[
    list[Percent],
    Field(
        max_length=stock_alert_rules.MAX_LEVELS,
        description="percentages of a price level's sellable total (0: sold out)",
    ),
]


class LevelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: Levels | None = Field(
        description="the session's levels; null: back to the platform's (ADMIT_STOCK_ALERT_LEVELS)"
    )
    price_levels: dict[Annotated[str, Field(max_length=20)], Levels] = Field(
        default_factory=dict,
        max_length=50,
        description="by price level code, levels that differ from the session's",
    )


class RaisedOut(BaseModel):
    price_level: str
    level: int
    raised_at: datetime


class LevelsOut(BaseModel):
    session_id: int
    levels: list[int]
    price_levels: dict[str, list[int]]
    own: bool = Field(description="false: the platform's levels apply")
    raised: list[RaisedOut] = Field(description="levels crossed and not re-armed since")


async def _out(uow: UnitOfWork, rt: RuntimeDep, session_id: int) -> LevelsOut:
    default = stock_alert_rules.parse(rt.settings.stock_alert_levels)
    found = await stock_alerts.session_levels(uow, session_id, default)
    return LevelsOut(
        session_id=session_id,
        levels=list(found.levels),
        price_levels={code: list(v) for code, v in found.by_level.items()},
        own=found.own,
        raised=[RaisedOut(price_level=c, level=lv, raised_at=at) for c, lv, at in found.raised],
    )


@router.put("/sessions/{session_id}/stock-alerts")
async def set_stock_alerts(
    session_id: int, body: LevelsIn, uow: Writer, rt: RuntimeDep, now: Now
) -> LevelsOut:
    """Set the session's low-stock alert levels (each raised once per crossing, to the staff
    notices and the audit log). 404 for a price level code the session does not have."""
    await stock_alerts.set_levels(
        uow, session_id=session_id, levels=body.levels, by_code=body.price_levels, now=now
    )
    return await _out(uow, rt, session_id)


@router.get("/sessions/{session_id}/stock-alerts")
async def show_stock_alerts(session_id: int, uow: Reader, rt: RuntimeDep) -> LevelsOut:
    return await _out(uow, rt, session_id)
