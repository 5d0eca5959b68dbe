"""Reports over HTTP (G8, C4): every report as JSON, CSV (streamed), XLSX and a page with a
chart, per organiser — ``/admin/reports/{organiser_id}/{report}[.csv|.xlsx|.html]`` with
``by``, ``from`` and ``to`` (UTC days, inclusive). Money is in every report, so each needs
``finance.read``, globally or for that organiser. Also one day's bill (``finance.bills``, the
same bill as ``/admin/finance/bills``) as XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.finance import bills
from admit.http.deps import by_path, staff_reader
from admit.http.media import CsvResponse
from admit.reports import bill_export, page
from admit.reports.dimensions import Dimension
from admit.reports.exports import XLSX, csv_chunks, xlsx_bytes
from admit.reports.figures import Figures, Row, figures
from admit.reports.kinds import KINDS, Column, Kind, RankBy, ReportName, ranked
from admit.reports.periods import Period

router = APIRouter(prefix="/admin/reports", tags=["admin: reports"])
Reader = Annotated[
    UnitOfWork,
    staff_reader(Permission.FINANCE, scope=by_path("organiser_id", ScopeKind.ORGANISER)),
]
By = Annotated[
    Dimension | None,
    Query(description="what the rows are; each report allows some (its first by default)"),
]
From = Annotated[date, Query(alias="from", description="the first UTC day")]
To = Annotated[date, Query(alias="to", description="the last UTC day (inclusive)")]
Rank = Annotated[RankBy, Query(description="sellers: rank by net revenue or tickets")]
Limit = Annotated[int, Query(ge=1, le=1000, description="sellers: how many to rank")]


class XlsxResponse(Response):
    media_type = XLSX


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RowOut(Model):
    key: str
    label: str
    payments: int
    paid: int
    refunds: int
    refunded: int
    net: int
    tickets: int
    buyers: int


class ReportOut(Model):
    report: ReportName
    organiser_id: int
    by: Dimension
    first: date
    last: date
    columns: list[Column]
    rows: list[RowOut]
    totals: RowOut


def _out(row: Row) -> RowOut:
    return RowOut(
        key=row.key,
        label=row.label,
        payments=row.payments,
        paid=row.paid,
        refunds=row.refunds,
        refunded=row.refunded,
        net=row.net,
        tickets=row.tickets,
        buyers=row.buyers,
    )


async def _run(
    uow: UnitOfWork,
    report: ReportName,
    organiser_id: int,
    by: str | None,
    first: date,
    last: date,
    rank: RankBy,
    limit: int,
) -> tuple[Kind, Figures, list[Row]]:
    kind = KINDS[report]
    fig = await figures(
        uow,
        organiser_id=organiser_id,
        period=Period.of(first, last),
        dimension=kind.dimension(by),
        movements=kind.movements,
        with_buyers=kind.with_buyers,
    )
    rows = ranked(fig.rows, rank, limit) if kind.ranked else fig.rows
    return kind, fig, rows


def _filename(kind: Kind, organiser_id: int, fig: Figures, ext: str) -> dict[str, str]:
    name = f"{kind.name}-{organiser_id}-{fig.dimension}-{fig.period.first}-{fig.period.last}"
    return {"Content-Disposition": f'attachment; filename="{name}.{ext}"'}


@router.get("/{organiser_id}/bills/{day}.xlsx", response_class=XlsxResponse)
async def daily_bill_xlsx(organiser_id: int, day: date, uow: Reader) -> Response:
    """One day's bill, the one ``/admin/finance/bills/{organiser_id}/{day}`` answers, as XLSX."""
    bill = await bills.daily_bill(uow, organiser_id=organiser_id, day=day)
    return Response(
        bill_export.xlsx_bytes(bill),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="bill-{organiser_id}-{day}.xlsx"'},
    )


@router.get("/{organiser_id}/{report}.csv", response_class=CsvResponse)
async def report_csv(
    organiser_id: int,
    report: ReportName,
    uow: Reader,
    first: From,
    last: To,
    by: By = None,
    rank: Rank = "net",
    limit: Limit = 20,
) -> StreamingResponse:
    """The report as CSV, streamed (declared before the JSON route: ``{report}`` would match)."""
    kind, fig, rows = await _run(uow, report, organiser_id, by, first, last, rank, limit)
    chunks: Iterator[str] = csv_chunks(kind, fig, rows)
    return StreamingResponse(
        chunks, media_type="text/csv", headers=_filename(kind, organiser_id, fig, "csv")
    )


@router.get("/{organiser_id}/{report}.xlsx", response_class=XlsxResponse)
async def report_xlsx(
    organiser_id: int,
    report: ReportName,
    uow: Reader,
    first: From,
    last: To,
    by: By = None,
    rank: Rank = "net",
    limit: Limit = 20,
) -> Response:
    kind, fig, rows = await _run(uow, report, organiser_id, by, first, last, rank, limit)
    return Response(
        xlsx_bytes(kind, fig, rows),
        media_type=XLSX,
        headers=_filename(kind, organiser_id, fig, "xlsx"),
    )


@router.get("/{organiser_id}/{report}.html", response_class=HTMLResponse)
async def report_page(
    request: Request,
    organiser_id: int,
    report: ReportName,
    uow: Reader,
    first: From,
    last: To,
    by: By = None,
    rank: Rank = "net",
    limit: Limit = 20,
) -> HTMLResponse:
    """The report as a page: a bar chart (inline SVG) of its main figure, the table, and
    links to the exports and to the other groupings."""
    kind, fig, rows = await _run(uow, report, organiser_id, by, first, last, rank, limit)
    query = {"from": str(first), "to": str(last), "by": fig.dimension}
    if kind.ranked:
        query |= {"rank": rank, "limit": str(limit)}
    base = request.url.path.removesuffix(".html")
    return HTMLResponse(
        page.render(
            kind,
            fig,
            rows,
            base=base,
            organiser_id=organiser_id,
            query=query,
            css="/static/site.css",
            note=f"top {limit} by {rank}" if kind.ranked else "",
        )
    )


@router.get("/{organiser_id}/{report}")
async def report_json(
    organiser_id: int,
    report: ReportName,
    uow: Reader,
    first: From,
    last: To,
    by: By = None,
    rank: Rank = "net",
    limit: Limit = 20,
) -> ReportOut:
    """A report's rows: revenue by period or by what was sold, refunds, the sellers ranked,
    the audience's sources, or the bills per day (a one-day grain at the finest)."""
    kind, fig, rows = await _run(uow, report, organiser_id, by, first, last, rank, limit)
    return ReportOut(
        report=kind.name,
        organiser_id=organiser_id,
        by=fig.dimension,
        first=fig.period.first,
        last=fig.period.last,
        columns=list(kind.columns),
        rows=[_out(r) for r in rows],
        totals=_out(_sum(rows)),
    )


def _sum(rows: list[Row]) -> Row:
    total = Row("", "total")
    for row in rows:
        total.add(row.payments, row.paid, row.refunds, row.refunded, row.tickets)
        total.buyers += row.buyers
    return total
