"""HTTP routes of the partners slice (mounted under /api/v1): a partner session's live
availability (refreshed from the cinema when viewed), the partner cinemas and the platform's
orders at them, reconciliation runs and their exceptions, and the cinemas' read-only daily
bills. Calls to a cinema happen with no unit of work open."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from admit.core.audit_context import ANONYMOUS
from admit.core.permissions import Permission, Principal
from admit.core.uow import UnitOfWork
from admit.finance.models import ExceptionStatus, ReconException, RunStatus
from admit.finance.recon_rules import DifferenceKind
from admit.http.deps import (
    Now,
    PrincipalDep,
    RuntimeDep,
    staff_actor,
    staff_may,
    staff_reader,
    staff_writer,
)
from admit.http.media import CsvResponse
from admit.inventory.availability import load_availability
from admit.partners import bills, reconciliation
from admit.partners.models import LockStatus, PartnerCinema, PartnerLock
from admit.partners.seat_plans import refresh_plan

router = APIRouter()
Finance = Annotated[UnitOfWork, staff_reader(Permission.FINANCE)]
Watcher = Annotated[UnitOfWork, staff_reader(Permission.PARTNERS)]
Reconciler = Annotated[UnitOfWork, staff_writer(Permission.RECONCILE)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class CinemaOut(Model):
    id: int
    system: str
    code: str
    name: str
    venue_id: int
    organiser_id: int
    synced_at: datetime | None


class LockOut(Model):
    ref: str
    hold_id: int
    session_id: int
    cinema_id: int
    status: LockStatus
    seats: list[str]
    expires_at: datetime
    order_number: str | None
    amount: int | None
    order_code: str | None
    print_no: str | None
    verify_code: str | None
    attempts: int
    confirm_by: datetime | None
    overdue: bool = False
    last_error: str | None


class ExceptionOut(Model):
    id: int
    cinema_id: int
    day: date
    order_no: str
    kind: DifferenceKind
    platform_amount: int | None
    partner_amount: int | None
    status: ExceptionStatus
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class RunOut(Model):
    cinema_id: int
    day: date
    status: RunStatus
    ran_at: datetime
    matched: int
    platform_total: int
    partner_total: int
    open_exceptions: int
    exceptions: list[ExceptionOut]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=2000)]


class BillLineOut(Model):
    at: datetime
    order_number: str
    cinema_order: str
    session: str
    tickets: int
    amount: int


class BillOut(Model):
    cinema_id: int
    cinema: str
    day: date
    orders: int
    tickets: int
    total: int
    lines: list[BillLineOut]


def _exception_out(row: ReconException) -> ExceptionOut:
    return ExceptionOut(
        id=row.id,
        cinema_id=reconciliation.cinema_of(row),
        day=row.day,
        order_no=row.ref,
        kind=row.kind,
        platform_amount=row.platform_amount,
        partner_amount=row.partner_amount,
        status=row.status,
        note=row.note,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )


def _run_out(view: reconciliation.RunView) -> RunOut:
    run = view.run
    return RunOut(
        cinema_id=reconciliation.cinema_of(run),
        day=run.day,
        status=run.status,
        ran_at=run.ran_at,
        matched=run.matched,
        platform_total=run.platform_total,
        partner_total=run.partner_total,
        open_exceptions=run.open_exceptions,
        exceptions=[_exception_out(e) for e in view.exceptions],
    )


@router.get("/partner-sessions/{session_id}/availability", tags=["public: sessions"])
async def live_availability(session_id: int, rt: RuntimeDep, now: Now) -> Response:
    """A partner cinema's session as the cinema has it now: its seat plan is refreshed from
    the cinema when older than a few seconds, then served like ``/sessions/{id}/availability``."""
    await refresh_plan(rt, session_id)
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        avail = await load_availability(uow, session_id, now=now)
    return Response(
        orjson.dumps(avail.as_json()),
        media_type="application/json",
        headers={"ETag": avail.etag, "Cache-Control": "no-cache"},
    )


@router.get("/admin/partners/cinemas", tags=["admin: partners"])
async def cinemas(uow: Watcher) -> list[CinemaOut]:
    rows = await uow.session.scalars(select(PartnerCinema).order_by(PartnerCinema.id))
    return [CinemaOut.model_validate(c) for c in rows.all()]


@router.get("/admin/partners/orders", tags=["admin: partners"])
async def partner_orders(
    uow: Watcher,
    now: Now,
    status: LockStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LockOut]:
    """The platform's locks and orders at partner cinemas, newest first; a confirmation past
    its window is ``overdue`` (staff check it with the cinema)."""
    query = select(PartnerLock).order_by(PartnerLock.id.desc()).limit(limit)
    if status:
        query = query.where(PartnerLock.status == status)
    out = []
    for lock in (await uow.session.scalars(query)).all():
        row = LockOut.model_validate(lock)
        row.overdue = lock.status == "confirming" and (lock.confirm_by or now) < now
        out.append(row)
    return out


@router.post("/admin/partners/cinemas/{cinema_id}/reconciliations/{day}", tags=["admin: partners"])
async def run_reconciliation(
    cinema_id: int,
    day: date,
    rt: RuntimeDep,
    who: Annotated[Principal, staff_may(Permission.RECONCILE)],
) -> RunOut:
    """Compare the platform's confirmed orders of a UTC day with the cinema's report."""
    return _run_out(await reconciliation.reconcile(rt, cinema_id=cinema_id, day=day))


@router.get("/admin/partners/cinemas/{cinema_id}/reconciliations/{day}", tags=["admin: partners"])
async def get_reconciliation(cinema_id: int, day: date, uow: Finance) -> RunOut:
    return _run_out(await reconciliation.get_run(uow, cinema_id=cinema_id, day=day))


@router.get("/admin/partners/exceptions", tags=["admin: partners"])
async def exceptions(
    uow: Finance,
    status: ExceptionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ExceptionOut]:
    rows = await reconciliation.list_exceptions(uow, status=status, limit=limit)
    return [_exception_out(e) for e in rows]


@router.post("/admin/partners/exceptions/{exception_id}/resolve", tags=["admin: partners"])
async def resolve_exception(
    exception_id: int, body: ResolveIn, uow: Reconciler, who: PrincipalDep, now: Now
) -> ExceptionOut:
    """Close an exception with a note saying what was done (A3); it stays on record."""
    row = await reconciliation.resolve(
        uow, exception_id=exception_id, note=body.note, who=staff_actor(who).name or "", now=now
    )
    return _exception_out(row)


@router.get(
    "/admin/partners/cinemas/{cinema_id}/bills/{day}.csv",
    tags=["admin: partners"],
    response_class=CsvResponse,
)
async def bill_csv(cinema_id: int, day: date, uow: Finance) -> Response:
    """The same bill as CSV (declared first: ``{day}`` alone would also match it)."""
    bill = await bills.cinema_bill(uow, cinema_id=cinema_id, day=day)
    return Response(
        bills.bill_csv(bill),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="cinema-{cinema_id}-{day}.csv"'},
    )


@router.get("/admin/partners/cinemas/{cinema_id}/bills/{day}", tags=["admin: partners"])
async def bill(cinema_id: int, day: date, uow: Finance) -> BillOut:
    """What the cinema confirmed to the platform that UTC day: read-only (C4)."""
    found = await bills.cinema_bill(uow, cinema_id=cinema_id, day=day)
    return BillOut(
        cinema_id=found.cinema_id,
        cinema=found.cinema,
        day=found.day,
        orders=found.orders,
        tickets=found.tickets,
        total=found.total,
        lines=[BillLineOut.model_validate(ln) for ln in found.lines],
    )
