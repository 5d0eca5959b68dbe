"""Online verification of mainland ID cards through the public-security service: called between
transactions, retried by the worker while the service is unavailable."""

from __future__ import annotations

from typing import Any

from admit.accounts import identities
from admit.accounts.identity_models import Identity
from admit.accounts.verifier import IdentityVerifier
from admit.core import outbox
from admit.core.audit_context import SYSTEM
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


@outbox.handler(identities.VERIFY_JOB)
async def _verify_job(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    await verify_now(ctx.runtime, payload["identity_id"])
