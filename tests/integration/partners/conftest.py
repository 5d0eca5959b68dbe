"""The cinema box-office simulator served by uvicorn on a real loopback socket (its own
server in a thread), the platform's adapter pointed at it, and the bank simulator and the
sales consistency check of the sales tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.partners.box_office import BoxOffices
from admit.partners.cinema_client import HttpBoxOffice
from admit.sims.cinema import CinemaSimConfig, create_cinema_app
from admit.sims.cinema_state import CinemaState
from tests.integration.sales.conftest import bank, consistent  # noqa: F401  (fixtures)

APP, SECRET = "admit", "dev-secret"
CLIENT_TIMEOUT = 3.0  # generous: a loaded machine must not look like a stuck cinema


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CinemaSim:
    """The simulator as a tester sees it: its URL, its state, and its control endpoints."""

    url: str
    app: FastAPI
    http: httpx.AsyncClient

    @property
    def state(self) -> CinemaState:
        state: CinemaState = self.app.state.cinema
        return state

    async def control(self, **faults: Any) -> dict[str, Any]:
        response = await self.http.post("/_control", json=faults)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def counter_sale(self, cinema: str, session: str, seats: list[str]) -> httpx.Response:
        return await self.http.post(
            "/_counter", json={"cinema": cinema, "session": session, "seats": seats}
        )

    async def locks(self) -> list[dict[str, Any]]:
        return list((await self.http.get("/_state")).json()["locks"])

    async def orders(self) -> list[dict[str, Any]]:
        return list((await self.http.get("/_state")).json()["orders"])

    async def seats(self, session: str) -> dict[str, str]:
        return dict((await self.http.get(f"/_seats/{session}")).json())


@pytest.fixture
def cinema_server(clock: FixedClock) -> Iterator[tuple[str, FastAPI]]:
    """The simulator on a free port, served by uvicorn in its own thread (real HTTP)."""
    app = create_cinema_app(CinemaSimConfig(apps={APP: SECRET}, hang_s=8.0), clock=clock)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the cinema simulator did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
async def cinema(
    runtime: Runtime, cinema_server: tuple[str, FastAPI], clock: FixedClock
) -> AsyncIterator[CinemaSim]:
    url, sim_app = cinema_server
    old = runtime.adapters.pop(BoxOffices, None)
    if old is not None:
        await old.aclose()
    office = HttpBoxOffice(url, APP, SECRET, clock=clock, timeout=CLIENT_TIMEOUT)
    runtime.register(BoxOffices, BoxOffices(office))
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield CinemaSim(url, sim_app, http)
    await asyncio.sleep(0)
