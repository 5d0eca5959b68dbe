"""HTTP routes of this slice (mounted under /api/v1): operators keep clients, client groups
and the buyers linked to a client (``clients.manage``, global grants only: clients are not
an organiser's or a venue's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from admit.clients import directory
from admit.clients.directory import ClientView, GroupView
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, staff_reader, staff_writer
from admit.http.int_bounds import DB_INT_MAX

router = APIRouter(tags=["clients"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.CLIENTS)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CLIENTS)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Id = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientIn(Model):
    name: Name


class ClientOut(Model):
    id: int
    name: str
    groups: list[int] = Field(description="the client groups it is in")
    customers: list[int] = Field(description="customer accounts that buy for it")
    reps: list[int] = Field(description="staff who represent it at the counter")
    managers: list[int] = Field(description="staff who manage its account (import holders)")


class GroupIn(Model):
    name: Name
    clients: list[Id] = Field(default_factory=list, max_length=1000)


class MembersIn(Model):
    clients: list[Id] = Field(max_length=1000)


class GroupOut(Model):
    id: int
    name: str
    clients: list[int]


class CustomerLinkIn(Model):
    customer_id: Id
    linked: bool = Field(default=True, description="false: the account no longer buys for it")


class RepLinkIn(Model):
    staff_id: Id
    linked: bool = Field(default=True, description="false: no longer a rep of the client")


def _client(view: ClientView) -> ClientOut:
    return ClientOut(
        id=view.id,
        name=view.name,
        groups=view.groups,
        customers=view.customers,
        reps=view.reps,
        managers=view.managers,
    )


def _group(view: GroupView) -> GroupOut:
    return GroupOut(id=view.id, name=view.name, clients=view.clients)


@router.post("/admin/clients", status_code=201)
async def create_client(body: ClientIn, uow: Writer, now: Now) -> ClientOut:
    """A client seats may be reserved for; 409 ``already_exists`` for a name taken."""
    return _client(await directory.create_client(uow, name=body.name, now=now))


@router.get("/admin/clients")
async def list_clients(uow: Reader) -> list[ClientOut]:
    return [_client(v) for v in await directory.list_clients(uow)]


@router.post("/admin/clients/{client_id}/customers")
async def link_customer(client_id: int, body: CustomerLinkIn, uow: Writer, now: Now) -> ClientOut:
    """Link a customer account to the client (it may then hold the client's reserved seats),
    or unlink it."""
    view = await directory.link_customer(
        uow, client_id=client_id, customer_id=body.customer_id, linked=body.linked, now=now
    )
    return _client(view)


@router.post("/admin/clients/{client_id}/reps")
async def link_rep(client_id: int, body: RepLinkIn, uow: Writer, now: Now) -> ClientOut:
    """Make a staff member a rep of the client (their counter holds may take the client's
    reserved seats), or no longer one."""
    view = await directory.link_rep(
        uow, client_id=client_id, staff_id=body.staff_id, linked=body.linked, now=now
    )
    return _client(view)


class ManagerLinkIn(Model):
    staff_id: Id
    linked: bool = Field(default=True, description="false: no longer manages the client")


@router.post("/admin/clients/{client_id}/managers")
async def link_manager(client_id: int, body: ManagerLinkIn, uow: Writer, now: Now) -> ClientOut:
    """Make a staff member an account manager of the client (they import its ticket holders,
    issue 19), or no longer one; 404 for a client or staff member that does not exist."""
    view = await directory.link_manager(
        uow, client_id=client_id, staff_id=body.staff_id, linked=body.linked, now=now
    )
    return _client(view)


@router.post("/admin/client-groups", status_code=201)
async def create_group(body: GroupIn, uow: Writer, now: Now) -> GroupOut:
    """A client group with its members; seats reserved for it are every member's."""
    return _group(
        await directory.create_group(uow, name=body.name, client_ids=body.clients, now=now)
    )


@router.get("/admin/client-groups")
async def list_groups(uow: Reader) -> list[GroupOut]:
    return [_group(v) for v in await directory.list_groups(uow)]


@router.put("/admin/client-groups/{group_id}/clients")
async def set_members(group_id: int, body: MembersIn, uow: Writer, now: Now) -> GroupOut:
    """The group's members become exactly these clients."""
    return _group(
        await directory.set_members(uow, group_id=group_id, client_ids=body.clients, now=now)
    )
