"""Factories for the accounts integration tests: customers with identities, staff with a role,
partner API keys. Everything goes through the HTTP API (the worker is run by hand where a code
has to be delivered)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from admit.app import create_app
from admit.core import worker
from admit.core.runtime import Runtime
from admit.messaging.email import EmailSender
from tests.fakes.sms import RecordingSmsGateway

API = "/api/v1"
ADMIN = f"{API}/admin"
PASSWORD = "Str0ng pass word!"
CODE = re.compile(r"\b(\d{6})\b")


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The response's JSON body, after checking its status (showing the body otherwise)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` member of a refusal, after checking its status and code."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def plain_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own app over the test's runtime, with no default headers (so the
    ``admin`` fixture's bearer token never rides along on customer, staff or partner calls)."""
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


@dataclass
class RecordingEmail:
    """An :class:`EmailSender` keeping what it sends in memory."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    async def send(
        self, *, to: str, subject: str, body: str, message_key: str | None = None
    ) -> str:
        self.sent.append((to, subject, body))
        return f"<mail-{len(self.sent)}@admit.test>"

    def last_code(self, to: str) -> str:
        for address, _, body in reversed(self.sent):
            if address == to:
                match = CODE.search(body)
                assert match, body
                return match.group(1)
        raise AssertionError(f"no mail to {to}")


def use_recording_email(runtime: Runtime) -> RecordingEmail:
    mail = RecordingEmail()
    runtime.register(EmailSender, mail)  # type: ignore[type-abstract]
    return mail


async def register_customer(
    http: httpx.AsyncClient,
    runtime: Runtime,
    *,
    login: str,
    sms: RecordingSmsGateway | None = None,
    mail: RecordingEmail | None = None,
) -> str:
    """Ask for a registration code, deliver it with the worker, register; the customer's token."""
    ok(await http.post(f"{API}/auth/codes", json={"login": login, "purpose": "register"}), 202)
    assert await worker.run_once(runtime) >= 1
    if "@" in login:
        assert mail is not None, "an email login needs the recording mailer"
        code = mail.last_code(login)
    else:
        assert sms is not None, "a phone login needs the recording SMS gateway"
        assert sms.sent[-1].phone == login, sms.sent[-1]
        code = sms.sent[-1].params["code"]
    body = ok(
        await http.post(
            f"{API}/auth/register", json={"login": login, "code": code, "password": PASSWORD}
        ),
        201,
    )
    token: str = body["token"]
    return token


async def file_document(
    http: httpx.AsyncClient,
    token: str,
    *,
    number: str,
    name: str,
    is_self: bool,
    doc_type: str = "cn_id",
    nationality: str = "CN",
    visa_expires: date | None = None,
    contact_phone: str | None = None,
) -> dict[str, Any]:
    """File the customer's own document (``is_self``) or a linked holder's; the ``/me`` answer."""
    payload: dict[str, Any] = {
        "doc_type": doc_type,
        "number": number,
        "name": name,
        "nationality": nationality,
    }
    if visa_expires is not None:
        payload["visa_expires"] = visa_expires.isoformat()
    if contact_phone is not None:
        payload["contact_phone"] = contact_phone
    path = f"{API}/me/identity" if is_self else f"{API}/me/holders"
    me: dict[str, Any] = ok(await http.post(path, json=payload, headers=bearer(token)), 201)
    return me


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    @property
    def actor(self) -> str:
        """The audit log's label for this staff member."""
        return f"staff:{self.id}"


async def create_staff_account(
    admin: httpx.AsyncClient, username: str = "ops", role: str = "ticket_ops"
) -> int:
    """A staff member with one global grant of ``role``, the shared password and a phone (for
    resets); not signed in. Returns the id."""
    response = await admin.post(
        f"{ADMIN}/staff",
        json={
            "username": username,
            "password": PASSWORD,
            "phone": "13800138000",
            "grants": [{"role": role}],
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_staff(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    *,
    username: str,
    role: str,
    phone: str | None = None,
) -> StaffMember:
    """A staff member with one global grant of ``role``, signed in."""
    payload: dict[str, Any] = {
        "username": username,
        "password": PASSWORD,
        "grants": [{"role": role}],
    }
    if phone is not None:
        payload["phone"] = phone
    created = ok(await admin.post(f"{ADMIN}/staff", json=payload), 201)
    login = ok(
        await http.post(
            f"{API}/auth/staff/login", json={"username": username, "password": PASSWORD}
        )
    )
    return StaffMember(id=int(created["id"]), username=username, token=login["token"])


async def audit_entries(admin: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Audit entries, newest first."""
    entries: list[dict[str, Any]] = ok(
        await admin.get(f"{ADMIN}/audit", params={"limit": 1000, **params})
    )
    return entries


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: int
    key_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.api_key}


async def make_api_client(
    admin: httpx.AsyncClient,
    *,
    name: str,
    scopes: tuple[str, ...] = ("catalog.read", "availability.read"),
    rate_per_minute: int = 60,
    burst: int = 3,
) -> IssuedKey:
    body = ok(
        await admin.post(
            f"{ADMIN}/api-clients",
            json={
                "name": name,
                "scopes": list(scopes),
                "rate_per_minute": rate_per_minute,
                "burst": burst,
            },
        ),
        201,
    )
    return IssuedKey(id=int(body["id"]), key_id=body["key_id"], api_key=body["api_key"])
