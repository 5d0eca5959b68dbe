"""Simulator of the public-security two-factor check: signed queries, billing, latency, outages."""

from __future__ import annotations

import asyncio
import csv
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admit.accounts.documents import cn_id_check_char
from admit.accounts.verifier import VERIFY_PATH, VerificationOutcome
from admit.core.signing import sign_params, signature_valid

MAX_SKEW_S = 300
# Nonces older than this cannot come back: their timestamps would be refused as stale.
NONCE_MEMORY_S = 2 * MAX_SKEW_S


@dataclass
class PoliceSimConfig:
    app_id: str
    secret: str
    population: dict[str, str]
    latency_ms: int = 0


@dataclass
class _State:
    latency_ms: int
    outage: bool = False
    fail_next: int = 0
    billed: int = 0
    queries: int = 0
    nonces: dict[str, float] = field(default_factory=dict)

    def remember(self, nonce: str, now: float) -> bool:
        """Record a nonce; False when it was already used."""
        if nonce in self.nonces:
            return False
        for old in [n for n, at in self.nonces.items() if now - at > NONCE_MEMORY_S]:
            del self.nonces[old]
        self.nonces[nonce] = now
        return True


class VerifyQuery(BaseModel):
    app_id: str
    name: str
    id_number: str
    nonce: str
    timestamp: int
    sign: str


class Control(BaseModel):
    latency_ms: int | None = Field(default=None, ge=0)
    outage: bool | None = None
    fail_next: int | None = Field(default=None, ge=0)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _refusal(config: PoliceSimConfig, state: _State, query: VerifyQuery) -> JSONResponse | None:
    """Why this query is refused unanswered (and unbilled), or None to answer it."""
    if state.outage:
        return _error(503, "service_unavailable", "the service is down")
    if state.fail_next > 0:
        state.fail_next -= 1
        return _error(500, "internal_error", "the service failed")
    params = query.model_dump()
    if query.app_id != config.app_id or not signature_valid(params, config.secret):
        return _error(401, "bad_signature", "unknown app id or bad signature")
    now = time.time()
    if abs(now - query.timestamp) > MAX_SKEW_S:
        return _error(401, "stale_timestamp", f"timestamp more than {MAX_SKEW_S} s off")
    if not state.remember(query.nonce, now):
        return _error(409, "replayed_nonce", "this nonce was already used")
    return None


def _outcome(population: dict[str, str], query: VerifyQuery) -> VerificationOutcome:
    name = population.get(query.id_number.strip().upper())
    if name is None:
        return VerificationOutcome.NO_SUCH_NUMBER
    if name == query.name.strip():
        return VerificationOutcome.CONSISTENT
    return VerificationOutcome.INCONSISTENT


def create_police_app(config: PoliceSimConfig) -> FastAPI:
    """The simulator as an ASGI app; its state (billing, nonces, faults) lives with the app."""
    state = _State(latency_ms=config.latency_ms)
    app = FastAPI(title="Public-security identity check (simulator)")

    @app.post(VERIFY_PATH, response_model=None)
    async def verify(query: VerifyQuery) -> JSONResponse | dict[str, Any]:
        state.queries += 1
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)
        refusal = _refusal(config, state, query)
        if refusal is not None:
            return refusal
        state.billed += 1
        answer: dict[str, Any] = {
            "request_id": uuid.uuid4().hex,
            "nonce": query.nonce,
            "result": _outcome(config.population, query).value,
            "billed": True,
        }
        answer["sign"] = sign_params(answer, config.secret)
        return answer

    @app.post("/v1/_control")
    async def control(change: Control) -> dict[str, Any]:
        for name, value in change.model_dump(exclude_none=True).items():
            setattr(state, name, value)
        return {
            "latency_ms": state.latency_ms,
            "outage": state.outage,
            "fail_next": state.fail_next,
        }

    @app.get("/v1/_stats")
    async def stats() -> dict[str, int]:
        return {"billed": state.billed, "queries": state.queries}

    return app


def load_population(path: Path) -> dict[str, str]:
    """Read ``id_number,name`` rows (a header row of those words is skipped)."""
    population: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if not row or (line == 1 and [c.strip() for c in row] == ["id_number", "name"]):
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise ValueError(f"{path}:{line}: expected id_number,name")
            number = row[0].strip().upper()
            if number in population:
                raise ValueError(f"{path}:{line}: {number} appears twice")
            population[number] = row[1].strip()
    return population


_AREAS = ("110101", "120103", "310104", "320106", "330106", "420102", "440106", "510107")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀英华平刚桂兰"
_BORN_FROM, _BORN_DAYS = date(1940, 1, 1), (date(2008, 12, 31) - date(1940, 1, 1)).days


def demo_population(count: int, seed: int) -> dict[str, str]:
    """``count`` people with valid ID numbers and simple names, the same for the same seed."""
    rng = random.Random(seed)
    population: dict[str, str] = {}
    while len(population) < count:
        born = _BORN_FROM + timedelta(days=rng.randrange(_BORN_DAYS + 1))
        first17 = f"{rng.choice(_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        given = "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        population[first17 + cn_id_check_char(first17)] = rng.choice(_SURNAMES) + given
    return population
