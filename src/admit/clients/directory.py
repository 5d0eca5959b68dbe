"""Clients and client groups as operators keep them (INV3): creating them, a group's members,
the buyers who buy for a client — customer accounts and staff reps — and the staff who manage
its account (issue 19). Every change is
audited and clears the process's map of reservation keys (``keys``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from admit.accounts.models import Customer, StaffUser
from admit.clients.keys import forget_keys
from admit.clients.models import (
    Client,
    ClientCustomer,
    ClientGroup,
    ClientGroupMember,
    ClientManager,
    ClientRep,
)
from admit.core import audit
from admit.core.errors import AlreadyExists, InvalidInput, NotFound
from admit.core.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ClientView:
    id: int
    name: str
    groups: list[int]
    customers: list[int]
    reps: list[int]
    managers: list[int]


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    name: str
    clients: list[int]


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a name is required")
    return name


async def create_client(uow: UnitOfWork, *, name: str, now: datetime) -> ClientView:
    """A new client. Raises ``AlreadyExists`` (409) for a name taken."""
    name = _name(name)
    if await uow.session.scalar(select(Client.id).where(Client.name == name)) is not None:
        raise AlreadyExists(f"a client named {name!r} exists")
    client = Client(name=name, created_at=now)
    uow.session.add(client)
    await uow.session.flush()
    await audit.record(
        uow,
        action="client.created",
        entity_type="client",
        entity_id=client.id,
        data={"name": name},
        now=now,
    )
    return ClientView(client.id, name, [], [], [], [])


async def create_group(
    uow: UnitOfWork, *, name: str, client_ids: Sequence[int], now: datetime
) -> GroupView:
    """A new client group with these members. Raises ``AlreadyExists`` or ``NotFound``."""
    name = _name(name)
    if await uow.session.scalar(select(ClientGroup.id).where(ClientGroup.name == name)):
        raise AlreadyExists(f"a client group named {name!r} exists")
    group = ClientGroup(name=name, created_at=now)
    uow.session.add(group)
    await uow.session.flush()
    await audit.record(
        uow,
        action="client_group.created",
        entity_type="client_group",
        entity_id=group.id,
        data={"name": name},
        now=now,
    )
    return await set_members(uow, group_id=group.id, client_ids=client_ids, now=now)


async def set_members(
    uow: UnitOfWork, *, group_id: int, client_ids: Sequence[int], now: datetime
) -> GroupView:
    """The group's members become exactly ``client_ids``. Raises ``NotFound``."""
    group = await get_group(uow, group_id)
    wanted = sorted(set(client_ids))
    known = set(await uow.session.scalars(select(Client.id).where(Client.id.in_(wanted))))
    if missing := [c for c in wanted if c not in known]:
        raise NotFound("no such clients", details={"clients": missing})
    await uow.session.execute(
        delete(ClientGroupMember).where(ClientGroupMember.group_id == group_id)
    )
    if wanted:
        await uow.session.execute(
            insert(ClientGroupMember), [{"group_id": group_id, "client_id": c} for c in wanted]
        )
    forget_keys(uow)
    await audit.record(
        uow,
        action="client_group.members_set",
        entity_type="client_group",
        entity_id=group_id,
        data={"clients": wanted},
        now=now,
    )
    return GroupView(group.id, group.name, wanted)


async def get_client(uow: UnitOfWork, client_id: int) -> Client:
    client = await uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} does not exist")
    return client


async def get_group(uow: UnitOfWork, group_id: int) -> ClientGroup:
    group = await uow.session.get(ClientGroup, group_id)
    if group is None:
        raise NotFound(f"client group {group_id} does not exist")
    return group


async def link_customer(
    uow: UnitOfWork, *, client_id: int, customer_id: int, linked: bool, now: datetime
) -> ClientView:
    """The customer account buys for the client (``linked``) or no longer does. Raises
    ``NotFound`` for a client or customer that does not exist."""
    return await _relink(
        uow, ClientCustomer, Customer, "customer", client_id, customer_id, linked, now
    )


async def link_rep(
    uow: UnitOfWork, *, client_id: int, staff_id: int, linked: bool, now: datetime
) -> ClientView:
    """The staff member represents the client at the counter (``linked``) or no longer does.
    Raises ``NotFound``."""
    return await _relink(uow, ClientRep, StaffUser, "rep", client_id, staff_id, linked, now)


