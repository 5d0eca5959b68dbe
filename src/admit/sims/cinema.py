"""Simulator of a cinema's own box-office system, as agent platforms meet it through China's
cinema-ticketing interface: signed JSON POSTs per operation (QueryCinema, QuerySeat,
QuerySession, QuerySessionSeat, LockSeat, ReleaseSeat, SubmitOrder, QueryOrder, RefundTicket,
QuerySalesReport), several cinemas and halls with their own seat states, locks that expire on
the simulator's clock, sales at the cinema's own counter, and faults switched at run time
(``/_control``): slow answers, outages, timeouts with the call done or not, locks and submits
refused, duplicated (stale) answers, and discrepancies in the daily report.

The wire protocol is :mod:`admit.partners.cinema_client`'s; state and rules live in
:mod:`admit.sims.cinema_state`."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from admit.core.clock import Clock, SystemClock
from admit.core.signing import sign_params
from admit.sims.cinema_state import (
    CinemaSimConfig,
    CinemaState,
    ExtraLine,
    Lock,
    Order,
    SimRefusal,
)
from admit.sims.cinema_world import halls_of

__all__ = ["CinemaSimConfig", "create_cinema_app"]

HANG_POLL_S = 0.05


class ExtraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cinema: str
    order_no: str
    order_code: str = "CO-EXTRA"
    session_code: str = "-"
    kind: str = "sale"
    tickets: int = Field(default=1, ge=0)
    amount: int = Field(ge=0)
    at: AwareDatetime


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: Annotated[int, Field(ge=0)] | None = None
    outage: bool | None = None
    refuse_next_locks: Annotated[int, Field(ge=0)] | None = None
    refuse_next_submits: Annotated[int, Field(ge=0)] | None = None
    timeout_next: dict[str, Annotated[int, Field(ge=0)]] | None = None
    timeout_done: bool | None = None
    duplicate_next: dict[str, Annotated[int, Field(ge=0)]] | None = None
    report_drop: list[str] | None = None
    report_amounts: dict[str, Annotated[int, Field(ge=0)]] | None = None
    report_extra: list[ExtraIn] | None = None


class CounterSale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cinema: str
    session: str
    seats: list[str] = Field(min_length=1, max_length=20)


def create_cinema_app(config: CinemaSimConfig, clock: Clock | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state lives with the app (``app.state.cinema``)."""
    state = CinemaState(config, clock or SystemClock())
    app = FastAPI(title="Cinema box-office system (simulator)")
    app.state.cinema = state

    @app.exception_handler(SimRefusal)
    async def refused(_: Request, refusal: SimRefusal) -> JSONResponse:
        error = {"code": refusal.code, "message": refusal.message, "details": refusal.details}
        return JSONResponse({"error": error}, status_code=refusal.status)

    @app.post("/api/{operation}")
    async def call(operation: str, request: Request) -> dict[str, Any]:
        app_code, raw = await _gate(state, request)
        handler = OPERATIONS.get(operation)
        if handler is None:
            raise SimRefusal(404, "unknown_operation", f"no operation {operation}")
        hang = state.faults.timeout_next.get(operation, 0) > 0
        if hang:
            state.faults.timeout_next[operation] -= 1
            if not state.faults.timeout_done:
                await _hang(request, config.hang_s)
                raise SimRefusal(504, "timeout", "the cinema did not answer in time")
        answer = handler(state, app_code, raw)
        signed = _signed(state, raw, answer)
        if hang:
            await _hang(request, config.hang_s)
        stale = state.last_answer.get(operation)
        state.last_answer[operation] = signed
        if state.faults.duplicate_next.get(operation, 0) > 0 and stale is not None:
            state.faults.duplicate_next[operation] -= 1
            return stale  # an earlier answer again, as a stuck gateway sends it
        return signed

    _test_controls(app, state)
    return app


def _test_controls(app: FastAPI, state: CinemaState) -> None:
    """Fault switches, counter sales and introspection, for tests and demos."""

    @app.post("/_control")
    async def control(change: Control) -> dict[str, Any]:
        faults = state.faults
        for name, value in change.model_dump(
            exclude_none=True, exclude={"report_extra", "report_drop"}
        ).items():
            setattr(faults, name, value)
        if change.report_drop is not None:
            faults.report_drop = set(change.report_drop)
        if change.report_extra is not None:
            faults.report_extra = [
                ExtraLine(
                    x.cinema,
                    x.at.date(),
                    {**x.model_dump(exclude={"cinema"}), "at": x.at.isoformat()},
                )
                for x in change.report_extra
            ]
        return _faults(state)

    @app.get("/_control")
    async def current() -> dict[str, Any]:
        return _faults(state)

    @app.post("/_counter")
    async def counter(sale: CounterSale) -> dict[str, Any]:
        return _order(state.counter_sale(sale.cinema, sale.session, sale.seats))

    @app.post("/_withdraw/{session}")
    async def withdraw(session: str) -> dict[str, str]:
        """The cinema takes a showtime off its programme: no longer listed nor sold."""
        state.withdrawn.add(session)
        return {"withdrawn": session}

    @app.get("/_state")
    async def introspect() -> dict[str, Any]:
        now = state.clock.now()
        return {
            "locks": [_lock(lock, now) for lock in state.locks.values()],
            "orders": [_order(o) for o in state.orders.values()],
        }

    @app.get("/_seats/{session}")
    async def seats(session: str) -> dict[str, str]:
        found = state.sessions.get(session)
        if found is None:
            raise SimRefusal(404, "session_not_found", f"no session {session}")
        return dict(state.seat_states(found.cinema_code, session))


