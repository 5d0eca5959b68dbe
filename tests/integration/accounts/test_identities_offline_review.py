"""Other documents filed for the offline review (RN3, RN5): foreign passports and their visas, the
review's approvals and rejections, its audited unmasked export and the import of its decisions,
and Chinese citizens kept to the ID card."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from admit.core.audit import AuditEntry
from admit.core.runtime import Runtime
from tests.integration.accounts.customer_flows import (
    ADMIN,
    API,
    count,
    error,
    ok,
    police_stats,
    rows,
)
from tests.integration.accounts.identity_documents import (
    NOT_BILLED,
    PASSPORT,
    PASSPORT_MASKED,
    TRAVELLER,
    TRAVELLER_MASKED,
    file_document,
    holder_view,
    nothing_filed,
    passport,
)


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
