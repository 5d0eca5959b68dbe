"""Public read endpoints of the catalogue: events and venues."""

from __future__ import annotations

from fastapi import APIRouter

from admit.catalog import events, venues
from admit.catalog.schemas import EventOut, VenueOut
from admit.http.deps import PublicReader

router = APIRouter(tags=["public: catalogue"])


@router.get("/events/{event_id}")
async def get_event(event_id: int, uow: PublicReader) -> EventOut:
    return EventOut.model_validate(await events.get_event(uow, event_id))


@router.get("/venues")
async def list_venues(uow: PublicReader) -> list[VenueOut]:
    return [VenueOut.model_validate(v) for v in await venues.list_venues(uow)]
