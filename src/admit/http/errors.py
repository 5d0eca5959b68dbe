"""The one place where errors become HTTP responses: ``{"error": {code, message, details}}``."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from admit.core.db import is_transient, out_of_range
from admit.core.errors import AdmitError
from admit.core.logging import mark_logged
from admit.core.reachability import DRIVER_ERRORS, database_unreachable
from admit.http.metrics import DATABASE_UNAVAILABLE_ANSWERS

log = structlog.get_logger(__name__)

# Seconds a client is asked to wait on a 503 that does not say otherwise: service resumes
# within seconds of the database's return (docs/operations.md).
RETRY_AFTER_SECONDS = 2


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _json_safe(errors: list[Any]) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


def error_response(exc: AdmitError | None) -> JSONResponse:
    """The JSON error for a domain error, for routes that return a refusal after committing."""
    if exc is None:
        exc = AdmitError("the request could not be completed")
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
    if exc.status in (403, 423, 429, 503) and retry is not None:
        headers["Retry-After"] = str(int(retry))
    elif exc.status == 503:  # an outside system is unavailable: say when to come back
        headers["Retry-After"] = str(int(retry if retry is not None else RETRY_AFTER_SECONDS))
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=headers
    )


def _busy() -> JSONResponse:
    return JSONResponse(
        error_body("busy", "too many people are buying this right now: try again"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


def _out_of_range(request: Request) -> JSONResponse:
    log.warning("value_out_of_range", path=request.url.path)
    return JSONResponse(
        error_body("invalid_input", "a value in the request is out of range"), status_code=400
    )


def note_database_lost(request: Request, exc: BaseException) -> None:
    """Count the refusal and tell the process's database state (one log line per outage)."""
    DATABASE_UNAVAILABLE_ANSWERS.inc()
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        runtime.database.lost(exc)


def database_unavailable(request: Request, exc: BaseException) -> JSONResponse:
    """503 at once while the database cannot be reached. An open transaction is gone with its
    connection; only a commit cut off mid-way has an unknown outcome, which is why writes
    carry an ``Idempotency-Key``: the client retries with the same key."""
    note_database_lost(request, exc)
    return JSONResponse(
        error_body(
            "database_unavailable",
            "the service is briefly unavailable: please try again in a few seconds",
        ),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette raises the error again after this answer so that the server can log it: it is
    # logged here (with the request's id) or deliberately not at all, never a second time.
    mark_logged(exc)
    if database_unreachable(exc):
        return database_unavailable(request, exc)
    if out_of_range(exc):  # rolled back: nothing was written
        return _out_of_range(request)
    log.exception("unhandled_error", path=request.url.path)
    return JSONResponse(
        error_body("internal_error", "something went wrong on our side"), status_code=500
    )


async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
    if database_unreachable(exc):
        return database_unavailable(request, exc)
    if is_transient(exc):  # rolled back whole: the client retries (with its key)
        log.warning("transient_db_error", path=request.url.path, error=str(exc.orig)[:200])
        return _busy()
    if isinstance(exc, IntegrityError):
        # A safety net: services check what a request names (404) and what must be unique
        # (409) first; a constraint that still fails is a race or a reference they missed.
        log.warning("integrity_error", path=request.url.path, error=type(exc.orig).__name__)
        return JSONResponse(
            error_body("conflict", "the request conflicts with the data it refers to"),
            status_code=409,
        )
    return await _unexpected(request, exc)


async def _no_connection(request: Request, _: PoolTimeout) -> JSONResponse:
    # Every pooled connection stayed busy for the pool's whole timeout: nothing was done.
    log.warning("db_pool_timeout", path=request.url.path)
    return _busy()


async def _overflow(request: Request, _: OverflowError) -> JSONResponse:
    # A number a driver cannot bind (SQLite's 64 bits) that no schema bounded: handled by its
    # own handler, as the catch-all's exceptions go on to the server's log with a traceback.
    return _out_of_range(request)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AdmitError)
    async def _domain(_: Request, exc: AdmitError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _shape(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body(
                "invalid_request",
                "the request does not have the expected shape",
                _json_safe(list(exc.errors())),
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(DBAPIError, _database)  # type: ignore[arg-type]
    # Registered by class so that they are answered here, not by the server's catch-all,
    # which would log a traceback per request for the whole of an outage.
    for driver_error in DRIVER_ERRORS:
        app.add_exception_handler(driver_error, _unexpected)
    app.add_exception_handler(PoolTimeout, _no_connection)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _overflow)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
