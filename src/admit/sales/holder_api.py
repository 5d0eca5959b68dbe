"""``DELETE /me/holders/{identity}``: a customer takes a holder off their account
(``sales.holder_removal``: not while the holder is on a ticket still to be used)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from admit.core.audit_context import Actor
from admit.http.deps import CustomerId, RuntimeDep
from admit.sales.holder_removal import remove_holder

router = APIRouter(tags=["customers"])


@router.delete("/me/holders/{identity_id}", status_code=204)
async def delete_holder(identity_id: int, rt: RuntimeDep, cid: CustomerId) -> Response:
    """Take a holder off the account: a linked holder, or the buyer's own identity while it is
    not verified (so a rejected filing can be removed or filed again). 404 when the account
    has no such holder; 409 ``holder_on_ticket`` while the holder is on a ticket still to be
    used; 409 ``conflict`` for a verified own identity."""
    async with rt.uow(Actor(kind="customer", id=str(cid))) as uow:
        await remove_holder(uow, customer_id=cid, identity_id=identity_id, now=rt.clock.now())
    return Response(status_code=204)
