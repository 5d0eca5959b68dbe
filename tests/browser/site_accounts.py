"""What the page tests need besides the browser: waiting for a condition on the live server,
the SMS code its simulator delivered, and signed-in customers made through the public API."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from playwright.sync_api import Page

PASSWORD = "Blue-sky-2026!"
T = TypeVar("T")
_numbers = itertools.count(1)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def sms_code(site: str, phone: str) -> str:
    """The latest verification code the SMS simulator delivered to ``phone``."""

    def probe() -> str | None:
        messages = httpx.get(f"{site}/_sim/sms/v1/_messages", params={"phone": phone}).json()
        codes = [m["params"]["code"] for m in messages if m["template"] == "SMS_VERIFY_CODE"]
        return codes[-1] if codes else None

    return wait_for(f"the SMS to {phone}", probe)


def unused_phone(prefix: str) -> str:
    """An 11-digit mobile number no other test of this run uses (``prefix``: 4 digits)."""
    return f"{prefix}{int(time.time()) % 100000:05d}{next(_numbers) % 100:02d}"


def register(site: str, prefix: str) -> tuple[str, str]:
    """A new customer registered with an SMS code through the API, with the password
    ``PASSWORD``: their phone number and bearer token."""
    phone = unused_phone(prefix)
    sent = httpx.post(f"{site}/api/v1/auth/codes", json={"login": phone, "purpose": "register"})
    assert sent.status_code == 202, sent.text
    registered = httpx.post(
        f"{site}/api/v1/auth/register",
        json={"login": phone, "code": sms_code(site, phone), "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    token: str = registered.json()["token"]
    return phone, token


def customer_token(site: str, prefix: str) -> str:
    """A new customer's bearer token (``register``)."""
    return register(site, prefix)[1]


def sign_in_new_customer(page: Page, site: str, prefix: str) -> str:
    """A new customer (``register``) signed in through the login page: their login."""
    login, _ = register(site, prefix)
    page.goto(f"{site}/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/account"))
    return login


def event_of(site: str, session_id: int) -> int:
    """The event of a session, through the public API."""
    event_id: int = httpx.get(f"{site}/api/v1/sessions/{session_id}").json()["event"]["id"]
    return event_id
