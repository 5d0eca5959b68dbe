"""Simulator of a bank payment gateway, faithful to what UnionPay, Alipay and WeChat Pay share:
signed create / query / close / refund / statement calls, a payer page that approves or declines,
signed asynchronous notifications re-sent until acknowledged, and fault controls (lost, late or
repeated notifications, timeouts whose outcome is unknown, outages, foreign statement lines).

Business time comes from the injected clock; notification retry gaps and injected latency are
real time. The wire protocol is :mod:`admit.payments.bank`'s; state lives in
:mod:`admit.sims.bank_state`, notifications in :mod:`admit.sims.bank_notify`."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import UTC, date
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError

from admit.core.clock import Clock, SystemClock
from admit.core.signing import sign_params
from admit.payments.bank import (
    CLOSE_PATH,
    QUERY_PATH,
    REFUND_QUERY_PATH,
    REFUNDS_PATH,
    STATEMENT_COLUMNS,
    STATEMENT_PATH,
    TRADE_STATUSES,
    TRADES_PATH,
)
from admit.sims.bank_notify import Notifier
from admit.sims.bank_pages import notice_page, pay_page
from admit.sims.bank_state import (
    BankSimConfig,
    BankState,
    Line,
    SimRefusal,
    Trade,
    fee_for,
)

__all__ = ["BankSimConfig", "create_bank_app"]

HANG_POLL_S = 0.05
WIRE_STATUSES = {status: wire for wire, status in TRADE_STATUSES.items()}
Number = Annotated[str, Field(min_length=1, max_length=64)]
Model = TypeVar("Model", bound=BaseModel)


class CreateBody(BaseModel):
    out_trade_no: Number
    amount: Annotated[StrictInt, Field(gt=0)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    subject: Annotated[str, Field(min_length=1, max_length=128)]
    notify_url: Annotated[str, Field(pattern=r"^https?://")]
    return_url: Annotated[str, Field(pattern=r"^https?://")]
    expires_at: AwareDatetime


class TradeRef(BaseModel):
    out_trade_no: Number


class RefundRef(TradeRef):
    out_refund_no: Number


class RefundBody(RefundRef):
    amount: Annotated[StrictInt, Field(gt=0)]
    reason: Annotated[str, Field(max_length=256)] = ""


class ExtraLine(BaseModel):
    """A statement line the platform does not have; ``fee`` defaults to the fee rate's."""

    model_config = ConfigDict(extra="forbid")

    trade_no: str
    out_trade_no: str
    type: Literal["pay", "refund"]
    amount: Annotated[int, Field(ge=0)]
    fee: Annotated[int, Field(ge=0)] | None = None
    time: AwareDatetime
    out_refund_no: str | None = None
    merchant_id: str | None = None


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify_delay_ms: Annotated[int, Field(ge=0)] | None = None
    notify_repeats: Annotated[int, Field(ge=0)] | None = None
    lose_notifications: bool | None = None
    latency_ms: Annotated[int, Field(ge=0)] | None = None
    timeout_next_creates: Annotated[int, Field(ge=0)] | None = None
    timeout_next_refunds: Annotated[int, Field(ge=0)] | None = None
    extra_statement_lines: list[ExtraLine] | None = None
    outage: bool | None = None
    intraday_statements: bool | None = None