async def link_manager(
    uow: UnitOfWork, *, client_id: int, staff_id: int, linked: bool, now: datetime
) -> ClientView:
    """The staff member manages the client's account (``linked``: imports its holders) or no
    longer does. Raises ``NotFound``."""
    return await _relink(uow, ClientManager, StaffUser, "manager", client_id, staff_id, linked, now)


async def _relink(
    uow: UnitOfWork,
    link: type[ClientCustomer] | type[ClientRep] | type[ClientManager],
    member: type[Customer] | type[StaffUser],
    role: str,
    client_id: int,
    member_id: int,
    linked: bool,
    now: datetime,
) -> ClientView:
    """Link or unlink a customer (``customer``) or staff member (``rep``, ``manager``) and
    the client, audited as ``client.<role>_linked`` / ``_unlinked``."""
    await get_client(uow, client_id)
    field = "customer_id" if member is Customer else "staff_id"
    if await uow.session.get(member, member_id) is None:
        what = "customer" if member is Customer else "staff"
        raise NotFound(f"{what} {member_id} does not exist")
    await _link(uow, link, client_id, field, member_id, linked)
    await audit.record(
        uow,
        action=f"client.{role}_linked" if linked else f"client.{role}_unlinked",
        entity_type="client",
        entity_id=client_id,
        data={field: member_id},
        now=now,
    )
    return await client_view(uow, client_id)


async def is_manager(uow: UnitOfWork, *, client_id: int, staff_id: int) -> bool:
    """Whether the staff member manages the client's account."""
    found = await uow.session.scalar(
        select(ClientManager.staff_id).where(
            ClientManager.client_id == client_id, ClientManager.staff_id == staff_id
        )
    )
    return found is not None


async def _link(
    uow: UnitOfWork,
    table: type[ClientCustomer] | type[ClientRep] | type[ClientManager],
    client_id: int,
    column: str,
    other: int,
    linked: bool,
) -> None:
    where = (table.client_id == client_id, getattr(table, column) == other)
    await uow.session.execute(delete(table).where(*where))
    if linked:
        await uow.session.execute(insert(table).values(client_id=client_id, **{column: other}))
    forget_keys(uow)


async def client_view(uow: UnitOfWork, client_id: int) -> ClientView:
    return (await list_clients(uow, client_ids=[client_id]))[0]


async def list_clients(
    uow: UnitOfWork, *, client_ids: Sequence[int] | None = None
) -> list[ClientView]:
    """Clients by name, with their groups and linked buyers (ids only: no personal data)."""
    query = select(Client.id, Client.name).order_by(Client.name)
    if client_ids is not None:
        query = query.where(Client.id.in_(list(client_ids)))
    clients = (await uow.session.execute(query)).all()
    ids = [c for c, _ in clients]
    links: dict[str, dict[int, list[int]]] = {k: defaultdict(list) for k in ("g", "c", "r", "m")}
    for kind, first, second in (
        ("g", ClientGroupMember.client_id, ClientGroupMember.group_id),
        ("c", ClientCustomer.client_id, ClientCustomer.customer_id),
        ("r", ClientRep.client_id, ClientRep.staff_id),
        ("m", ClientManager.client_id, ClientManager.staff_id),
    ):
        for client_id, other in await uow.session.execute(
            select(first, second).where(first.in_(ids)).order_by(first, second)
        ):
            links[kind][client_id].append(other)
    return [
        ClientView(c, name, links["g"][c], links["c"][c], links["r"][c], links["m"][c])
        for c, name in clients
    ]


async def list_groups(uow: UnitOfWork) -> list[GroupView]:
    groups = (
        await uow.session.execute(
            select(ClientGroup.id, ClientGroup.name).order_by(ClientGroup.name)
        )
    ).all()
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, client_id in await uow.session.execute(
        select(ClientGroupMember.group_id, ClientGroupMember.client_id).order_by(
            ClientGroupMember.group_id, ClientGroupMember.client_id
        )
    ):
        members[group_id].append(client_id)
    return [GroupView(g, name, members[g]) for g, name in groups]
