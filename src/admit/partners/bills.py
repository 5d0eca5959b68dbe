"""Read-only bills per partner cinema per day (C4): every order the cinema confirmed to the
platform that UTC day, with its booking number and amount, and the day's total — as JSON or
CSV. Nothing here writes: there is no way to add, change or remove a bill line."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from admit.catalog.models import Session
from admit.core import csv_export
from admit.core.uow import UnitOfWork
from admit.partners.models import PartnerLock, PartnerSession
from admit.partners.reconciliation import day_bounds, get_cinema

CSV_COLUMNS = ("confirmed_at", "order_number", "cinema_order", "session", "tickets", "amount")


@dataclass(frozen=True, slots=True)
class BillLine:
    at: datetime
    order_number: str
    cinema_order: str
    session: str
    tickets: int
    amount: int


@dataclass(frozen=True, slots=True)
class CinemaBill:
    cinema_id: int
    cinema: str
    day: date
    orders: int
    tickets: int
    total: int
    lines: tuple[BillLine, ...]


async def cinema_bill(uow: UnitOfWork, *, cinema_id: int, day: date) -> CinemaBill:
    cinema = await get_cinema(uow, cinema_id)
    start, end = day_bounds(day)
    rows = (
        await uow.session.execute(
            select(PartnerLock, PartnerSession.code, Session.name)
            .join(PartnerSession, PartnerSession.session_id == PartnerLock.session_id)
            .join(Session, Session.id == PartnerLock.session_id)
            .where(
                PartnerLock.cinema_id == cinema_id,
                PartnerLock.status == "confirmed",
                PartnerLock.confirmed_at >= start,
                PartnerLock.confirmed_at < end,
            )
            .order_by(PartnerLock.confirmed_at, PartnerLock.id)
        )
    ).all()
    lines = tuple(
        BillLine(
            at=lock.confirmed_at or start,
            order_number=lock.order_number or "",
            cinema_order=lock.order_code or "",
            session=f"{code} {name}",
            tickets=len(lock.seats),
            amount=lock.amount or 0,
        )
        for lock, code, name in rows
    )
    return CinemaBill(
        cinema_id=cinema.id,
        cinema=cinema.name,
        day=day,
        orders=len(lines),
        tickets=sum(ln.tickets for ln in lines),
        total=sum(ln.amount for ln in lines),
        lines=lines,
    )


def bill_csv(bill: CinemaBill) -> str:
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(CSV_COLUMNS)
    for ln in bill.lines:
        writer.writerow(
            [ln.at.isoformat(), ln.order_number, ln.cinema_order, ln.session, ln.tickets, ln.amount]
        )
    writer.writerow(["total", "", "", "", bill.tickets, bill.total])
    return out.getvalue()
