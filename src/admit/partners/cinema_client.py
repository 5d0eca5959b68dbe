"""The cinema box-office protocol and its HTTP client (``HttpBoxOffice``).

One JSON POST per operation of the cinema-ticketing interface, at ``/api/<Operation>``. Each
request carries ``app_code``, ``nonce``, ``timestamp`` and ``sign`` (HMAC-SHA256 over the
sorted ``key=value`` pairs, :mod:`admit.core.signing`); each answer is signed over its fields
plus the request's nonce, so a forged, stale or duplicated answer that belongs to another
request is refused. Errors are ``{"error": {"code", "message", "details"}}`` with a 4xx (the
cinema refused and did nothing: :class:`BoxOfficeRefused`) or a 5xx; a 5xx, a timeout, a
transport error or an answer we cannot trust is :class:`BoxOfficeUnavailable` — the outcome
is unknown until the order is queried or the call repeated with the same reference."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import httpx

from admit.core.clock import Clock, SystemClock
from admit.core.outbound import outside_client
from admit.core.signing import sign_params, signature_valid
from admit.partners.box_office import (
    SEAT_STATES,
    BoxOfficeRefused,
    BoxOfficeUnavailable,
    Cinema,
    Confirmation,
    ExternalBoxOffice,
    Hall,
    HallSeat,
    OrderState,
    PartnerOrderNotFound,
    PlanSeat,
    ReportLine,
    SeatLock,
    SeatPlan,
    SeatState,
    Showtime,
)

OPERATIONS = (
    "QueryCinema",
    "QuerySeat",
    "QuerySession",
    "QuerySessionSeat",
    "LockSeat",
    "ReleaseSeat",
    "SubmitOrder",
    "QueryOrder",
    "RefundTicket",
    "QuerySalesReport",
)
RELEASE_RESULTS = ("released", "expired", "unknown")


class HttpBoxOffice(ExternalBoxOffice):
    """A cinema system's HTTP API for one agent (``app_code``). ``timeout`` bounds each whole
    call, also over in-process transports (which ignore httpx's own timeouts)."""

    def __init__(
        self,
        base_url: str,
        app_code: str,
        secret: str,
        *,
        system: str = "cinema",
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.system = system
        self._app_code = app_code
        self._secret = secret
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._client = outside_client(
            base_url=base_url.rstrip("/"), transport=transport, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def list_cinemas(self) -> list[Cinema]:
        answer = await self._call("QueryCinema", {})
        return [
            Cinema(_s(c, "code"), _s(c, "name"), str(c.get("address", "")))
            for c in _list(answer, "cinemas")
        ]

    async def list_halls(self, cinema: str) -> list[Hall]:
        answer = await self._call("QuerySeat", {"cinema_code": cinema})
        return [
            Hall(
                cinema,
                _s(h, "code"),
                _s(h, "name"),
                tuple(
                    HallSeat(
                        _s(s, "code"),
                        _s(s, "row"),
                        _s(s, "number"),
                        float(s["x"]),
                        float(s["y"]),
                        _s(s, "area"),
                    )
                    for s in _list(h, "seats")
                ),
            )
            for h in _list(answer, "halls")
        ]

    async def list_showtimes(self, cinema: str, *, start: date, days: int) -> list[Showtime]:
        answer = await self._call(
            "QuerySession", {"cinema_code": cinema, "start_date": start.isoformat(), "days": days}
        )
        return [
            Showtime(
                cinema_code=cinema,
                code=_s(s, "code"),
                hall_code=_s(s, "hall_code"),
                film_code=_s(s, "film_code"),
                film_name=_s(s, "film_name"),
                starts_at=_at(s, "starts_at"),
                ends_at=_at(s, "ends_at"),
                prices={str(k): _amount(v) for k, v in _dict(s, "prices").items()},
                currency=_s(s, "currency"),
            )
            for s in _list(answer, "sessions")
        ]

    async def seat_plan(self, cinema: str, session: str) -> SeatPlan:
        answer = await self._call(
            "QuerySessionSeat", {"cinema_code": cinema, "session_code": session}
        )
        seats = []
        for pair in _list(answer, "seats"):
            if not (isinstance(pair, list) and len(pair) == 2 and pair[1] in SEAT_STATES):
                raise _malformed("a seat state is malformed")
            seats.append(PlanSeat(str(pair[0]), cast(SeatState, pair[1])))
        return SeatPlan(session, tuple(seats))

    async def lock(self, cinema: str, session: str, seats: Sequence[str], *, ref: str) -> SeatLock:
        answer = await self._call(
            "LockSeat",
            {"cinema_code": cinema, "session_code": session, "seats": list(seats), "lock_ref": ref},
        )
        _expect(answer, "lock_ref", ref)
        return SeatLock(ref, _s(answer, "lock_id"), _seats(answer), _at(answer, "expires_at"))

    async def release(self, cinema: str, *, ref: str) -> str:
        answer = await self._call("ReleaseSeat", {"cinema_code": cinema, "lock_ref": ref})
        _expect(answer, "lock_ref", ref)
        result = _s(answer, "result")
        if result not in RELEASE_RESULTS:
            raise _malformed("unknown release result")
        return result

    async def confirm(
        self, cinema: str, *, ref: str, order_no: str, amount: int, phone: str
    ) -> Confirmation:
        answer = await self._call(
            "SubmitOrder",
            {
                "cinema_code": cinema,
                "lock_ref": ref,
                "order_no": order_no,
                "amount": amount,
                "phone": phone,
            },
        )
        state = _order(answer, order_no)
        if state.status != "confirmed":
            raise _malformed("a submitted order is not confirmed")
        return Confirmation(
            order_no,
            state.order_code,
            state.print_no,
            state.verify_code,
            state.seats,
            state.amount,
        )

    async def query_order(self, cinema: str, *, order_no: str) -> OrderState:
        answer = await self._call("QueryOrder", {"cinema_code": cinema, "order_no": order_no})
        return _order(answer, order_no)

    async def refund(self, cinema: str, *, order_no: str) -> OrderState:
        answer = await self._call("RefundTicket", {"cinema_code": cinema, "order_no": order_no})
        return _order(answer, order_no)

    async def daily_report(self, cinema: str, day: date) -> list[ReportLine]:
        answer = await self._call(
            "QuerySalesReport", {"cinema_code": cinema, "day": day.isoformat()}
        )
        lines = []
        for line in _list(answer, "lines"):
            kind = line.get("kind")
            if kind not in ("sale", "refund"):
                raise _malformed("a report line has no kind")
            lines.append(
                ReportLine(
                    order_no=_s(line, "order_no"),
                    order_code=_s(line, "order_code"),
                    session_code=_s(line, "session_code"),
                    kind=kind,
                    tickets=_amount(line.get("tickets")),
                    amount=_amount(line.get("amount")),
                    at=_at(line, "at"),
                )
            )
        return lines

    def _signed(self, fields: Mapping[str, object]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "app_code": self._app_code,
            "nonce": secrets.token_hex(16),
            "timestamp": int(self._clock.now().timestamp()),
            **fields,
        }
        body["sign"] = sign_params(body, self._secret)
        return body

    async def _call(self, operation: str, fields: Mapping[str, object]) -> dict[str, Any]:
        signed = self._signed(fields)
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.post(f"/api/{operation}", json=signed)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise BoxOfficeUnavailable(
                f"the cinema timed out on {operation}", details={"reason": "timeout"}
            ) from exc
        except httpx.HTTPError as exc:
            raise BoxOfficeUnavailable(
                "the cinema is unreachable", details={"reason": "transport", "error": str(exc)}
            ) from exc
        if response.status_code != 200:
            raise _http_error(response, fields)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise _malformed("the answer is not a JSON object")
        unsigned = {k: v for k, v in answer.items() if k != "sign"}
        if not signature_valid(
            {**unsigned, "nonce": signed["nonce"], "sign": answer.get("sign")}, self._secret
        ):
            raise BoxOfficeUnavailable(
                "the cinema's answer is not signed for this request",
                details={"reason": "bad_signature"},
            )
        return unsigned


def _http_error(
    response: httpx.Response, fields: Mapping[str, object]
) -> BoxOfficeUnavailable | BoxOfficeRefused:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    status = response.status_code
    code = str(error.get("code") or f"http_{status}")
    message = str(error.get("message") or f"the cinema answered {status}")
    raw_details = error.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    if 400 <= status < 500 and code == "order_not_found":
        return PartnerOrderNotFound(str(fields.get("order_no", "")))
    if 400 <= status < 500:
        return BoxOfficeRefused(code, message, details={"status": status, **details})
    return BoxOfficeUnavailable(message, details={"reason": code, "status": status})


def _malformed(message: str) -> BoxOfficeUnavailable:
    return BoxOfficeUnavailable(message, details={"reason": "malformed_answer"})


def _s(answer: Mapping[str, Any], key: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(f"no {key} in the answer")
    return value


def _amount(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _malformed("an amount is not a whole number of minor units")
    return value


def _list(answer: Mapping[str, Any], key: str) -> list[Any]:
    value = answer.get(key)
    if not isinstance(value, list):
        raise _malformed(f"no {key} list in the answer")
    return value


def _dict(answer: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = answer.get(key)
    if not isinstance(value, dict):
        raise _malformed(f"no {key} in the answer")
    return value


def _at(answer: Mapping[str, Any], key: str) -> datetime:
    try:
        value = datetime.fromisoformat(_s(answer, key))
    except ValueError:
        raise _malformed(f"{key} is not a date and time") from None
    if value.tzinfo is None:
        raise _malformed(f"{key} has no UTC offset")
    return value.astimezone(UTC)


def _seats(answer: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(s) for s in _list(answer, "seats"))


def _expect(answer: Mapping[str, Any], key: str, wanted: str) -> None:
    if answer.get(key) != wanted:
        raise _malformed(f"the answer's {key} is not {wanted!r}")


def _order(answer: Mapping[str, Any], order_no: str) -> OrderState:
    _expect(answer, "order_no", order_no)
    status = answer.get("status")
    if status not in ("confirmed", "refunded"):
        raise _malformed("unknown order status")
    return OrderState(
        order_no=order_no,
        order_code=_s(answer, "order_code"),
        status=status,
        print_no=_s(answer, "print_no"),
        verify_code=_s(answer, "verify_code"),
        seats=_seats(answer),
        amount=_amount(answer.get("amount")),
    )
