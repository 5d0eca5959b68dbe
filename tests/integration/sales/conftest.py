"""The bank simulator wired to the platform under test, both in process over real HTTP
semantics: the platform calls the bank through an ASGI transport, the bank notifies the
platform through another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.conftest import TEST_ACTOR

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.payments.bank import HttpBankGateway
from admit.payments.directory import Gateways
from admit.sales import consistency
from admit.sales.notice_settler import NoticeSettler
from admit.sims.bank import create_bank_app
from admit.sims.bank_state import BankSimConfig

MERCHANT, SECRET = "admit", "dev-secret"


@dataclass
class Bank:
    """The simulator as a payer and a tester sees it."""

    app: FastAPI
    payer: httpx.AsyncClient
    gateway: HttpBankGateway
    runtime: Runtime

    async def decide(self, pay_url: str, decision: str = "approve") -> httpx.Response:
        """The payer presses Approve or Decline on the bank's page."""
        trade_no = pay_url.rsplit("/", 1)[1]
        return await self.payer.post(f"/pay/{trade_no}", data={"decision": decision})

    async def control(self, **faults: Any) -> None:
        response = await self.payer.post("/_control", json=faults)
        assert response.status_code == 200, response.text

    async def trades(self) -> list[dict[str, Any]]:
        return list((await self.payer.get("/_trades")).json())

    async def delivered(self, timeout: float = 5.0) -> None:
        """Wait until every notification the bank owes has been delivered or given up."""
        for _ in range(int(timeout / 0.02)):
            trades = await self.trades()
            if all(n["done"] for t in trades for n in t["notifications"]):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"notifications still pending: {trades}")

    async def settled(self, timeout: float = 5.0) -> None:
        """Every notification delivered, and what the platform recorded settled."""
        await self.delivered(timeout)
        await self.runtime.adapter(NoticeSettler).drain()


@pytest.fixture
async def bank(runtime: Runtime, app: FastAPI, clock: FixedClock) -> AsyncIterator[Bank]:
    config = BankSimConfig(
        merchants={MERCHANT: SECRET},
        public_url="http://bank.test",
        notify_retry_delays_s=(0, 0.05, 0.1, 0.2),
        notify_transport=httpx.ASGITransport(app=app),
    )
    bank_app = create_bank_app(config, clock=clock)
    async with bank_app.router.lifespan_context(bank_app):
        transport = httpx.ASGITransport(app=bank_app)
        gateway = HttpBankGateway(
            "http://bank.test", MERCHANT, SECRET, transport=transport, clock=clock, timeout=2.0
        )
        runtime.register(Gateways, Gateways(gateway))
        async with httpx.AsyncClient(transport=transport, base_url="http://bank.test") as payer:
            yield Bank(bank_app, payer, gateway, runtime)


@pytest.fixture
def no_settler(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications wait in the inbox: the process answers the gateway and dies (or the
    test settles them itself) before its settler runs."""
    monkeypatch.setattr(runtime.adapter(NoticeSettler), "kick", lambda: None)


@pytest.fixture(autouse=True)
async def consistent(runtime: Runtime) -> AsyncIterator[None]:
    """After every sales test: the counters, orders, tickets, payments and ledger agree."""
    yield
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        assert await consistency.problems(uow) == []
