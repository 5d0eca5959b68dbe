"""Bodies and answers of the contract routes (``contract_api``, ``contract_admin_api``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from admit.accounts.documents import DocumentType

MAX_ID = 2**63 - 1  # the database's bound (admit.http.int_bounds, an entry layer's)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
LevelCode = Annotated[str, Field(min_length=1, max_length=20)]
SeatKey = Annotated[str, Field(min_length=1, max_length=60)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContractLevelQuotaIn(Model):
    level: LevelCode
    quota: int = Field(ge=0, le=1_000_000)


class ContractQuotasIn(Model):
    levels: list[ContractLevelQuotaIn] = Field(min_length=1, max_length=100)


class ContractQuotaOut(Model):
    level: str
    quota: int
    locked: int
    client_id: int | None = None


class ContractQuotasOut(Model):
    session_id: int
    total: list[ContractQuotaOut] = Field(description="the contract total per level, all clients")
    clients: list[ContractQuotaOut] = Field(description="each client's quota per level")


class ContractPaymentIn(Model):
    session_id: Id
    amount: int = Field(ge=1, le=10_000_000_000, description="in fen")
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "CNY"
    reference: Annotated[str, Field(min_length=1, max_length=80)]


class ContractPaymentOut(Model):
    id: int
    client_id: int
    session_id: int
    amount: int
    currency: str
    reference: str
    recorded_by: int
    recorded_at: datetime


class ContractLockIn(Model):
    session_id: Id
    level: LevelCode
    quantity: int = Field(ge=1, le=10_000)


class ContractSeatsIn(Model):
    seats: list[SeatKey] = Field(min_length=1, max_length=500)


class HolderMatchIn(Model):
    seat: SeatKey
    holder_id: Id


class HolderMatchesIn(Model):
    matches: list[HolderMatchIn] = Field(min_length=1, max_length=500)


class ContractLockSeatOut(Model):
    seat: str
    holder_id: int | None


class ContractLockOut(Model):
    id: int
    client_id: int
    session_id: int
    price_level_id: int
    quantity: int
    seated: int
    rep_id: int
    created_at: datetime
    collected_at: datetime | None
    seats: list[ContractLockSeatOut]


class ContractCollectIn(Model):
    ticket_type: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        default="adult", description="what each ticket is priced as (the level's price of it)"
    )


class CollectedTicketOut(Model):
    seat: str | None
    label: str
    code: str
    holder_name: str | None = Field(description="the holder's verified name, masked")
    qr: str = Field(description="the signed payload a gate verifies")


class ContractCollectedOut(ContractLockOut):
    order_number: str
    payment: str = Field(description="the offline payment that paid the order")
    total: int = Field(description="in fen")
    currency: str
    tickets: list[CollectedTicketOut]


class ContractHolderOut(Model):
    id: int
    name: str = Field(description="masked")
    document: str = Field(description="masked")
    doc_type: DocumentType
    status: Literal["pending", "verified", "rejected"]


class HolderRowOut(Model):
    row: int = Field(description="1 = the first line after the header")
    accepted: bool
    holder_id: int | None = None
    code: str | None = None
    reason: str | None = None


class HolderImportOut(Model):
    accepted: int
    refused: int
    rows: list[HolderRowOut]


class ContractFiguresOut(Model):
    locked: int
    seated: int
    collected: int
    paid: int = Field(description="offline payments, in fen")


class ContractStatsOut(Model):
    clients: dict[int, ContractFiguresOut] = Field(description="by client id")
    reps: dict[int, ContractFiguresOut] = Field(description="by the rep's staff id")
