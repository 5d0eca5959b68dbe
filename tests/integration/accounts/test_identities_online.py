"""Mainland ID cards verified online by the public-security simulator (RN1, RN4): malformed and
unconfirmed numbers, and one person verified once whoever files them, under whatever name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    API,
    bearer,
    count,
    error,
    ok,
    police_control,
    police_stats,
    register_phone,
    rows,
)
from tests.integration.accounts.identity_documents import (
    LI,
    NOBODY,
    NOT_BILLED,
    PHONES,
    ZHANG,
    ZHANG_MASKED,
    cn_id,
    file_document,
    holder_view,
    nothing_filed,
)

# -- mainland ID cards, online -------------------------------------------------------------------


async def test_a_known_persons_id_card_is_verified_online(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime, police_app: FastAPI
) -> None:
    body = ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)

    assert body["verified"] is True
    holder_view(
        body,
        is_self=True,
        name="张三",
        doc_type="cn_id",
        number=ZHANG_MASKED,
        status="verified",
        method="online",
        reason=None,
    )
    assert ok(await web.get(f"{API}/me", headers=customer)) == body
    assert await police_stats(police_app) == {"billed": 1, "queries": 1}
    # the job queued with the filing finds nothing left to ask
    assert await run_once(runtime) == 1
    assert await police_stats(police_app) == {"billed": 1, "queries": 1}
    [identity] = await rows(runtime, Identity)
    assert (identity.status, identity.birth_date.isoformat()) == ("verified", "1949-12-31")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110105194912310021", "the resident ID number's check character is wrong"),
        ("110105194913310021", "19491331 is not a date of birth"),
        ("110105202611230015", "20261123 is not a plausible date of birth"),
        ("11010519491231002", "a resident ID number has 18 characters, got 17"),
        ("440524188001010014", "18800101 is not a plausible date of birth"),
    ],
    ids=["checksum", "month-13", "born-tomorrow", "short", "born-1880"],
)
async def test_a_malformed_id_number_is_refused_before_any_query(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
    number: str,
    message: str,
) -> None:
    body = error(
        await file_document(web, customer, **cn_id(number, "张三")), 400, "invalid_document"
    )

    assert body == {"code": "invalid_document", "message": message, "details": None}
    await nothing_filed(runtime, web, customer)
    assert await run_once(runtime) == 0
    assert await police_stats(police_app) == NOT_BILLED


@pytest.mark.parametrize(
    ("number", "name", "outcome"),
    [(ZHANG, "张四", "inconsistent"), (NOBODY, "赵六", "no_such_number")],
    ids=["another-name", "unknown-number"],
)
async def test_an_id_card_the_service_does_not_confirm_is_rejected(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    police_app: FastAPI,
    number: str,
    name: str,
    outcome: str,
) -> None:
    body = ok(await file_document(web, customer, **cn_id(number, name)), 201)

    assert body["verified"] is False
    holder_view(
        body,
        is_self=True,
        name=name,
        doc_type="cn_id",
        number=f"{number[:3]}***********{number[-4:]}",
        status="rejected",
        method="online",
        reason=f"public-security check: {outcome}",
    )
    assert await police_stats(police_app) == {"billed": 1, "queries": 1}


# -- RN4: one person, verified once --------------------------------------------------------------


async def test_a_verified_person_becomes_a_holder_without_a_second_query(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    sms: RecordingSmsGateway,
    police_app: FastAPI,
) -> None:
    own = holder_view(
        ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201),
        is_self=True,
        name="张三",
        doc_type="cn_id",
        number=ZHANG_MASKED,
        status="verified",
        method="online",
        reason=None,
    )
    friend = bearer(await register_phone(web, runtime, sms, PHONES[1]))

    body = ok(await file_document(web, friend, holder=True, **cn_id(ZHANG, "张三")), 201)

    assert body["verified"] is False  # the friend's own identity is still missing
    linked = holder_view(
        body,
        is_self=False,
        name="张三",
        doc_type="cn_id",
        number=ZHANG_MASKED,
        status="verified",
        method="online",
        reason=None,
    )
    assert linked["identity_id"] == own["identity_id"]
    assert await police_stats(police_app) == {"billed": 1, "queries": 1}
    assert await count(runtime, Identity) == 1
    assert await count(runtime, CustomerHolder) == 2


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    """What a filing answers, without what differs by person (ids, name, number)."""
    [holder] = body["holders"]
    personal = ("holder_id", "identity_id", "name", "number")
    return {"verified": body["verified"], **{k: holder[k] for k in holder if k not in personal}}


async def test_a_verified_document_under_another_name_answers_like_one_never_seen(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    sms: RecordingSmsGateway,
    police_app: FastAPI,
) -> None:
    """Issue 30, item 12: the answer must not tell whether a number is known here under
    another name (nor, with it, whether a number–name pair is right)."""
    ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)
    friend = bearer(await register_phone(web, runtime, sms, PHONES[1]))
    stranger = bearer(await register_phone(web, runtime, sms, PHONES[2]))
    never_seen = await file_document(web, stranger, holder=True, **cn_id(LI, "李五"))

    known = await file_document(web, friend, holder=True, **cn_id(ZHANG, "张叁"))

    assert known.status_code == never_seen.status_code == 201
    assert _answer(known.json()) == _answer(never_seen.json())
    assert _answer(known.json())["reason"] == "public-security check: inconsistent"
    assert _answer(known.json())["status"] == "rejected"
    # The link keeps the name the friend gave and is not usable; 张三's own filing is untouched.
    linked = ok(await web.get(f"{API}/me", headers=friend))["holders"]
    assert [(h["name"], h["status"]) for h in linked] == [("张叁", "rejected")]
    assert ok(await web.get(f"{API}/me", headers=customer))["holders"][0]["status"] == "verified"
    assert await police_stats(police_app) == {"billed": 2, "queries": 2}  # none for 张叁


async def test_a_rejected_claim_is_not_verified_by_someone_elses_correct_filing(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    sms: RecordingSmsGateway,
    police_app: FastAPI,
) -> None:
    """RN1: a buyer passes verification themselves. The first customer claims 张三's number under
    another name and is rejected; when 张三 files his own card, the first customer must stay
    unverified (and keep the name they gave)."""
    holder_view(
        ok(await file_document(web, customer, **cn_id(ZHANG, "张四")), 201),
        is_self=True,
        name="张四",
        doc_type="cn_id",
        number=ZHANG_MASKED,
        status="rejected",
        method="online",
        reason="public-security check: inconsistent",
    )
    zhang = bearer(await register_phone(web, runtime, sms, PHONES[1]))

    assert ok(await file_document(web, zhang, **cn_id(ZHANG, "张三")), 201)["verified"] is True

    body = ok(await web.get(f"{API}/me", headers=customer))
    assert (body["verified"], body["holders"][0]["name"], body["holders"][0]["status"]) == (
        False,
        "张四",
        "rejected",
    )


async def test_a_pending_verification_is_not_spoiled_by_another_customers_wrong_name(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    sms: RecordingSmsGateway,
    police_app: FastAPI,
    clock: FixedClock,
) -> None:
    """While the service is down 张三 files his card (pending); another customer then files the
    same number under a wrong name. 张三's own verification must still succeed."""
    await police_control(police_app, outage=True)
    ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)
    other = bearer(await register_phone(web, runtime, sms, PHONES[1]))
    # refused or accepted as pending: either way it must not touch 张三's own filing
    await file_document(web, other, holder=True, **cn_id(ZHANG, "张四"))
    await police_control(police_app, outage=False)
    clock.advance(timedelta(seconds=2))  # past the backoff of the job that met the outage

    await run_once(runtime)

    body = ok(await web.get(f"{API}/me", headers=customer))
    assert (body["verified"], body["holders"][0]["name"], body["holders"][0]["status"]) == (
        True,
        "张三",
        "verified",
    )
