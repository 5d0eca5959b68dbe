"""Changing a linked holder (issue 27, item 3; API3): the contact phone of any holder, and the
document of one not yet verified (a pending or rejected filing) — the new document is filed in
the old one's place in the same transaction, so a refused filing leaves the old link as it was.
A verified holder's document is fixed: a name checked by the public-security service and
printed on tickets never changes under them; the holder is removed (refused while on an unused
ticket, ``sales.holder_removal``) and the new document filed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admit.accounts import identities
from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork


class VerifiedDocumentFixed(Conflict):
    code = "holder_verified"


@dataclass(frozen=True, slots=True)
class HolderChange:
    """What to change: a new document, and/or the contact phone (``set_contact_phone``:
    whether ``contact_phone`` is given at all; ``None`` then clears it)."""

    document: identities.DocumentIn | None = None
    contact_phone: str | None = None
    set_contact_phone: bool = False


async def edit_holder(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    customer_id: int,
    identity_id: int,
    change: HolderChange,
    now: datetime,
) -> tuple[CustomerHolder, Identity]:
    """Apply ``change`` to the customer's holder: the link and identity after it (a new
    identity when the document changed). Raises ``NotFound``, ``VerifiedDocumentFixed``, and
    what filing a document raises (``InvalidDocument``, ``Conflict``)."""
    holder, identity = await identities.link_of(
        uow, customer_id=customer_id, identity_id=identity_id
    )
    if change.set_contact_phone:
        phone = change.contact_phone
    else:
        phone = crypto.decrypt(holder.contact_phone_enc) if holder.contact_phone_enc else None
    if change.document is not None:
        if holder.status(identity) == "verified":
            raise VerifiedDocumentFixed(
                "a verified holder's document cannot be changed: remove the holder and file "
                "the new document"
            )
        is_self = holder.is_self
        await uow.session.delete(holder)
        await uow.session.flush()
        new_holder, new_identity = await identities.add_identity(
            uow,
            crypto,
            customer_id=customer_id,
            doc_in=change.document,
            is_self=is_self,
            contact_phone=phone,
            now=now,
        )
        await _changed(uow, customer_id, identity_id, now, refiled_as=new_identity.id)
        return new_holder, new_identity
    if change.set_contact_phone:
        holder.contact_phone_enc = crypto.encrypt(phone) if phone else None
        await _changed(uow, customer_id, identity_id, now, contact_phone=phone is not None)
    return holder, identity


async def _changed(
    uow: UnitOfWork, customer_id: int, identity_id: int, now: datetime, **data: object
) -> None:
    await audit.record(
        uow,
        action="identity.holder_changed",
        entity_type="customer",
        entity_id=customer_id,
        now=now,
        data={"identity_id": identity_id, **data},
    )
