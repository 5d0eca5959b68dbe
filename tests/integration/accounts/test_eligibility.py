"""What the selling issue relies on: buyers and holders verified before a real-name purchase."""

from __future__ import annotations

from datetime import date

import pytest

from admit.accounts import identities
from admit.accounts.customer_phones import phone_columns
from admit.accounts.documents import DocumentType
from admit.accounts.eligibility import RealNameRequired, verified_holders
from admit.accounts.models import Customer
from admit.accounts.verification import file_and_verify
from admit.core.runtime import Runtime
from tests.conftest import T0, TEST_ACTOR, police_population


async def _customer(rt: Runtime, phone: str) -> int:
    async with rt.uow(TEST_ACTOR) as uow:
        customer = Customer(**phone_columns(rt.crypto, phone), source_channel="web", created_at=T0)
        uow.session.add(customer)
        await uow.session.flush()
        return customer.id


async def _file(rt: Runtime, cid: int, doc: identities.DocumentIn, *, is_self: bool) -> int:
    identity = await file_and_verify(rt, TEST_ACTOR, customer_id=cid, document=doc, is_self=is_self)
    return identity.id


async def test_buyer_and_holders_must_be_verified(runtime: Runtime) -> None:
    people = list(police_population().items())
    cid = await _customer(runtime, "13600136000")
    passport = identities.DocumentIn(
        DocumentType.FOREIGN_PASSPORT, "E1234567", "Ann Lee", "GB", visa_expires=date(2027, 12, 31)
    )
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        with pytest.raises(RealNameRequired, match="your own identity"):
            await verified_holders(uow, customer_id=cid, identity_ids=[])
    own = await _file(
        runtime,
        cid,
        identities.DocumentIn(DocumentType.CN_ID, people[0][0], people[0][1], "CN"),
        is_self=True,
    )
    friend = await _file(
        runtime,
        cid,
        identities.DocumentIn(DocumentType.CN_ID, people[1][0], people[1][1], "CN"),
        is_self=False,
    )
    pending = await _file(runtime, cid, passport, is_self=False)
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        holders = await verified_holders(uow, customer_id=cid, identity_ids=[own, friend])
        assert [h.identity_id for h in holders] == [own, friend]
        assert len({h.document_key for h in holders}) == 2
        with pytest.raises(RealNameRequired) as refused:
            await verified_holders(uow, customer_id=cid, identity_ids=[own, pending])
    assert refused.value.details == {"identities": [pending]}
    stranger = await _customer(runtime, "13600136001")
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        with pytest.raises(RealNameRequired):
            await verified_holders(uow, customer_id=stranger, identity_ids=[friend])
