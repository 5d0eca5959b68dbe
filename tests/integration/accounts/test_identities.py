"""Real-name identities through the HTTP API (RN1–RN5): mainland ID cards verified online by the
public-security simulator, other documents filed for the offline review, holders, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core.audit import AuditEntry
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.conftest import police_population
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    bearer,
    count,
    error,
    ok,
    open_client,
    police_control,
    police_stats,
    register_phone,
    rows,
    set_policy,
)

NUMBERS = {name: number for number, name in police_population().items()}
ZHANG, LI = NUMBERS["张三"], NUMBERS["李四"]
ZHANG_MASKED = "110***********002X"
NOBODY = "310104198001010017"  # well formed, unknown to the public-security service
PASSPORT, PASSPORT_MASKED = "E12345678", "E12**5678"
TRAVELLER, TRAVELLER_MASKED = "John Smith", "J*********"
PHONES = ("13812345678", "13912345679", "13712345670")
NOT_BILLED = {"billed": 0, "queries": 0}


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous browser (the conftest ``client`` carries the admin token once ``admin`` is
    used in a test)."""
    async with open_client(runtime) as c:
        yield c


@pytest.fixture
async def customer(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> dict[str, str]:
    """The signed-in customer's auth header."""
    return bearer(await register_phone(web, runtime, sms, PHONES[0]))


async def file_document(
    web: httpx.AsyncClient, auth: dict[str, str], *, holder: bool = False, **document: Any
) -> httpx.Response:
    path = f"{API}/me/holders" if holder else f"{API}/me/identity"
    return await web.post(path, json=document, headers=auth)


def cn_id(number: str, name: str) -> dict[str, str]:
    return {"doc_type": "cn_id", "number": number, "name": name}


def passport(visa_expires: str, number: str = PASSPORT, name: str = TRAVELLER) -> dict[str, str]:
    return {
        "doc_type": "foreign_passport",
        "number": number,
        "name": name,
        "nationality": "US",
        "visa_expires": visa_expires,
    }


def holder_view(body: dict[str, Any], **expected: Any) -> dict[str, Any]:
    """The only holder of a ``/me`` answer, checked against ``expected`` plus its ids."""
    [holder] = body["holders"]
    assert holder == {
        "holder_id": holder["holder_id"],
        "identity_id": holder["identity_id"],
        **expected,
    }
    return dict(holder)


async def nothing_filed(runtime: Runtime, web: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert await count(runtime, Identity) == 0
    assert await count(runtime, CustomerHolder) == 0
    assert ok(await web.get(f"{API}/me", headers=auth))["holders"] == []


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


# -- other documents, offline review -------------------------------------------------------------


async def test_a_visa_valid_for_less_than_six_months_is_refused(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime
) -> None:
    # today is 2026-11-22: the visa must run until 2027-05-22 at least
    response = await file_document(web, customer, **passport("2027-04-22"))

    body = error(response, 400, "invalid_document")
    assert body["message"] == (
        "the Chinese visa must be valid for 6 months, until 2027-05-22 at least"
    )
    await nothing_filed(runtime, web, customer)


async def test_a_foreign_passport_waits_for_review_and_is_approved(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
) -> None:
    body = ok(await file_document(web, customer, **passport("2027-06-22")), 201)

    assert body["verified"] is False
    filed = holder_view(
        body,
        is_self=True,
        name=TRAVELLER,
        doc_type="foreign_passport",
        number=PASSPORT_MASKED,
        status="pending",
        method="offline",
        reason=None,
    )
    queue = ok(await admin.get(f"{ADMIN}/identities"))
    assert queue == [
        {
            "id": filed["identity_id"],
            "doc_type": "foreign_passport",
            "number": PASSPORT_MASKED,
            "name": TRAVELLER_MASKED,
            "nationality": "US",
            "status": "pending",
            "method": "offline",
            "reason": None,
            "created_at": "2026-11-22T08:00:00Z",
        }
    ]
    assert (queue[0]["number"], queue[0]["name"]) != (PASSPORT, TRAVELLER)

    decided = await admin.post(
        f"{ADMIN}/identities/{filed['identity_id']}/decision", json={"approve": True}
    )

    assert decided.status_code == 204, decided.text
    body = ok(await web.get(f"{API}/me", headers=customer))
    assert body["verified"] is True
    assert body["holders"][0]["status"] == "verified"
    assert body["holders"][0]["method"] == "offline"
    assert ok(await admin.get(f"{ADMIN}/identities")) == []
    assert [i["id"] for i in ok(await admin.get(f"{ADMIN}/identities?status=verified"))] == [
        filed["identity_id"]
    ]
    assert await police_stats(police_app) == NOT_BILLED


async def test_a_rejection_needs_a_reason(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    body = ok(await file_document(web, customer, **passport("2027-06-22")), 201)
    url = f"{ADMIN}/identities/{body['holders'][0]['identity_id']}/decision"

    refused = error(await admin.post(url, json={"approve": False}), 400, "invalid_input")

    assert refused["message"] == "a rejection needs a reason"
    assert ok(await web.get(f"{API}/me", headers=customer)) == body
    decided = await admin.post(url, json={"approve": False, "reason": "visa page unreadable"})
    assert decided.status_code == 204, decided.text
    [holder] = ok(await web.get(f"{API}/me", headers=customer))["holders"]
    assert (holder["status"], holder["reason"]) == ("rejected", "visa page unreadable")
    again = error(await admin.post(url, json={"approve": True}), 409, "conflict")
    assert again["message"] == "the identity is already rejected"


async def two_pending_passports(
    web: httpx.AsyncClient, customer: dict[str, str]
) -> tuple[int, int]:
    own = ok(await file_document(web, customer, **passport("2027-06-22")), 201)
    both = ok(
        await file_document(
            web, customer, holder=True, **passport("2028-01-31", "X98765432", "Marie Curie")
        ),
        201,
    )
    assert [h["status"] for h in both["holders"]] == ["pending", "pending"]
    return own["holders"][0]["identity_id"], both["holders"][1]["identity_id"]


async def test_the_export_is_unmasked_and_audited(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime
) -> None:
    first, second = await two_pending_passports(web, customer)

    response = await admin.get(f"{ADMIN}/identities/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text == (
        "identity_id,doc_type,number,name,nationality,visa_expires\r\n"
        f"{first},foreign_passport,E12345678,John Smith,US,2027-06-22\r\n"
        f"{second},foreign_passport,X98765432,Marie Curie,US,2028-01-31\r\n"
    )
    [entry] = await rows(runtime, AuditEntry, AuditEntry.action == "personal_data.exported")
    assert (entry.entity_type, entry.entity_id, entry.data) == (
        "identity",
        "pending",
        f'{{"identities":[{first},{second}]}}',
    )
    assert entry.actor.startswith("staff:")


async def test_an_import_applies_the_offline_decisions(
    web: httpx.AsyncClient, admin: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    first, second = await two_pending_passports(web, customer)
    csv = f"identity_id,decision,reason\n{first},approve,\n{second},reject,visa forged\n"

    response = await admin.post(
        f"{ADMIN}/identities/import", content=csv.encode(), headers={"content-type": "text/csv"}
    )

    assert ok(response) == {"decided": 2}
    body = ok(await web.get(f"{API}/me", headers=customer))
    assert [(h["status"], h["reason"]) for h in body["holders"]] == [
        ("verified", None),
        ("rejected", "visa forged"),
    ]
    assert body["verified"] is True


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{second},maybe,", "line 3: identity_id must be a number and decision approve or reject"),
        ("999999,approve,", "line 3: identity 999999 does not exist"),
    ],
    ids=["bad-decision", "unknown-identity"],
)
async def test_an_import_with_one_bad_line_changes_nothing(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    bad_line: str,
    message: str,
) -> None:
    first, second = await two_pending_passports(web, customer)
    csv = f"identity_id,decision,reason\n{first},approve,\n{bad_line.format(second=second)}\n"

    response = await admin.post(
        f"{ADMIN}/identities/import", content=csv.encode(), headers={"content-type": "text/csv"}
    )

    assert error(response, 400, "invalid_input")["message"] == message
    body = ok(await web.get(f"{API}/me", headers=customer))
    assert [h["status"] for h in body["holders"]] == ["pending", "pending"]
    assert len(ok(await admin.get(f"{ADMIN}/identities"))) == 2
    assert await count(runtime, AuditEntry, AuditEntry.action == "identity.reviewed") == 0


@pytest.mark.parametrize("holder", [False, True], ids=["own", "holder"])
async def test_a_chinese_citizen_must_use_the_id_card(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime, holder: bool
) -> None:
    document = {**passport("2027-06-22"), "nationality": "CN"}

    response = await file_document(web, customer, holder=holder, **document)

    body = error(response, 400, "invalid_document")
    assert body["message"] == "Chinese citizens must use the resident identity card"
    await nothing_filed(runtime, web, customer)


# -- limits and outages --------------------------------------------------------------------------


async def test_the_number_of_holders_follows_the_policy(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
) -> None:
    await set_policy(admin, max_holders=2)
    ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)  # not a linked holder
    ok(await file_document(web, customer, holder=True, **cn_id(LI, "李四")), 201)
    ok(await file_document(web, customer, holder=True, **passport("2027-06-22")), 201)
    before = ok(await web.get(f"{API}/me", headers=customer))

    third = passport("2028-01-31", "X98765432", "Marie Curie")
    response = await file_document(web, customer, holder=True, **third)

    body = error(response, 409, "holder_limit")
    assert body["message"] == "at most 2 linked holders"
    assert ok(await web.get(f"{API}/me", headers=customer)) == before
    assert [h["name"] for h in before["holders"]] == ["张三", "李四", TRAVELLER]
    assert await count(runtime, Identity) == 3
    assert await police_stats(police_app) == {"billed": 2, "queries": 2}


async def test_an_outage_leaves_the_identity_pending_until_the_worker_verifies_it(
    web: httpx.AsyncClient,
    customer: dict[str, str],
    runtime: Runtime,
    police_app: FastAPI,
    clock: FixedClock,
) -> None:
    await police_control(police_app, outage=True)

    body = ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)

    assert body["verified"] is False
    assert body["holders"][0]["status"] == "pending"
    assert body["holders"][0]["method"] == "online"
    assert await police_stats(police_app) == {"billed": 0, "queries": 1}
    # still down: the queued job fails and backs off (2 s after its first attempt)
    assert await run_once(runtime) == 1
    assert await police_stats(police_app) == {"billed": 0, "queries": 2}

    await police_control(police_app, outage=False)
    assert await run_once(runtime) == 0
    clock.advance(timedelta(seconds=2))
    assert await run_once(runtime) == 1

    body = ok(await web.get(f"{API}/me", headers=customer))
    assert body["verified"] is True
    assert body["holders"][0]["status"] == "verified"
    assert await police_stats(police_app) == {"billed": 1, "queries": 3}
    assert await run_once(runtime) == 0
