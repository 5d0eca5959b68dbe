"""Helpers for the customer-account integration tests: everything a customer or an operator does
goes through the HTTP API; the database is only read, to show what a refusal left behind."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from admit.app import create_app
from admit.core import audit
from admit.core.audit_context import SYSTEM
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from tests.fakes.sms import RecordingSmsGateway

API = "/api/v1"
ADMIN = f"{API}/admin"
PASSWORD = "Blue-sky-2026"
OTHER_ADDRESS = "10.9.9.9"
PHONE = "13812345678"
OTHER_PHONE = "13912345679"
EMAIL_CODE = re.compile(r"^Your code is (\d{6})\.")


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The response's JSON body, after checking its status (showing the body otherwise)."""
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` member of a refusal, after checking its status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def other_code(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


@asynccontextmanager
async def open_client(
    runtime: Runtime, *, ip: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app on the test's runtime, seen by the app as coming from ``ip``."""
    transport = httpx.ASGITransport(
        app=create_app(runtime, run_worker=False), raise_app_exceptions=False, client=(ip, 123)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


async def count(runtime: Runtime, model: type[Any], *where: Any) -> int:
    """Rows of ``model`` (matching ``where``) as committed in the database (the audit log's
    pending entries chained first, as the worker would)."""
    await audit.chain_all(runtime.uow)
    async with runtime.uow(SYSTEM, readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)))


async def rows(runtime: Runtime, model: type[Any], *where: Any) -> list[Any]:
    await audit.chain_all(runtime.uow)
    async with runtime.uow(SYSTEM, readonly=True) as uow:
        return list((await uow.session.scalars(select(model).where(*where))).all())


# -- codes ---------------------------------------------------------------------------------------


async def request_code(web: httpx.AsyncClient, login: str, purpose: str) -> httpx.Response:
    return await web.post(f"{API}/auth/codes", json={"login": login, "purpose": purpose})


async def sms_code(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, phone: str, purpose: str
) -> str:
    """Ask for a code by SMS, let the worker send it, and read it off the handset."""
    assert ok(await request_code(web, phone, purpose), 202) == {"status": "sent"}
    sent_before = len(sms.sent)
    await run_once(runtime)
    assert len(sms.sent) == sent_before + 1
    message = sms.sent[-1]
    assert (message.phone, message.template) == (phone, "SMS_VERIFY_CODE")
    return str(message.params["code"])


def read_mail(mail_dir: Path) -> list[email.message.EmailMessage]:
    """The messages in the file mail drop (file names are random: sorted, not by age)."""
    messages = []
    for path in sorted(mail_dir.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        messages.append(parsed)
    return messages


def code_in(message: email.message.EmailMessage) -> str:
    body = message.get_content()
    match = EMAIL_CODE.match(body)
    assert match is not None, body
    return match.group(1)


# -- accounts ------------------------------------------------------------------------------------


async def register_phone(
    web: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    phone: str,
    *,
    password: str = PASSWORD,
    **extra: str,
) -> str:
    """Open an account for ``phone`` the way a customer does; returns its first token."""
    code = await sms_code(web, runtime, sms, phone, "register")
    body = ok(
        await web.post(
            f"{API}/auth/register",
            json={"login": phone, "code": code, "password": password, **extra},
        ),
        201,
    )
    return str(body["token"])


async def log_in(
    web: httpx.AsyncClient, login: str, password: str = PASSWORD, device: str = ""
) -> httpx.Response:
    return await web.post(
        f"{API}/auth/login", json={"login": login, "password": password, "device": device}
    )


async def me(web: httpx.AsyncClient, token: str) -> httpx.Response:
    return await web.get(f"{API}/me", headers=bearer(token))


async def set_policy(admin: httpx.AsyncClient, **changes: int) -> dict[str, Any]:
    policy: dict[str, Any] = ok(await admin.put(f"{ADMIN}/security-policy", json=changes))
    for key, value in changes.items():
        assert policy[key] == value
    return policy


# -- the public-security simulator ----------------------------------------------------------------


@asynccontextmanager
async def police(police_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=police_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://police.test") as c:
        yield c


async def police_stats(police_app: FastAPI) -> dict[str, int]:
    async with police(police_app) as c:
        stats: dict[str, int] = ok(await c.get("/v1/_stats"))
    return stats


async def police_control(police_app: FastAPI, **change: Any) -> None:
    async with police(police_app) as c:
        ok(await c.post("/v1/_control", json=change))
