"""Redemption at the counter (G18, OPS2): box-office and agent staff hand a paid order's tickets
to the person quoting its pickup code, after checking their document (``sales.pickups``), and
print them. A clerk acts for their outlet: a grant scoped to another outlet or channel is 403."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy import select

from admit.accounts.documents import DocumentType
from admit.core import audit
from admit.core.errors import NotFound
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PrincipalDep,
    RuntimeDep,
    by_path,
    narrowed,
    path_int,
    require_any_scope,
    staff_writer,
)
from admit.http.media import PdfResponse
from admit.sales import pickups
from admit.sales.hold_api import Model
from admit.sales.models import Order, Outlet, Pickup
from admit.sales.ticket_api import TicketOut, ticket_out, tickets_pdf
from admit.sales.windows import OutletDisabled
from admit.ticketing import issue

router = APIRouter(prefix="/counter", tags=["counter sales"])
AT_COUNTER = (ScopeKind.OUTLET, ScopeKind.CHANNEL)


async def _pickup_places(uow: UnitOfWork, value: str) -> list[Place]:
    pickup = await uow.session.get(Pickup, path_int(value, "pickup"))
    if pickup is None:
        raise NotFound(f"pickup {value} does not exist")
    channel = await uow.session.scalar(select(Outlet.channel).where(Outlet.code == pickup.outlet))
    return [(ScopeKind.OUTLET, pickup.outlet), (ScopeKind.CHANNEL, channel or "")]


Clerk = Annotated[UnitOfWork, staff_writer(Permission.SELL, scope=narrowed(*AT_COUNTER))]
PickupClerk = Annotated[
    UnitOfWork,
    staff_writer(Permission.SELL, scope=by_path("pickup_id", *AT_COUNTER, locate=_pickup_places)),
]


class DocumentShown(Model):
    doc_type: DocumentType
    number: Annotated[str, Field(min_length=4, max_length=40)]


class PickupIn(Model):
    code: Annotated[str, Field(min_length=10, max_length=12, description="the order's pickup code")]
    outlet: Annotated[
        str, Field(min_length=1, max_length=40, description="where it is handed over")
    ]
    document: DocumentShown = Field(description="the document of the person collecting")


class PickupOut(Model):
    id: int
    order: str
    outlet: str
    collected_at: datetime
    tickets: list[TicketOut]


@router.post("/pickups", status_code=201)
async def collect_order(
    body: PickupIn, uow: Clerk, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> PickupOut:
    """Hand over a paid order's tickets at this outlet: the code names the order, the document
    must be the buyer's or a ticket holder's when the order names people (403
    ``pickup_identity_mismatch``), once per order (409 ``already_collected``), at most
    ``ADMIT_PICKUPS_PER_PERSON_DAY`` orders per person a day (409 ``pickup_limit_reached``).
    Answers the tickets; ``GET /counter/pickups/{id}/tickets.pdf`` prints them."""
    outlet = await uow.session.scalar(select(Outlet).where(Outlet.code == body.outlet))
    if outlet is None:
        raise NotFound(f"outlet {body.outlet!r} does not exist")
    require_any_scope(
        who, Permission.SELL, [(ScopeKind.OUTLET, outlet.code), (ScopeKind.CHANNEL, outlet.channel)]
    )
    if not outlet.enabled:
        raise OutletDisabled(
            f"outlet {outlet.code!r} is switched off: it cannot sell",
            details={"outlet": outlet.code},
        )
    request = pickups.PickupRequest(
        code=body.code,
        doc_type=body.document.doc_type.value,
        doc_number=body.document.number,
        outlet=outlet.code,
        staff_id=who.staff_id,
    )
    order, pickup = await pickups.collect(
        uow, rt.crypto, request, per_day=rt.settings.pickups_per_person_day, now=now
    )
    tickets = await issue.tickets_of(uow, order.number)
    return PickupOut(
        id=pickup.id,
        order=order.number,
        outlet=pickup.outlet,
        collected_at=pickup.created_at,
        tickets=[ticket_out(t) for t in tickets],
    )


@router.get("/pickups/{pickup_id}/tickets.pdf", response_class=PdfResponse)
async def pickup_tickets_pdf(pickup_id: int, uow: PickupClerk, now: Now) -> Response:
    """The collected order's tickets as one PDF to print, for staff of the outlet (or channel)
    where they were collected; each printing audited."""
    pickup = await uow.session.get(Pickup, pickup_id)
    order = await uow.session.get(Order, pickup.order_id) if pickup else None
    if order is None:
        raise NotFound(f"pickup {pickup_id} does not exist")
    await audit.record(
        uow,
        action="tickets.printed",
        entity_type="order",
        entity_id=order.number,
        data={"pickup": pickup_id},
        now=now,
    )
    return await tickets_pdf(uow, order, await issue.tickets_of(uow, order.number))
