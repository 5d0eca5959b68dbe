"""Administration endpoints of the catalogue (staff bearer token required). Organisers and
venues are created by global grants; a venue's map by grants scoped to the venue; events,
sessions and passes by grants scoped to their organiser. The scopes of catalogue resources
(``SESSION_ORGANISER``…) are declared here for every slice's routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from admit.catalog import events, ownership, passes, pricing, seatmaps, venues
from admit.catalog.models import SeatMap
from admit.catalog.schemas import (
    EventIn,
    EventOut,
    EventPatch,
    OrganiserIn,
    OrganiserOut,
    PassIn,
    PassOut,
    PriceLevelOut,
    PriceLevelsIn,
    SeatMapOut,
    SessionOut,
    SessionPatch,
    VenueIn,
    VenueOut,
    VenuePatch,
)
from admit.catalog.seatmap_format import auto_detect, to_csv, to_json
from admit.core.errors import InvalidInput
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PrincipalDep,
    by_path,
    narrowed,
    path_int,
    reach,
    require_scope,
    staff_reader,
    staff_writer,
)
from admit.http.media import file_content

admin_router = APIRouter(prefix="/admin", tags=["admin: catalogue"])


async def _session_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    organiser, _ = await ownership.places_of_session(uow, path_int(value, "session"))
    return [(ScopeKind.ORGANISER, organiser)]


async def _session_venue(uow: UnitOfWork, value: str) -> list[Place]:
    _, venue = await ownership.places_of_session(uow, path_int(value, "session"))
    return [(ScopeKind.VENUE, venue)]


async def _session_places(uow: UnitOfWork, value: str) -> list[Place]:
    organiser, venue = await ownership.places_of_session(uow, path_int(value, "session"))
    return [(ScopeKind.ORGANISER, organiser), (ScopeKind.VENUE, venue)]


async def _event_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    return [
        (ScopeKind.ORGANISER, await ownership.organiser_of_event(uow, path_int(value, "event")))
    ]


async def _seatmap_venue(uow: UnitOfWork, value: str) -> list[Place]:
    seat_map = path_int(value, "seat map")
    return [(ScopeKind.VENUE, await ownership.venue_of_seatmap(uow, seat_map))]


async def _pass_organiser(uow: UnitOfWork, value: str) -> list[Place]:
    return [(ScopeKind.ORGANISER, await ownership.organiser_of_pass(uow, path_int(value, "pass")))]


# A session is its organiser's to sell and configure, and its venue's to admit people to;
# its plan is read by both.
SESSION_ORGANISER = by_path("session_id", ScopeKind.ORGANISER, locate=_session_organiser)
SESSION_VENUE = by_path("session_id", ScopeKind.VENUE, locate=_session_venue)
SESSION_EITHER = by_path("session_id", ScopeKind.ORGANISER, ScopeKind.VENUE, locate=_session_places)
SEATMAP_VENUE = by_path("seat_map_id", ScopeKind.VENUE, locate=_seatmap_venue)
EVENT_ORGANISER = by_path("event_id", ScopeKind.ORGANISER, locate=_event_organiser)

Writer = Annotated[UnitOfWork, staff_writer(Permission.CATALOG_WRITE)]
OrganiserReader = Annotated[
    UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=narrowed(ScopeKind.ORGANISER))
]
VenueReader = Annotated[
    UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=narrowed(ScopeKind.VENUE))
]
VenueWriter = Annotated[
    UnitOfWork,
    staff_writer(Permission.CATALOG_WRITE, scope=by_path("venue_id", ScopeKind.VENUE)),
]
SeatMapReader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=SEATMAP_VENUE)]
Creator = Annotated[  # the body names the organiser: the route checks it
    UnitOfWork, staff_writer(Permission.CATALOG_WRITE, scope=narrowed(ScopeKind.ORGANISER))
]
EventWriter = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.CATALOG_WRITE,
        scope=EVENT_ORGANISER,
    ),
]
SessionWriter = Annotated[
    UnitOfWork, staff_writer(Permission.CATALOG_WRITE, scope=SESSION_ORGANISER)
]
PassReader = Annotated[
    UnitOfWork,
    staff_reader(
        Permission.CATALOG_READ,
        scope=by_path("product_id", ScopeKind.ORGANISER, locate=_pass_organiser),
    ),
]

MAX_SEATMAP_BYTES = 32 * 1024 * 1024


@admin_router.post("/organisers", status_code=201)
async def create_organiser(body: OrganiserIn, uow: Writer, now: Now) -> OrganiserOut:
    org = await venues.create_organiser(uow, code=body.code, name=body.name, now=now)
    return OrganiserOut.model_validate(org)


@admin_router.get("/organisers")
async def list_organisers(uow: OrganiserReader, who: PrincipalDep) -> list[OrganiserOut]:
    mine = reach(who, Permission.CATALOG_READ, ScopeKind.ORGANISER)
    return [
        OrganiserOut.model_validate(o)
        for o in await venues.list_organisers(uow)
        if mine is None or str(o.id) in mine
    ]


@admin_router.post("/venues", status_code=201)
async def create_venue(body: VenueIn, uow: Writer, now: Now) -> VenueOut:
    venue = await venues.create_venue(uow, **body.model_dump(), now=now)
    return VenueOut.model_validate(venue)


@admin_router.get("/venues", operation_id="admin_list_venues")
async def list_venues(uow: VenueReader, who: PrincipalDep) -> list[VenueOut]:
    mine = reach(who, Permission.CATALOG_READ, ScopeKind.VENUE)
    return [
        VenueOut.model_validate(v)
        for v in await venues.list_venues(uow)
        if mine is None or str(v.id) in mine
    ]


@admin_router.patch("/venues/{venue_id}")
async def update_venue(venue_id: int, body: VenuePatch, uow: VenueWriter, now: Now) -> VenueOut:
    changes = body.model_dump(exclude_unset=True)
    venue = await venues.update_venue(uow, venue_id, changes=changes, now=now)
    return VenueOut.model_validate(venue)


@admin_router.post(
    "/venues/{venue_id}/seatmaps",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_seatmap(venue_id: int, request: Request, uow: VenueWriter, now: Now) -> SeatMapOut:
    """Import a seat map file (JSON or record CSV, see docs/seatmap-format.md): all or nothing."""
    data = await request.body()
    if len(data) > MAX_SEATMAP_BYTES:
        raise InvalidInput("the seat map file is larger than 32 MiB")
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    filename = {"text/csv": "map.csv", "application/json": "map.json"}.get(kind)
    spec = auto_detect(data, filename)
    seat_map = await seatmaps.import_seatmap(uow, venue_id=venue_id, spec=spec, now=now)
    return SeatMapOut.model_validate(seat_map)


@admin_router.get("/seatmaps/{seat_map_id}")
async def get_seatmap(seat_map_id: int, uow: SeatMapReader) -> SeatMapOut:
    seat_map: SeatMap = await seatmaps.get_seatmap(uow, seat_map_id)
    return SeatMapOut.model_validate(seat_map)


@admin_router.get(
    "/seatmaps/{seat_map_id}/export", responses=file_content("application/json", "text/csv")
)
async def export_seatmap(
    seat_map_id: int,
    uow: SeatMapReader,
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002
) -> Response:
    spec = await seatmaps.export_seatmap(uow, seat_map_id)
    if format == "csv":
        return Response(to_csv(spec), media_type="text/csv; charset=utf-8")
    return Response(to_json(spec), media_type="application/json")


@admin_router.post("/events", status_code=201)
async def create_event(body: EventIn, uow: Creator, now: Now, who: PrincipalDep) -> EventOut:
    require_scope(who, Permission.CATALOG_WRITE, ScopeKind.ORGANISER, body.organiser_id)
    event = await events.create_event(uow, **body.model_dump(), now=now)
    return EventOut.model_validate(event)


@admin_router.patch("/events/{event_id}")
async def update_event(event_id: int, body: EventPatch, uow: EventWriter, now: Now) -> EventOut:
    changes = body.model_dump(exclude_unset=True)
    event = await events.update_event(uow, event_id, changes=changes, now=now)
    return EventOut.model_validate(event)


@admin_router.delete("/events/{event_id}", status_code=204)
async def delete_event(event_id: int, uow: EventWriter, now: Now) -> None:
    await events.delete_event(uow, event_id, now=now)


@admin_router.patch("/sessions/{session_id}")
async def update_session(
    session_id: int, body: SessionPatch, uow: SessionWriter, now: Now
) -> SessionOut:
    changes = body.model_dump(exclude_unset=True)
    session = await events.update_session(uow, session_id, changes=changes, now=now)
    return SessionOut.model_validate(session)


@admin_router.put("/sessions/{session_id}/price-levels")
async def set_price_levels(
    session_id: int, body: PriceLevelsIn, uow: SessionWriter, now: Now
) -> list[PriceLevelOut]:
    levels = [
        pricing.LevelInput(
            code=lv.code, name=lv.name, color=lv.color, currency=lv.currency, prices=lv.prices
        )
        for lv in body.levels
    ]
    views = await pricing.set_price_levels(uow, session_id=session_id, levels=levels, now=now)
    return [PriceLevelOut.model_validate(v) for v in views]


@admin_router.post("/passes", status_code=201)
async def create_pass(body: PassIn, uow: Creator, now: Now, who: PrincipalDep) -> PassOut:
    """A pass of the body's organiser; a scoped grant's pass covers its organiser's sessions."""
    require_scope(who, Permission.CATALOG_WRITE, ScopeKind.ORGANISER, body.organiser_id)
    if reach(who, Permission.CATALOG_WRITE, ScopeKind.ORGANISER) is not None:
        for organiser in await ownership.organisers_of_sessions(uow, body.session_ids):
            require_scope(who, Permission.CATALOG_WRITE, ScopeKind.ORGANISER, organiser)
    product = await passes.create_pass(uow, **body.model_dump(), now=now)
    return PassOut.model_validate({**_pass_fields(product), "session_ids": body.session_ids})


@admin_router.get("/passes/{product_id}")
async def get_pass(product_id: int, uow: PassReader) -> PassOut:
    product, session_ids = await passes.get_pass(uow, product_id)
    return PassOut.model_validate({**_pass_fields(product), "session_ids": session_ids})


def _pass_fields(product: object) -> dict[str, object]:
    names = PassOut.model_fields.keys() - {"session_ids"}
    return {name: getattr(product, name) for name in names}
