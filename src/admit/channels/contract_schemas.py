"""Bodies and answers of the contract routes (``contract_api``, ``contract_admin_api``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1  # the database's bound (admit.http.int_bounds, an entry layer's)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
LevelCode = Annotated[str, Field(min_length=1, max_length=20)]
SeatKey = Annotated[str, Field(min_length=1, max_length=60)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LevelQuotaIn(Model):
    level: LevelCode
    quota: int = Field(ge=0, le=1_000_000)


class QuotasIn(Model):
    levels: list[LevelQuotaIn] = Field(min_length=1, max_length=100)


class QuotaOut(Model):
    level: str
    quota: int
    locked: int
    client_id: int | None = None


class SessionQuotasOut(Model):
    session_id: int
    total: list[QuotaOut] = Field(description="the contract total per level, all clients")
    clients: list[QuotaOut] = Field(description="each client's quota per level")


class PaymentIn(Model):
    session_id: Id
    amount: int = Field(ge=1, le=10_000_000_000, description="in fen")
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "CNY"
    reference: Annotated[str, Field(min_length=1, max_length=80)]


class PaymentOut(Model):
    id: int
    client_id: int
    session_id: int
    amount: int
    currency: str
    reference: str
    recorded_by: int
    recorded_at: datetime


class LockIn(Model):
    session_id: Id
    level: LevelCode
    quantity: int = Field(ge=1, le=10_000)


class SeatsIn(Model):
    seats: list[SeatKey] = Field(min_length=1, max_length=500)


class MatchIn(Model):
    seat: SeatKey
    holder_id: Id


class MatchesIn(Model):
    matches: list[MatchIn] = Field(min_length=1, max_length=500)


class LockSeatOut(Model):
    seat: str
    holder_id: int | None


class LockOut(Model):
    id: int
    client_id: int
    session_id: int
    price_level_id: int
    quantity: int
    seated: int
    rep_id: int
    created_at: datetime
    collected_at: datetime | None
    seats: list[LockSeatOut]


class HolderOut(Model):
    id: int
    name: str = Field(description="masked")
    document: str = Field(description="masked")
    doc_type: str
    status: str = Field(description="pending, verified or rejected")


class RowOut(Model):
    row: int = Field(description="1 = the first line after the header")
    accepted: bool
    holder_id: int | None = None
    code: str | None = None
    reason: str | None = None


class ImportOut(Model):
    accepted: int
    refused: int
    rows: list[RowOut]


class FiguresOut(Model):
    locked: int
    seated: int
    collected: int
    paid: int = Field(description="offline payments, in fen")


class StatsOut(Model):
    clients: dict[int, FiguresOut] = Field(description="by client id")
    reps: dict[int, FiguresOut] = Field(description="by the rep's staff id")
