"""Checking a person's document at a counter (U1, G19): the clerk types the name and number
from the card in front of them and the public-security service confirms the pair on the spot;
the identity can then be named as a ticket's holder in a counter sale
(``eligibility.verified_identities``) — the walk-in buyer needs no account.

The answer never says more than the service would: a document the platform knows under
another name answers ``rejected`` for this name (as the customer's filing does), and its
identity is not handed to the clerk. A service that is down leaves the identity ``pending``
with a queued job that asks again; the clerk may check again in a moment."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from admit.accounts import identities
from admit.accounts.verification import verify_now
from admit.accounts.verifier import VerifierUnavailable
from admit.core import audit
from admit.core.audit_context import Actor
from admit.core.runtime import Runtime


@dataclass(frozen=True, slots=True)
class CounterCheck:
    """The outcome of a document checked at the counter; ``identity_id`` only when the
    document is verified under the name given (what a ticket's holder may be)."""

    status: str  # verified | pending | rejected
    masked_name: str
    masked_number: str
    identity_id: int | None


async def check_at_counter(
    rt: Runtime, actor: Actor, *, document: identities.DocumentIn, outlet: str | None
) -> CounterCheck:
    """File the document (or find it: a verified one is reused, RN4) in one transaction,
    audited as ``identity.checked_at_counter``; ask the service between transactions.
    Raises ``InvalidInput`` / ``InvalidDocument`` for a name or number that cannot be one."""
    now = rt.clock.now()
    async with rt.uow(actor) as uow:
        identity, claimed = await identities.file_document(uow, rt.crypto, doc_in=document, now=now)
        await audit.record(
            uow,
            action="identity.checked_at_counter",
            entity_type="identity",
            entity_id=identity.id,
            now=now,
            data={"outlet": outlet, "document": identity.number_masked},
        )
    if identity.status == "pending" and identity.method == "online":
        with contextlib.suppress(VerifierUnavailable):
            identity = await verify_now(rt, identity.id) or identity
    status = identity.status if identity.name_lookup == claimed else "rejected"
    return CounterCheck(
        status=status,
        masked_name=identity.name_masked if status != "rejected" else "",
        masked_number=identity.number_masked,
        identity_id=identity.id if status == "verified" else None,
    )
