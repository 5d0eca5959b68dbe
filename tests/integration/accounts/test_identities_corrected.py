"""A rejected filing is never a dead end (issue 32, item 2), through the API on both databases:
the buyer's own ID card filed with a wrong name is filed again with the right one and replaces
the rejected link; a linked holder is taken off with ``DELETE /me/holders/{identity}``; a
verified own identity stays (it is who buys, and what per-person limits count)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.integration.accounts.customer_flows import API, error, ok, police_stats
from tests.integration.accounts.identity_documents import LI, ZHANG, cn_id, file_document


async def test_a_wrong_name_on_the_own_id_is_filed_again_and_replaced(
    web: httpx.AsyncClient, customer: dict[str, str], police_app: FastAPI
) -> None:
    wrong = ok(await file_document(web, customer, **cn_id(ZHANG, "张四")), 201)
    [rejected] = wrong["holders"]
    assert (rejected["status"], rejected["reason"]) == (
        "rejected",
        "public-security check: inconsistent",
    )
    right = ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)
    assert right["verified"] is True
    [own] = right["holders"]
    assert (own["is_self"], own["name"], own["status"]) == (True, "张三", "verified")
    assert await police_stats(police_app) == {"billed": 2, "queries": 2}
    # Now verified, it stays: filing another own document or removing it is refused.
    again = await file_document(web, customer, **cn_id(LI, "李四"))
    error(again, 409, "conflict")
    kept = await web.delete(f"{API}/me/holders/{own['identity_id']}", headers=customer)
    assert error(kept, 409, "conflict")["message"] == "your verified identity stays on the account"


async def test_a_rejected_own_id_is_replaced_by_another_document(
    web: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    ok(await file_document(web, customer, **cn_id(ZHANG, "张四")), 201)
    mine = ok(await file_document(web, customer, **cn_id(LI, "李四")), 201)
    assert [(h["name"], h["status"]) for h in mine["holders"]] == [("李四", "verified")]


async def test_a_linked_holder_is_removed_and_a_stranger_gets_404(
    web: httpx.AsyncClient, customer: dict[str, str]
) -> None:
    ok(await file_document(web, customer, **cn_id(ZHANG, "张三")), 201)
    added = ok(await file_document(web, customer, holder=True, **cn_id(LI, "李五")), 201)
    linked = next(h for h in added["holders"] if not h["is_self"])
    assert linked["status"] == "rejected"
    gone = await web.delete(f"{API}/me/holders/{linked['identity_id']}", headers=customer)
    assert gone.status_code == 204
    me = ok(await web.get(f"{API}/me", headers=customer))
    assert [h["is_self"] for h in me["holders"]] == [True]
    again = await web.delete(f"{API}/me/holders/{linked['identity_id']}", headers=customer)
    error(again, 404, "not_found")
    anonymous = await web.delete(f"{API}/me/holders/{linked['identity_id']}")
    assert anonymous.status_code == 401