def _faults(state: CinemaState) -> dict[str, Any]:
    data = asdict(state.faults)
    data["report_drop"] = sorted(state.faults.report_drop)
    data["report_extra"] = [x.line for x in state.faults.report_extra]
    return data


async def _gate(state: CinemaState, request: Request) -> tuple[str, dict[str, Any]]:
    if state.faults.latency_ms:
        await asyncio.sleep(state.faults.latency_ms / 1000)
    if state.faults.outage:
        raise SimRefusal(503, "service_unavailable", "the cinema system is down")
    try:
        fields = await request.json()
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise SimRefusal(400, "invalid_request", "the body must be a JSON object")
    return state.authenticate(fields), fields


async def _hang(request: Request, seconds: float) -> None:
    """Answer late, as a stuck cinema system does; stop early once the client has hung up."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while not await request.is_disconnected():
                await asyncio.sleep(HANG_POLL_S)


def _signed(state: CinemaState, raw: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` signed together with the request's nonce, which binds it to that request."""
    secret = state.config.apps[raw["app_code"]]
    return {**answer, "sign": sign_params({**answer, "nonce": raw["nonce"]}, secret)}


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise SimRefusal(400, "invalid_request", f"{key} is required", {"fields": [key]})
    return value


def _whole(raw: dict[str, Any], key: str, low: int = 0) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise SimRefusal(400, "invalid_request", f"{key} must be a whole number", {"fields": [key]})
    return value


def _day(raw: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(_text(raw, key))
    except ValueError:
        raise SimRefusal(400, "invalid_request", f"{key} must be YYYY-MM-DD") from None


def _lock(lock: Lock, now: Any) -> dict[str, Any]:
    status = lock.status if lock.status != "locked" or lock.live(now) else "expired"
    return {
        "lock_ref": lock.ref,
        "lock_id": lock.lock_id,
        "cinema": lock.cinema,
        "session": lock.session,
        "seats": list(lock.seats),
        "expires_at": lock.expires_at.isoformat(),
        "status": status,
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "order_code": order.order_code,
        "status": order.status,
        "print_no": order.print_no,
        "verify_code": order.verify_code,
        "seats": list(order.seats),
        "amount": order.amount,
        "app": order.app,
        "session": order.session,
    }


def _query_cinema(state: CinemaState, _app: str, _raw: dict[str, Any]) -> dict[str, Any]:
    return {"cinemas": [asdict(p.cinema) for p in state.plans.values()]}


def _query_seat(state: CinemaState, _app: str, raw: dict[str, Any]) -> dict[str, Any]:
    halls = halls_of(state.cinema(_text(raw, "cinema_code")))
    return {
        "halls": [
            {"code": h.code, "name": h.name, "seats": [asdict(s) for s in h.seats]} for h in halls
        ]
    }


def _query_session(state: CinemaState, _app: str, raw: dict[str, Any]) -> dict[str, Any]:
    days = _whole(raw, "days", 1)
    sessions = state.showtimes(_text(raw, "cinema_code"), _day(raw, "start_date"), min(days, 14))
    return {
        "sessions": [
            {
                "code": s.code,
                "hall_code": s.hall.code,
                "film_code": s.film.code,
                "film_name": s.film.name,
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat(),
                "prices": s.prices,
                "currency": "CNY",
            }
            for s in sessions
        ]
    }


def _query_session_seat(state: CinemaState, _app: str, raw: dict[str, Any]) -> dict[str, Any]:
    code = _text(raw, "session_code")
    seats = state.seat_states(_text(raw, "cinema_code"), code)
    return {"session_code": code, "seats": [[seat, st] for seat, st in seats]}


def _lock_seat(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    seats = raw.get("seats")
    if not isinstance(seats, list) or not all(isinstance(s, str) for s in seats):
        raise SimRefusal(400, "invalid_request", "seats must be a list of seat codes")
    lock = state.lock(
        app, _text(raw, "cinema_code"), _text(raw, "session_code"), seats, _text(raw, "lock_ref")
    )
    return {
        "lock_ref": lock.ref,
        "lock_id": lock.lock_id,
        "seats": list(lock.seats),
        "expires_at": lock.expires_at.isoformat(),
    }


def _release_seat(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    ref = _text(raw, "lock_ref")
    return {"lock_ref": ref, "result": state.release(app, _text(raw, "cinema_code"), ref)}


def _order_answer(order: Order) -> dict[str, Any]:
    full = _order(order)
    return {
        k: full[k]
        for k in ("order_no", "order_code", "status", "print_no", "verify_code", "seats", "amount")
    }


def _submit_order(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    order = state.submit(
        app,
        _text(raw, "cinema_code"),
        _text(raw, "lock_ref"),
        _text(raw, "order_no"),
        _whole(raw, "amount"),
    )
    return _order_answer(order)


def _query_order(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    return _order_answer(state.order(app, _text(raw, "cinema_code"), _text(raw, "order_no")))


def _refund_ticket(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    return _order_answer(state.refund(app, _text(raw, "cinema_code"), _text(raw, "order_no")))


def _sales_report(state: CinemaState, app: str, raw: dict[str, Any]) -> dict[str, Any]:
    return {"lines": state.report(app, _text(raw, "cinema_code"), _day(raw, "day"))}


OPERATIONS = {
    "QueryCinema": _query_cinema,
    "QuerySeat": _query_seat,
    "QuerySession": _query_session,
    "QuerySessionSeat": _query_session_seat,
    "LockSeat": _lock_seat,
    "ReleaseSeat": _release_seat,
    "SubmitOrder": _submit_order,
    "QueryOrder": _query_order,
    "RefundTicket": _refund_ticket,
    "QuerySalesReport": _sales_report,
}
