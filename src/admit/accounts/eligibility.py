"""Real-name rules at the moment of buying (RN1): the buyer verified, every ticket's holder a
verified identity linked to the buyer; per-person limits count by the holder's document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core.errors import AdmitError
from admit.core.uow import UnitOfWork


class RealNameRequired(AdmitError):
    code = "real_name_required"
    status = 409


@dataclass(frozen=True, slots=True)
class Holder:
    identity_id: int
    document_key: str  # the identity's keyed hash: what per-person limits count by
    masked_name: str


async def verified_holders(
    uow: UnitOfWork, *, customer_id: int, identity_ids: Sequence[int]
) -> list[Holder]:
    """The holders for a real-name purchase, in the order given. Raises ``RealNameRequired``
    when the buyer has no verified identity of their own, or a holder is not a verified
    identity linked to the buyer (under the name the buyer gave)."""
    rows = (
        await uow.session.execute(
            select(CustomerHolder, Identity)
            .join(Identity, Identity.id == CustomerHolder.identity_id)
            .where(CustomerHolder.customer_id == customer_id)
        )
    ).all()
    verified = {i.id: (h, i) for h, i in rows if h.status(i) == "verified"}
    if not any(h.is_self for h, _ in verified.values()):
        raise RealNameRequired("verify your own identity before buying")
    missing = [i for i in identity_ids if i not in verified]
    if missing:
        raise RealNameRequired(
            "every ticket needs a verified holder linked to your account",
            details={"identities": missing},
        )
    return [
        Holder(
            identity_id=i,
            document_key=verified[i][1].lookup,
            masked_name=verified[i][1].name_masked,
        )
        for i in identity_ids
    ]


async def verified_identities(uow: UnitOfWork, *, identity_ids: Sequence[int]) -> list[Holder]:
    """The holders of a counter sale, in the order given: each a verified identity (the clerk
    saw the document and the public-security service confirmed the name — U1, G19); a
    walk-in buyer has no account to link them to. Raises ``RealNameRequired`` naming any that
    is not verified."""
    rows = await uow.session.scalars(
        select(Identity).where(Identity.id.in_(set(identity_ids)), Identity.status == "verified")
    )
    verified = {i.id: i for i in rows}
    missing = [i for i in identity_ids if i not in verified]
    if missing:
        raise RealNameRequired(
            "every ticket needs an identity verified at the counter",
            details={"identities": missing},
        )
    return [
        Holder(
            identity_id=i,
            document_key=verified[i].lookup,
            masked_name=verified[i].name_masked,
        )
        for i in identity_ids
    ]


async def has_verified_self(uow: UnitOfWork, *, customer_id: int) -> bool:
    """Whether the buyer's own identity is verified (under the name they gave): what a
    real-name sale needs before seats are held, so the check never eats into the time to pay."""
    rows = await uow.session.execute(
        select(CustomerHolder, Identity)
        .join(Identity, Identity.id == CustomerHolder.identity_id)
        .where(CustomerHolder.customer_id == customer_id, CustomerHolder.is_self.is_(True))
    )
    return any(h.status(i) == "verified" for h, i in rows)
