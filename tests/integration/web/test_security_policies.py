"""The security headers' policies by path and settings (``admit.http.security_headers``):
the API docs and the simulators have their own, HSTS only over https, the bank's page a form
target. No database is touched (the apps' engines never connect)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from admit.app import create_app
from admit.core.config import Settings
from admit.core.runtime import Runtime
from tests.integration.web.test_security_headers import header_problems


async def test_docs_and_simulators_have_their_own_policies(tmp_path: Path) -> None:
    rt = Runtime.from_settings(Settings(data_dir=tmp_path, simulators_in_process=True))
    transport = httpx.ASGITransport(app=create_app(rt, run_worker=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
            for url in ("/docs", "/redoc", "/_sim/sms/v1/_stats", "/_sim/bank/pay/nope"):
                assert header_problems("GET", url, await c.get(url)) == []
    finally:
        await rt.close()


@pytest.mark.parametrize(
    ("public_url", "base", "hsts"),
    [
        (None, "http://admit.test", False),
        (None, "https://admit.test", True),  # the request itself came over https
        ("https://tickets.example.com", "http://admit.test", True),  # TLS ends at a proxy
        ("http://127.0.0.1:8000", "http://admit.test", False),
    ],
)
async def test_hsts_only_over_https(
    tmp_path: Path, public_url: str | None, base: str, hsts: bool
) -> None:
    rt = Runtime.from_settings(
        Settings(data_dir=tmp_path, public_url=public_url, simulators_in_process=False)
    )
    transport = httpx.ASGITransport(app=create_app(rt, run_worker=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base) as c:
            answer = await c.get("/healthz")
    finally:
        await rt.close()
    assert answer.headers.get("strict-transport-security") == ("max-age=31536000" if hsts else None)
    assert answer.headers["x-frame-options"] == "DENY"


async def test_the_bank_is_a_form_target_when_it_lives_elsewhere(tmp_path: Path) -> None:
    """The pay form is redirected to the bank's page, which ``form-action`` governs too."""
    rt = Runtime.from_settings(
        Settings(
            data_dir=tmp_path,
            bank_url="https://pay.bank.example/gateway",
            simulators_in_process=False,
        )
    )
    transport = httpx.ASGITransport(app=create_app(rt, run_worker=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
            answer = await c.get("/")
    finally:
        await rt.close()
    policy = answer.headers["content-security-policy"]
    assert policy.endswith("form-action 'self' https://pay.bank.example")
    assert "script-src 'self';" in policy
