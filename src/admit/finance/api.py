"""Finance over HTTP (C4): an organiser's daily bill as JSON or CSV, and the ledger's balances.
Read-only by design: there is no route that changes a bill or the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.finance import bills, cash, ledger
from admit.finance.bills import BillLineKind
from admit.http.deps import by_path, staff_reader
from admit.http.media import CsvResponse
from admit.payments.gateway import PaymentMethod

router = APIRouter(prefix="/admin/finance", tags=["admin: finance"])
# An organiser's bill is theirs; the ledger as a whole is the platform's.
Reader = Annotated[UnitOfWork, staff_reader(Permission.FINANCE)]
BillReader = Annotated[
    UnitOfWork,
    staff_reader(Permission.FINANCE, scope=by_path("organiser_id", ScopeKind.ORGANISER)),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BillLineOut(Model):
    at: datetime
    type: BillLineKind
    reference: str
    order_number: str
    method: PaymentMethod
    amount: int


class BillOut(Model):
    organiser_id: int
    day: date
    currency: str
    paid: int
    refunded: int
    net: int
    ledger_net: int
    matches_ledger: bool
    lines: list[BillLineOut]


class BalancesOut(Model):
    accounts: dict[str, int]
    total: int  # zero when the ledger balances
    unbalanced_entries: list[int]
    owed: dict[str, int] = Field(
        description="per cash account, cash refunds decided but not yet handed over: the "
        "drawer's balance still holds this money"
    )


@router.get("/bills/{organiser_id}/{day}.csv", response_class=CsvResponse)
async def daily_bill_csv(organiser_id: int, day: date, uow: BillReader) -> Response:
    """The same bill as CSV (declared first: ``{day}`` alone would also match it)."""
    bill = await bills.daily_bill(uow, organiser_id=organiser_id, day=day)
    return Response(
        bills.bill_csv(bill),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="bill-{organiser_id}-{day}.csv"'},
    )


@router.get("/bills/{organiser_id}/{day}")
async def daily_bill(organiser_id: int, day: date, uow: BillReader) -> BillOut:
    """The organiser's payments and refunds of one UTC day, checked against the ledger."""
    bill = await bills.daily_bill(uow, organiser_id=organiser_id, day=day)
    return BillOut(
        organiser_id=bill.organiser_id,
        day=bill.day,
        currency=bill.currency,
        paid=bill.paid,
        refunded=bill.refunded,
        net=bill.net,
        ledger_net=bill.ledger_net,
        matches_ledger=bill.matches_ledger,
        lines=[
            BillLineOut(
                at=ln.at,
                type=ln.kind,
                reference=ln.reference,
                order_number=ln.order_number,
                method=ln.method,
                amount=ln.amount,
            )
            for ln in bill.lines
        ],
    )


@router.get("/ledger/balances")
async def balances(uow: Reader, organiser_id: int | None = None) -> BalancesOut:
    found = await ledger.balances(uow, organiser_id=organiser_id)
    return BalancesOut(
        accounts=found,
        total=sum(found.values()),
        unbalanced_entries=await ledger.unbalanced_entries(uow),
        owed=await cash.refunds_owed(uow, organiser_id=organiser_id),
    )
