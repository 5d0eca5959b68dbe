"""Settlement over HTTP (A1, OPS6): agreements with each party, runs of a period, and each
party's statement as CSV or PDF. Making agreements and runs needs the settlement permission;
reading them, the finance one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from admit.core.errors import NotFound
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, staff_actor, staff_reader, staff_writer
from admit.http.media import CsvResponse, PdfResponse
from admit.settlement import agreements, runs, statements
from admit.settlement.models import (
    Cadence,
    PartyKind,
    RunTrigger,
    SettlementAgreement,
    SettlementRun,
    SettlementShare,
    ShareKind,
)

router = APIRouter(prefix="/admin/settlement", tags=["admin: settlement"])
Settler = Annotated[UnitOfWork, staff_writer(Permission.SETTLEMENT)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.FINANCE)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class AgreementIn(Model):
    organiser_id: int
    kind: PartyKind
    party: str | None = Field(
        default=None,
        max_length=40,
        description="agent: the outlet's code; printer: its code; client: the client's id; "
        "none for the organiser and the platform",
    )
    outlet: str | None = Field(
        default=None, max_length=40, description="printer: the counter it prints for"
    )
    percent_bp: int = Field(default=0, ge=0, le=10_000, description="basis points of the base")
    per_ticket: int = Field(default=0, ge=0, description="minor units per ticket counted")
    cadence: Cadence | None = Field(default=None, description="organiser: how often to settle")
    valid_from: date
    valid_until: date | None = Field(default=None, description="first day it no longer applies")


class AgreementOut(Model):
    id: int
    organiser_id: int
    kind: PartyKind
    party: str
    outlet: str | None
    percent_bp: int
    per_ticket: int
    cadence: Cadence | None
    valid_from: date
    valid_until: date | None
    created_at: datetime
    created_by: str


class EndIn(Model):
    until: date


class RunIn(Model):
    organiser_id: int
    start: date
    end: date = Field(description="the first day after the period")


class ShareOut(Model):
    id: int
    kind: ShareKind
    party: str
    agreement_id: int | None
    gross: int
    refunded: int
    tickets: int
    percent_bp: int
    per_ticket: int
    amount: int
    account: str
    entry_ref: str | None


class RunOut(Model):
    id: int
    organiser_id: int
    period_start: date
    period_end: date
    currency: str
    gross: int
    refunded: int
    trigger: RunTrigger
    created_at: datetime
    created_by: str
    shares: list[ShareOut]


def _run_out(run: SettlementRun, shares: list[SettlementShare]) -> RunOut:
    return RunOut(
        id=run.id,
        organiser_id=run.organiser_id,
        period_start=run.period_start,
        period_end=run.period_end,
        currency=run.currency,
        gross=run.gross,
        refunded=run.refunded,
        trigger=run.trigger,
        created_at=run.created_at,
        created_by=run.created_by,
        shares=[ShareOut.model_validate(s) for s in shares],
    )


def _agreement_out(row: SettlementAgreement) -> AgreementOut:
    return AgreementOut.model_validate(row)


@router.post("/agreements", status_code=201)
async def make_agreement(
    body: AgreementIn, uow: Settler, who: PrincipalDep, now: Now
) -> AgreementOut:
    """Record terms with one party; refused when they overlap another agreement with it."""
    row = await agreements.create(
        uow,
        agreements.NewAgreement(**body.model_dump()),
        who=staff_actor(who).name or "",
        now=now,
    )
    return _agreement_out(row)


@router.get("/agreements")
async def list_agreements(
    uow: Reader, organiser_id: int, on: date | None = None
) -> list[AgreementOut]:
    return [
        _agreement_out(a) for a in await agreements.listed(uow, organiser_id=organiser_id, on=on)
    ]


@router.post("/agreements/{agreement_id}/end")
async def end_agreement(
    agreement_id: int, body: EndIn, uow: Settler, who: PrincipalDep, now: Now
) -> AgreementOut:
    row = await agreements.end(
        uow, agreement_id, until=body.until, who=staff_actor(who).name or "", now=now
    )
    return _agreement_out(row)


@router.post("/runs")
async def run_settlement(body: RunIn, uow: Settler, who: PrincipalDep, now: Now) -> RunOut:
    """Settle a period that is over: the same run again when it was settled before."""
    run = await runs.settle(
        uow,
        organiser_id=body.organiser_id,
        start=body.start,
        end=body.end,
        trigger="manual",
        who=staff_actor(who).name or "",
        now=now,
    )
    return _run_out(*await runs.run_shares(uow, run.id))


@router.get("/runs")
async def list_runs(
    uow: Reader,
    organiser_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RunOut]:
    found = await runs.list_runs(uow, organiser_id=organiser_id, limit=limit)
    return [_run_out(*await runs.run_shares(uow, r.id)) for r in found]


@router.get("/runs/{run_id}")
async def get_run(run_id: int, uow: Reader) -> RunOut:
    return _run_out(*await runs.run_shares(uow, run_id))


async def _statement(
    uow: UnitOfWork, run_id: int, share_id: int
) -> tuple[SettlementRun, SettlementShare]:
    run, shares = await runs.run_shares(uow, run_id)
    share = next((s for s in shares if s.id == share_id), None)
    if share is None:
        raise NotFound(f"run {run_id} has no share {share_id}")
    return run, share


def _name(share: SettlementShare) -> str:
    return f"settlement-{share.organiser_id}-{share.kind}-{share.id}-{share.period_start}"


@router.get("/runs/{run_id}/statements/{share_id}.csv", response_class=CsvResponse)
async def statement_csv(run_id: int, share_id: int, uow: Reader) -> Response:
    run, share = await _statement(uow, run_id, share_id)
    return Response(
        statements.statement_csv(run, share),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_name(share)}.csv"'},
    )


@router.get("/runs/{run_id}/statements/{share_id}.pdf", response_class=PdfResponse)
async def statement_pdf(run_id: int, share_id: int, uow: Reader) -> Response:
    run, share = await _statement(uow, run_id, share_id)
    return Response(
        statements.statement_pdf(run, share),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_name(share)}.pdf"'},
    )
