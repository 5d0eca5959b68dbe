"""Reconciliation over HTTP (C5, A2, A3), under /admin/finance/reconciliation: a payment
gateway's day reconciled from its fetched statement or from an uploaded CSV
(docs/reconciliation.md), the runs (a counterparty's day, reconciled when no exception is
open) and the exceptions of every counterparty — cinemas' ones included — resolved with a note
and, for a gateway, optionally a correcting ledger entry. Running needs ``partners.reconcile``
(``Permission.RECONCILE``), reading ``finance.read``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from admit.core.permissions import Permission, Principal
from admit.core.uow import UnitOfWork
from admit.finance import gateway_recon, statement_csv
from admit.finance import reconciliation as recon
from admit.finance.models import ExceptionStatus, ReconException, RunSource, RunStatus
from admit.finance.recon_rules import DifferenceKind, LineKind
from admit.http.deps import (
    Now,
    PrincipalDep,
    RuntimeDep,
    staff_actor,
    staff_may,
    staff_reader,
    staff_writer,
)
from admit.payments.gateway import GatewayName

router = APIRouter(prefix="/admin/finance/reconciliation", tags=["admin: reconciliation"])
Reader = Annotated[UnitOfWork, staff_reader(Permission.FINANCE)]
Reconciler = Annotated[UnitOfWork, staff_writer(Permission.RECONCILE)]
Runner = Annotated[Principal, staff_may(Permission.RECONCILE)]
MAX_STATEMENT_BYTES = 64 * 1024 * 1024


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class ExceptionOut(Model):
    id: int
    counterparty: str = Field(description="cinema:<id> or gateway:<name>")
    day: date
    ref: str = Field(description="order number (cinema); payment or refund number (gateway)")
    kind: DifferenceKind
    line_kind: LineKind
    platform_amount: int | None
    partner_amount: int | None = Field(
        description="the other side's amount; for a duplicate, what the extra copies add"
    )
    status: ExceptionStatus
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    adjustment: int | None = Field(
        description="the correcting entry's amount into the gateway's account, if one was posted"
    )


class RunOut(Model):
    counterparty: str
    day: date
    status: RunStatus
    source: RunSource
    ran_at: datetime
    lines: int
    matched: int
    platform_total: int
    partner_total: int
    open_exceptions: int
    reconciled: bool


class RunDetailOut(RunOut):
    exceptions: list[ExceptionOut]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=2000)]
    adjust: bool = Field(
        default=False,
        description="post a correcting ledger entry between the gateway's account and "
        "suspense:reconciliation (gateway exceptions only; once per exception)",
    )
    organiser_id: int | None = Field(
        default=None,
        description="whose books the correction goes to, when the platform has no payment "
        "for the line (missing_on_platform)",
    )


def _run(view: recon.RunView) -> RunOut:
    run = view.run
    return RunOut(
        counterparty=run.counterparty,
        day=run.day,
        status=run.status,
        source=run.source,
        ran_at=run.ran_at,
        lines=run.lines,
        matched=run.matched,
        platform_total=run.platform_total,
        partner_total=run.partner_total,
        open_exceptions=run.open_exceptions,
        reconciled=view.reconciled,
    )


def _detail(view: recon.RunView) -> RunDetailOut:
    return RunDetailOut(
        **_run(view).model_dump(),
        exceptions=[ExceptionOut.model_validate(e) for e in view.exceptions],
    )


@router.post("/gateways/{gateway}/{day}", responses={502: {}, 503: {}})
async def fetch_gateway_statement(
    gateway: GatewayName, day: date, rt: RuntimeDep, who: Runner
) -> RunDetailOut:
    """Fetch the gateway's statement of a UTC day that is over and reconcile it with the
    ledger (400 ``invalid_input`` before the day is over; the gateway's errors — 409
    ``gateway_refused``, 503 ``gateway_unavailable`` — store nothing)."""
    view = await gateway_recon.reconcile(rt, gateway=gateway, day=day, actor=staff_actor(who))
    return _detail(view)


@router.post(
    "/gateways/{gateway}/{day}/statement",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_gateway_statement(
    gateway: GatewayName, day: date, request: Request, uow: Reconciler, now: Now
) -> RunDetailOut:
    """Reconcile a UTC day with a statement uploaded in the generic CSV format
    (docs/reconciliation.md). A malformed file is refused whole: 400 ``malformed_statement``
    naming the bad rows in ``details.rows``."""
    recon.check_day_over(day, now)
    data = await request.body()
    if len(data) > MAX_STATEMENT_BYTES:
        raise statement_csv.MalformedStatement("the statement is larger than 64 MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise statement_csv.MalformedStatement("the statement is not UTF-8") from None
    lines = statement_csv.parse(text, gateway=gateway, day=day)
    view = await gateway_recon.compare_and_store(
        uow, gateway=gateway, day=day, lines=lines, source="uploaded", now=now
    )
    return _detail(view)


@router.get("/gateways/{gateway}/{day}")
async def gateway_reconciliation(gateway: GatewayName, day: date, uow: Reader) -> RunDetailOut:
    """A gateway's day as last reconciled (404 ``not_reconciled`` before its first run)."""
    return _detail(
        await recon.get_run(uow, counterparty=gateway_recon.counterparty(gateway), day=day)
    )


@router.get("/runs")
async def recon_runs(
    uow: Reader,
    counterparty: Annotated[
        str, Query(max_length=60, description="a prefix: gateway:, cinema:")
    ] = "",
    reconciled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RunOut]:
    """Reconciled periods (a counterparty's day), newest first; ``reconciled=false`` lists
    those with exceptions still open (or a run still queued)."""
    found = await recon.list_runs(uow, prefix=counterparty, reconciled=reconciled, limit=limit)
    return [_run(recon.RunView(r, [])) for r in found]


@router.get("/exceptions")
async def recon_exceptions(
    uow: Reader,
    status: ExceptionStatus | None = None,
    counterparty: Annotated[
        str, Query(max_length=60, description="a prefix: gateway:, cinema:")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ExceptionOut]:
    rows = await recon.list_exceptions(uow, status=status, prefix=counterparty, limit=limit)
    return [ExceptionOut.model_validate(e) for e in rows]


@router.post("/exceptions/{exception_id}/resolve")
async def resolve_recon_exception(
    exception_id: int, body: ResolveIn, uow: Reconciler, who: PrincipalDep, now: Now
) -> ExceptionOut:
    """Close an exception with a note saying what was done (A3); it stays on record. With
    ``adjust`` a gateway's difference is also corrected in the ledger (400
    ``nothing_to_adjust``, ``organiser_required``; 409 ``already_resolved``)."""
    row: ReconException = await gateway_recon.resolve(
        uow,
        exception_id=exception_id,
        note=body.note,
        who=staff_actor(who).name or "",
        now=now,
        adjust=body.adjust,
        organiser_id=body.organiser_id,
    )
    return ExceptionOut.model_validate(row)
