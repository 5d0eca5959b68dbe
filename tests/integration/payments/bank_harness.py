"""The bank gateway tests' harness: the bank simulator in process, a gateway client talking to it
over ``httpx.ASGITransport``, a tiny merchant app it notifies the same way, and the payer's
browser; business time is a :class:`FixedClock`. The fixtures that open it are in conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response

from admit.core.clock import FixedClock
from admit.payments.bank import HttpBankGateway
from admit.payments.gateway import CreatedTrade, ForgedNotification, Notification

MERCHANT, SECRET = "admit", "bank-secret"
BANK = "http://bank.test"
NOTIFY_URL = "http://merchant.test/notify"
RETURN_URL = "https://shop.test/orders/return?step=3"
FAST_RETRIES = (0.0, 0.01, 0.02)
FORM = "application/x-www-form-urlencoded"


@dataclass
class Merchant:
    """The platform's notification endpoint: records every body, verifies it with the gateway
    and answers from a script (the last answer repeats)."""

    answers: list[str]
    gateway: HttpBankGateway | None = None
    bodies: list[bytes] = field(default_factory=list)
    verified: list[Notification] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/notify")
        async def notify(request: Request) -> Response:
            body = await request.body()
            self.bodies.append(body)
            assert self.gateway is not None
            try:
                notification = self.gateway.parse_notification(
                    body, request.headers.get("content-type", "")
                )
            except ForgedNotification:
                return Response("forged", status_code=400)
            self.verified.append(notification)
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return Response(answer, media_type="text/plain")

        return app

    def fields(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.bodies[index].decode(), keep_blank_values=True))


@dataclass
class Bank:
    clock: FixedClock
    gateway: HttpBankGateway
    browser: httpx.AsyncClient  # the payer's browser, and the test's own calls
    merchant: Merchant
    transport: httpx.ASGITransport  # to the simulator

    async def control(self, **change: Any) -> dict[str, Any]:
        response = await self.browser.post("/_control", json=change)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def trades(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self.browser.get("/_trades")).json()
        return result

    async def create(
        self, out_trade_no: str = "A-1", amount: int = 2250, expires_in_min: int = 15
    ) -> CreatedTrade:
        return await self.gateway.create(
            out_trade_no=out_trade_no,
            amount=amount,
            currency="CNY",
            subject="2 tickets, Swan Lake",
            notify_url=NOTIFY_URL,
            return_url=RETURN_URL,
            expires_at=self.clock.now() + timedelta(minutes=expires_in_min),
        )

    async def pay(self, trade: CreatedTrade, decision: str = "approve") -> httpx.Response:
        return await self.browser.post(trade.pay_url, data={"decision": decision})

    async def settled(self) -> list[dict[str, Any]]:
        """All notifications delivered or given up; the trades as the simulator has them."""
        for _ in range(400):
            trades = await self.trades()
            if all(n["done"] for t in trades for n in t["notifications"]):
                return trades
            await asyncio.sleep(0.005)
        raise AssertionError("notifications never settled")


OpenBank = Callable[..., Awaitable[Bank]]