def create_bank_app(config: BankSimConfig, clock: Clock | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state lives with the app. Notifications need the app's
    lifespan to run (uvicorn runs it; in-process tests enter ``app.router.lifespan_context``)."""
    state = BankState(config, clock or SystemClock())
    notifier = Notifier(state)
    app = FastAPI(title="Bank payment gateway (simulator)", lifespan=_lifespan(notifier))

    @app.exception_handler(SimRefusal)
    async def refused(_: Request, refusal: SimRefusal) -> JSONResponse:
        error = {"code": refusal.code, "message": refusal.message, "details": refusal.details}
        return JSONResponse({"error": error}, status_code=refusal.status)

    _gateway_api(app, state)
    _refund_query_api(app, state)
    _statement_api(app, state)
    _payer_pages(app, state, notifier)
    _test_controls(app, state)
    return app


def _gateway_api(app: FastAPI, state: BankState) -> None:
    """The merchant's signed JSON calls: create, query, close, refund."""
    config = state.config

    @app.post(TRADES_PATH)
    async def create(request: Request) -> dict[str, Any]:
        merchant_id, raw = await _gate(state, request)
        body = _parse(CreateBody, raw)
        created = Trade(
            merchant_id=merchant_id,
            trade_no=state.number("T"),
            created_at=state.clock.now(),
            **body.model_dump(exclude={"expires_at"}),
            expires_at=body.expires_at.astimezone(UTC),
        )
        trade = state.create(merchant_id, created)
        pay_url = f"{config.public_url}/pay/{trade.trade_no}"
        fields = {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no}
        answer = _signed(state, raw, {**fields, "pay_url": pay_url, "qr_content": pay_url})
        if state.faults.timeout_next_creates > 0:
            state.faults.timeout_next_creates -= 1
            await _hang(request, config.hang_s)
        return answer

    @app.post(QUERY_PATH)
    async def query(request: Request) -> dict[str, Any]:
        merchant_id, raw = await _gate(state, request)
        trade = state.trade(merchant_id, _parse(TradeRef, raw).out_trade_no)
        return _signed(state, raw, _trade_answer(state, trade))

    @app.post(CLOSE_PATH)
    async def close(request: Request) -> dict[str, Any]:
        merchant_id, raw = await _gate(state, request)
        trade = state.close(merchant_id, _parse(TradeRef, raw).out_trade_no)
        return _signed(state, raw, _trade_answer(state, trade))

    @app.post(REFUNDS_PATH)
    async def refund(request: Request) -> dict[str, Any]:
        merchant_id, raw = await _gate(state, request)
        body = _parse(RefundBody, raw)
        done = state.refund(
            merchant_id, body.out_trade_no, body.out_refund_no, body.amount, body.reason
        )
        answer = _signed(
            state,
            raw,
            {
                "out_trade_no": body.out_trade_no,
                "out_refund_no": done.out_refund_no,
                "refund_no": done.refund_no,
                "amount": done.amount,
                "refund_status": "SUCCESS",
                "refunded_at": done.at.isoformat(),
            },
        )
        if state.faults.timeout_next_refunds > 0:
            state.faults.timeout_next_refunds -= 1
            await _hang(request, config.hang_s)
        return answer


def _refund_query_api(app: FastAPI, state: BankState) -> None:
    @app.post(REFUND_QUERY_PATH)
    async def refund_query(request: Request) -> dict[str, Any]:
        """A refund by the merchant's refund number: what a merchant asks when its refund
        call's outcome is unknown."""
        merchant_id, raw = await _gate(state, request)
        body = _parse(RefundRef, raw)
        trade = state.trade(merchant_id, body.out_trade_no)
        done = trade.refunds.get(body.out_refund_no)
        if done is None:
            raise SimRefusal(404, "refund_not_found", "no refund under this out_refund_no")
        return _signed(
            state,
            raw,
            {
                "out_trade_no": body.out_trade_no,
                "out_refund_no": done.out_refund_no,
                "refund_no": done.refund_no,
                "amount": done.amount,
                "refund_status": "SUCCESS",
                "refunded_at": done.at.isoformat(),
            },
        )


def _statement_api(app: FastAPI, state: BankState) -> None:
    @app.get(STATEMENT_PATH)
    async def statement(request: Request) -> Response:
        merchant_id, raw = await _gate(state, request, dict(request.query_params))
        try:
            day = date.fromisoformat(str(raw.get("day")))
        except ValueError:
            raise SimRefusal(400, "invalid_request", "day must be YYYY-MM-DD") from None
        return Response(
            _csv(state.statement(merchant_id, day)), media_type="text/csv; charset=utf-8"
        )


def _payer_pages(app: FastAPI, state: BankState, notifier: Notifier) -> None:
    """What the payer's browser sees: the pay page and the decision it posts."""

    @app.get("/pay/{trade_no}")
    async def payer_page(trade_no: str) -> HTMLResponse:
        trade = state.by_trade_no.get(trade_no)
        try:
            state.payable(trade_no)
        except SimRefusal as refusal:
            status = 404 if trade is None else 200
            return HTMLResponse(notice_page(_title(refusal), refusal.message, trade), status)
        return HTMLResponse(pay_page(state.by_trade_no[trade_no]))

    @app.post("/pay/{trade_no}", response_model=None)
    async def decide(trade_no: str, request: Request) -> Response:
        decision = (await request.form()).get("decision")
        trade = state.by_trade_no.get(trade_no)
        if decision not in ("approve", "decline"):
            message = "Choose Approve or Decline."
            return HTMLResponse(notice_page("Invalid request", message, trade), 400)
        notifier.ensure_running()
        try:
            trade = state.decide(trade_no, approve=decision == "approve")
        except SimRefusal as refusal:
            message = refusal.message
            if refusal.code == "already_paid":
                message += " You have not been charged again."
            return HTMLResponse(notice_page(_title(refusal), message, trade), refusal.status)
        notifier.notify(trade)
        result = "paid" if trade.status == "paid" else "declined"
        return RedirectResponse(_return_url(trade, result), status_code=303)


def _test_controls(app: FastAPI, state: BankState) -> None:
    """Fault switches and introspection, for tests and demos (unauthenticated)."""

    @app.post("/_control")
    async def control(change: Control) -> dict[str, Any]:
        faults = state.faults
        for name, value in change.model_dump(
            exclude_none=True, exclude={"extra_statement_lines"}
        ).items():
            setattr(faults, name, value)
        if change.extra_statement_lines is not None:
            faults.extra_statement_lines = [
                _line(extra, state.config.fee_rate_bp) for extra in change.extra_statement_lines
            ]
        return asdict(faults)

    @app.get("/_control")
    async def current_faults() -> dict[str, Any]:
        return asdict(state.faults)

    @app.get("/_trades")
    async def trades() -> list[dict[str, Any]]:
        """Every trade with its refunds and notification attempts, for tests and demos."""
        now = state.clock.now()
        listing = []
        for trade in state.trades.values():
            data = asdict(trade)
            data.update(
                status=trade.status_at(now),
                refunded=trade.refunded,
                refunds=list(data["refunds"].values()),
            )
            listing.append(data)
        return listing


def _lifespan(notifier: Notifier) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    def lifespan(_: FastAPI) -> AbstractAsyncContextManager[None]:
        return notifier.running()

    return lifespan


async def _gate(
    state: BankState, request: Request, fields: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """Faults first, then authentication: the merchant id and the request's fields (the JSON
    body unless ``fields`` are given), or a :class:`SimRefusal`."""
    if state.faults.latency_ms:
        await asyncio.sleep(state.faults.latency_ms / 1000)
    if state.faults.outage:
        raise SimRefusal(503, "service_unavailable", "the bank is down")
    if fields is None:
        try:
            fields = await request.json()
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise SimRefusal(400, "invalid_request", "the body must be a JSON object")
    return state.authenticate(fields), fields


async def _hang(request: Request, seconds: float) -> None:
    """Answer late, as a stuck bank does, after the call took effect; stop early when the client
    has hung up (servers do not cancel handlers of closed connections, and would wait for this
    one on shutdown). Cancellation, as in-process transports do on a client timeout, ends it."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while not await request.is_disconnected():
                await asyncio.sleep(HANG_POLL_S)


def _parse(model: type[Model], raw: dict[str, Any]) -> Model:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        names = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise SimRefusal(400, "invalid_request", "invalid fields", {"fields": names}) from None


def _signed(state: BankState, raw: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` signed together with the request's nonce, which binds it to that request."""
    secret = state.config.merchants[raw["merchant_id"]]
    return {**answer, "sign": sign_params({**answer, "nonce": raw["nonce"]}, secret)}


def _trade_answer(state: BankState, trade: Trade) -> dict[str, Any]:
    return {
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "trade_status": WIRE_STATUSES[trade.status_at(state.clock.now())],
        "amount": trade.amount,
        "currency": trade.currency,
        "paid_at": trade.paid_at.isoformat() if trade.paid_at else None,
        "refunded": trade.refunded,
    }


def _csv(lines: list[Line]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line.trade_no,
                line.out_trade_no,
                line.kind,
                line.amount,
                line.fee,
                line.at.isoformat(),
                line.out_refund_no or "",
            ]
        )
    return out.getvalue()


def _line(extra: ExtraLine, fee_rate_bp: int) -> Line:
    fee = extra.fee if extra.fee is not None else fee_for(extra.amount, fee_rate_bp)
    return Line(
        extra.trade_no,
        extra.out_trade_no,
        extra.type,
        extra.amount,
        fee,
        extra.time,
        extra.out_refund_no,
        extra.merchant_id,
    )


def _title(refusal: SimRefusal) -> str:
    return {
        "already_paid": "Already paid",
        "already_declined": "Payment declined",
        "trade_closed": "Order closed",
        "trade_expired": "Payment request expired",
    }.get(refusal.code, "Payment request not found")


def _return_url(trade: Trade, result: str) -> str:
    """The merchant's return URL with ``out_trade_no`` and ``result`` added: unsigned, so it is
    a hint for the payer's browser, never proof of payment."""
    parts = urlsplit(trade.return_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("out_trade_no", trade.out_trade_no), ("result", result)]
    return urlunsplit(parts._replace(query=urlencode(query)))
