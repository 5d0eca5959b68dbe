"""Daily bills (C4): an organiser's payments and refunds of one day, read from the payment
records and checked against the ledger. Read-only: nothing here writes, and the ledger behind
it cannot be edited."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import select

from admit.core import csv_export
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.payments.models import Payment, Refund

# A line of a daily bill is money in (a payment) or out (a refund).
BillLineKind = Literal["pay", "refund"]


@dataclass(frozen=True, slots=True)
class BillLine:
    at: datetime
    kind: BillLineKind
    reference: str  # payment or refund number
    order_number: str
    method: str
    amount: int  # signed: refunds negative


@dataclass(frozen=True, slots=True)
class DailyBill:
    organiser_id: int
    day: date
    currency: str
    lines: list[BillLine]
    paid: int
    refunded: int
    net: int
    ledger_net: int  # the movement of the organiser's payable account that day

    @property
    def matches_ledger(self) -> bool:
        return self.net == self.ledger_net


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def daily_bill(uow: UnitOfWork, *, organiser_id: int, day: date) -> DailyBill:
    start, end = day_bounds(day)
    pays = (
        await uow.session.scalars(
            select(Payment)
            .where(
                Payment.organiser_id == organiser_id,
                Payment.captured_at >= start,
                Payment.captured_at < end,
            )
            .order_by(Payment.captured_at, Payment.id)
        )
    ).all()
    refunds = (
        await uow.session.execute(
            select(Refund, Payment)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.organiser_id == organiser_id,
                Refund.status == "done",
                Refund.done_at >= start,
                Refund.done_at < end,
            )
            .order_by(Refund.done_at, Refund.id)
        )
    ).all()
    lines = [
        BillLine(p.captured_at or start, "pay", p.number, p.order_number, p.method, p.amount)
        for p in pays
    ] + [
        BillLine(r.done_at or start, "refund", r.number, p.order_number, p.method, -r.amount)
        for r, p in refunds
    ]
    lines.sort(key=lambda line: (line.at, line.reference))
    paid = sum(line.amount for line in lines if line.kind == "pay")
    refunded = -sum(line.amount for line in lines if line.kind == "refund")
    payable = await ledger.day_total(
        uow,
        organiser_id=organiser_id,
        account=ledger.payable_account(organiser_id),
        start=start,
        end=end,
        kinds=("capture", "refund"),  # a settlement moves the payable, not the day's takings
    )
    return DailyBill(
        organiser_id=organiser_id,
        day=day,
        currency=pays[0].currency if pays else "CNY",
        lines=lines,
        paid=paid,
        refunded=refunded,
        net=paid - refunded,
        ledger_net=-payable,  # the payable account is credited (negative) by payments
    )


def bill_csv(bill: DailyBill) -> str:
    out = io.StringIO()
    writer = csv_export.writer(out, lineterminator="\n")
    writer.writerow(["time", "type", "reference", "order", "method", "amount"])
    for line in bill.lines:
        writer.writerow(
            [
                line.at.isoformat(),
                line.kind,
                line.reference,
                line.order_number,
                line.method,
                line.amount,
            ]
        )
    writer.writerow([])
    writer.writerow(["paid", bill.paid])
    writer.writerow(["refunded", bill.refunded])
    writer.writerow(["net", bill.net])
    writer.writerow(["ledger_net", bill.ledger_net])
    return out.getvalue()
