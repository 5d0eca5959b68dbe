"""A customer changes a linked holder (issue 27, item 3), through the API on both databases:
the contact phone of any holder (shown masked), the document of one not yet verified (filed
again in its place and verified); a verified holder keeps its document — a change is refused
with 409 ``holder_verified`` and nothing moves; a refused filing leaves the old link as it was;
another customer's holder is 404."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    API,
    bearer,
    error,
    ok,
    police_stats,
    register_phone,
)
from tests.integration.accounts.identity_documents import LI, PHONES, ZHANG, cn_id, file_document


def _holder(body: dict, identity_id: int | None = None) -> dict:  # type: ignore[type-arg]
    linked = [h for h in body["holders"] if not h["is_self"]]
    if identity_id is not None:
        linked = [h for h in linked if h["identity_id"] == identity_id]
    [holder] = linked
    return holder  # type: ignore[no-any-return]


async def test_a_verified_holder_keeps_its_document_and_changes_its_phone(
    web: httpx.AsyncClient, customer: dict[str, str], police_app: FastAPI
) -> None:
    added = ok(await file_document(web, customer, holder=True, **cn_id(ZHANG, "张三")), 201)
    before = _holder(added)
    assert (before["status"], before["contact_phone"]) == ("verified", None)
    url = f"{API}/me/holders/{before['identity_id']}"

    phoned = ok(await web.patch(url, json={"contact_phone": "13812345678"}, headers=customer))
    after = _holder(phoned)
    assert after["contact_phone"] == "138****5678"
    unchanged = {k: v for k, v in after.items() if k != "contact_phone"}
    assert unchanged == {k: v for k, v in before.items() if k != "contact_phone"}

    refused = await web.patch(url, json={"document": cn_id(LI, "李四")}, headers=customer)
    error(refused, 409, "holder_verified")
    me = ok(await web.get(f"{API}/me", headers=customer))
    assert _holder(me) == after  # the verified document, its name and phone, as they were
    cleared = ok(await web.patch(url, json={"contact_phone": None}, headers=customer))
    assert _holder(cleared)["contact_phone"] is None
    assert await police_stats(police_app) == {"billed": 1, "queries": 1}  # no second check


async def test_an_unverified_holder_is_filed_again_in_place(
    web: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    body = {**cn_id(LI, "李五"), "contact_phone": "13912345679"}
    wrong = _holder(ok(await file_document(web, customer, holder=True, **body), 201))
    assert wrong["status"] == "rejected"
    url = f"{API}/me/holders/{wrong['identity_id']}"

    bad = await web.patch(url, json={"document": cn_id("12345", "李四")}, headers=customer)
    error(bad, 400, "invalid_document")
    me = ok(await web.get(f"{API}/me", headers=customer))
    assert _holder(me) == wrong, "a refused filing leaves the old link as it was"

    fixed = ok(await web.patch(url, json={"document": cn_id(LI, "李四")}, headers=customer))
    right = _holder(fixed)
    assert (right["name"], right["status"]) == ("李四", "verified")
    assert right["contact_phone"] == "139****5679"  # kept through the new filing
    assert len(fixed["holders"]) == 1


async def test_another_customers_holder_is_not_found(
    web: httpx.AsyncClient, customer: dict[str, str], runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    other_customer = bearer(await register_phone(web, runtime, sms, PHONES[1]))
    added = ok(await file_document(web, customer, holder=True, **cn_id(ZHANG, "张三")), 201)
    url = f"{API}/me/holders/{_holder(added)['identity_id']}"
    stranger = await web.patch(url, json={"contact_phone": "13712345670"}, headers=other_customer)
    error(stranger, 404, "not_found")
    assert (await web.patch(url, json={"contact_phone": "13712345670"})).status_code == 401
    malformed = await web.patch(url, json={"contact_phone": "12345"}, headers=customer)
    assert malformed.status_code == 422
    assert _holder(ok(await web.get(f"{API}/me", headers=customer)))["contact_phone"] is None
