"""The partner API (API1, API2, API6): session search and live availability for partners'
keys, each call rate-limited per key and logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from admit.http.deps import Now, PublicReader, RuntimeDep
from admit.http.partner import Partner, partner
from admit.inventory import public_api
from admit.inventory.schemas import SessionSummary

router = APIRouter(prefix="/partner", tags=["partner API"])


@router.get("/sessions", operation_id="partner_search")
async def search(
    _: Annotated[Partner, partner("catalog.read")],
    uow: PublicReader,
    rt: RuntimeDep,
    now: Now,
    f: public_api.Filter,
) -> list[SessionSummary]:
    """The public session search, for partners (scope ``catalog.read``)."""
    return await public_api.find_summaries(uow, rt, f, now)


@router.get("/sessions/{session_id}/availability", operation_id="partner_availability")
async def availability(
    _: Annotated[Partner, partner("availability.read")],
    session_id: int,
    request: Request,
    uow: PublicReader,
    rt: RuntimeDep,
    now: Now,
) -> Response:
    """Seat states, as the public endpoint (scope ``availability.read``)."""
    return await public_api.availability(session_id, request, uow, rt, now)
