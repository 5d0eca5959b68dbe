"""A buyer's reservation keys, as the hold path asks for them: the map of every linked buyer
(a client's customer accounts and staff reps → the client and the groups it is in) is kept per
process for ``KEYS_SECONDS`` and cleared by any change of clients made in this process
(``directory`` calls ``forget_on_commit``), so a hold reads nothing for it — the public buyer's
least of all. Another process sees a change within that second; the seats themselves are
always decided by the database in the hold's own transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select

from admit.clients.models import ClientCustomer, ClientGroupMember, ClientRep
from admit.clients.rules import NO_KEYS, ReservationKeys, buyer_of_customer, buyer_of_staff
from admit.core.short_cache import ShortCache, cache_of, forget_on_commit
from admit.core.uow import UnitOfWork

CLIENT_KEYS = "client_keys"
KEYS_SECONDS = 1.0
_ALL = "all"


async def buyer_keys(uow: UnitOfWork, buyer: str) -> ReservationKeys:
    """The clients and client groups ``buyer`` (``customer:<id>``, ``staff:<id>``) buys for."""
    cache: ShortCache[str, Mapping[str, ReservationKeys]] = cache_of(
        uow.caches, CLIENT_KEYS, KEYS_SECONDS, size=4
    )
    by_buyer = await cache.get_or_load(uow, _ALL, lambda: _load(uow))
    return by_buyer.get(buyer, NO_KEYS)


async def _load(uow: UnitOfWork) -> Mapping[str, ReservationKeys]:
    clients: dict[str, set[int]] = defaultdict(set)
    for customer_id, client_id in await uow.session.execute(
        select(ClientCustomer.customer_id, ClientCustomer.client_id)
    ):
        clients[buyer_of_customer(customer_id)].add(client_id)
    for staff_id, client_id in await uow.session.execute(
        select(ClientRep.staff_id, ClientRep.client_id)
    ):
        clients[buyer_of_staff(staff_id)].add(client_id)
    if not clients:
        return {}
    groups: dict[int, set[int]] = defaultdict(set)
    for client_id, group_id in await uow.session.execute(
        select(ClientGroupMember.client_id, ClientGroupMember.group_id)
    ):
        groups[client_id].add(group_id)
    return {
        buyer: ReservationKeys(frozenset(ids), frozenset(g for c in ids for g in groups.get(c, ())))
        for buyer, ids in clients.items()
    }


def forget_keys(uow: UnitOfWork) -> None:
    """A change of links or group members: the process's map is read again after it."""
    forget_on_commit(uow, CLIENT_KEYS)
