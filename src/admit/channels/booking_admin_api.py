"""Administration of the channel booking API (API1, API2): binding a key to a channel and
outlet (``api_clients.manage``), and each channel's rate budget (``sales.configure`` to set,
``catalog.read`` to read, as the channels themselves)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from admit.channels import booking_keys, booking_limits
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, staff_reader, staff_writer
from admit.sales.rules import ChannelCode

router = APIRouter(tags=["admin: channel booking API"])
KeyBinder = Annotated[UnitOfWork, staff_writer(Permission.API_CLIENTS)]
BudgetWriter = Annotated[UnitOfWork, staff_writer(Permission.SALES_CONFIGURE)]
BudgetReader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BindingIn(Model):
    channel: Literal["box_office", "agent", "client_rep"] | None = Field(
        description="box_office, agent or client_rep; null unbinds"
    )
    outlet: Code | None = Field(default=None, description="required for an agent's key")


class BindingOut(Model):
    id: int
    name: str
    channel: ChannelCode | None
    outlet: str | None


class BudgetIn(Model):
    calls_per_minute: int = Field(ge=1, le=1_000_000)
    burst: int = Field(ge=1, le=100_000)
    orders_per_minute: int = Field(ge=1, le=1_000_000)


class BudgetOut(BudgetIn):
    channel: ChannelCode
    configured: bool = Field(description="false: the defaults, no budget was set")


def _budget_out(b: booking_limits.Budget) -> BudgetOut:
    return BudgetOut(
        channel=b.channel,
        calls_per_minute=b.calls_per_minute,
        burst=b.burst,
        orders_per_minute=b.orders_per_minute,
        configured=b.configured,
    )


@router.put(
    "/admin/api-clients/{client_id}/channel",
    responses={409: {"description": "``agent_outlet_required``"}},
)
async def bind_api_client(client_id: int, body: BindingIn, uow: KeyBinder, now: Now) -> BindingOut:
    """Bind a key to the channel its system sells in (and its outlet): its orders are sold in
    that channel's sales windows and quotas, at that outlet."""
    c = await booking_keys.bind_key(
        uow, client_id=client_id, channel=body.channel, outlet=body.outlet, now=now
    )
    return BindingOut(id=c.id, name=c.name, channel=c.channel, outlet=c.outlet)


@router.get("/admin/channels/{code}/budget")
async def channel_budget(code: str, uow: BudgetReader) -> BudgetOut:
    """The channel's booking-API budget (the defaults until one is set)."""
    return _budget_out(await booking_limits.budget_of(uow, code))


@router.put("/admin/channels/{code}/budget")
async def set_channel_budget(code: str, body: BudgetIn, uow: BudgetWriter, now: Now) -> BudgetOut:
    """Set how many calls (with a burst) and orders per minute the channel's systems may make
    together; past it they get 429 with ``Retry-After``."""
    budget = await booking_limits.set_budget(uow, channel=code, **body.model_dump(), now=now)
    return _budget_out(budget)
