"""Online verification of mainland ID cards through the public-security service: called between
transactions, retried by the worker while the service is unavailable."""

from __future__ import annotations

import contextlib
from typing import Any

from admit.accounts import holder_edits, identities
from admit.accounts.identity_models import Identity
from admit.accounts.verifier import IdentityVerifier, VerifierUnavailable
from admit.core import outbox
from admit.core.audit_context import SYSTEM, Actor
from admit.core.runtime import Runtime


async def verify_now(rt: Runtime, identity_id: int) -> Identity | None:
    """Ask the service about a pending identity and store its answer; ``None`` when nothing was
    pending. Raises ``VerifierUnavailable`` (the queued job asks again later)."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        subject = await identities.verification_subject(uow, rt.crypto, identity_id)
    if subject is None:
        return None
    name, number = subject
    verifier = rt.adapter(IdentityVerifier)  # type: ignore[type-abstract]
    result = await verifier.verify(name=name, id_number=number)
    async with rt.uow(SYSTEM) as uow:
        return await identities.record_verification(
            uow,
            identity_id=identity_id,
            outcome=result.outcome,
            request_id=result.request_id,
            now=rt.clock.now(),
        )


async def file_and_verify(
    rt: Runtime,
    actor: Actor,
    *,
    customer_id: int,
    document: identities.DocumentIn,
    is_self: bool,
    contact_phone: str | None = None,
) -> Identity:
    """File a document in one transaction, then (a mainland ID card) ask the service between
    transactions: the answer is known at once when the service answers in time; otherwise the
    identity stays pending and the queued job asks again."""
    async with rt.uow(actor) as uow:
        _, identity = await identities.add_identity(
            uow,
            rt.crypto,
            customer_id=customer_id,
            doc_in=document,
            is_self=is_self,
            contact_phone=contact_phone,
            now=rt.clock.now(),
        )
    with contextlib.suppress(VerifierUnavailable):
        identity = await verify_now(rt, identity.id) or identity
    return identity


@outbox.handler(identities.VERIFY_JOB)
async def _verify_job(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    await verify_now(ctx.runtime, payload["identity_id"])


async def edit_and_verify(
    rt: Runtime,
    actor: Actor,
    *,
    customer_id: int,
    identity_id: int,
    change: holder_edits.HolderChange,
) -> Identity:
    """Change a holder in one transaction (``holder_edits.edit_holder``); a new document is
    then verified between transactions, as a new filing is (``file_and_verify``)."""
    async with rt.uow(actor) as uow:
        _, identity = await holder_edits.edit_holder(
            uow,
            rt.crypto,
            customer_id=customer_id,
            identity_id=identity_id,
            change=change,
            now=rt.clock.now(),
        )
    if change.document is not None:
        with contextlib.suppress(VerifierUnavailable):
            identity = await verify_now(rt, identity.id) or identity
    return identity
