"""Filing real-name documents in the identity tests: the public-security simulator's people,
documents of each kind, a holder read back from ``/me``, and what an unfiled customer looks like."""

from __future__ import annotations

from typing import Any

import httpx

from admit.accounts.identity_models import CustomerHolder, Identity
from admit.core.runtime import Runtime
from tests.conftest import police_population
from tests.integration.accounts.customer_flows import API, count, ok

NUMBERS = {name: number for number, name in police_population().items()}
ZHANG, LI = NUMBERS["张三"], NUMBERS["李四"]
ZHANG_MASKED = "110***********002X"
NOBODY = "310104198001010017"  # well formed, unknown to the public-security service
PASSPORT, PASSPORT_MASKED = "E12345678", "E12**5678"
TRAVELLER, TRAVELLER_MASKED = "John Smith", "J*********"
PHONES = ("13812345678", "13912345679", "13712345670")
NOT_BILLED = {"billed": 0, "queries": 0}


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
        "contact_phone": None,
        **expected,
    }
    return dict(holder)


async def nothing_filed(runtime: Runtime, web: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert await count(runtime, Identity) == 0
    assert await count(runtime, CustomerHolder) == 0
    assert ok(await web.get(f"{API}/me", headers=auth))["holders"] == []
