"""The OpenAPI document as the contract a partner generates a client from (API1, API4).

FastAPI describes what each route *returns*; what it *refuses* lives in the dependencies and in
the one error mapping (``admit.http.errors``). This module derives the refusals from each
route's dependencies, in one place, instead of a ``responses=`` on every operation:

- every operation answers ``400 invalid_input`` and ``503 busy`` (any route may meet bad data or
  a database that is busy for a moment);
- a credential dependency (staff bearer, customer bearer, partner key, gate device key) adds
  ``401`` and ``403``; an operation with none declares ``security: []``;
- parameters or a body add ``404`` (what they name may not exist) and ``422 invalid_request``
  (our body, not FastAPI's ``{"detail": [...]}``); whole numbers in paths and queries carry the
  64-bit bounds ``admit.http.int_bounds`` enforces;
- writing methods add ``409`` (a conflict, or the database's constraint safety net);
- the request budgets (``admit.http.edge_limits``: per address on the public, customer and
  counter API, per account with a customer's or staff member's token), the partner key and the
  abuse-limited routes (``X-Device-Id``, or ``limits()`` on the route) add ``429`` with
  ``Retry-After``; ``limits(423)`` adds the sign-in lock-out.

Every refusal is ``ErrorBody``; the description lists the codes an operation can answer with.
Operation ids are the route functions' names (``operation_id``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from admit.http.edge_limits import edge_of
from admit.http.int_bounds import DB_INT_MAX, DB_INT_MIN

STAFF_SCHEME = "StaffBearer"
CUSTOMER_SCHEME = "CustomerBearer"
PARTNER_SCHEME = "PartnerKey"
DEVICE_SCHEME = "GateDeviceKey"
SCHEMES = (STAFF_SCHEME, CUSTOMER_SCHEME, PARTNER_SCHEME, DEVICE_SCHEME)
# The schemes whose operations are throttled per credential (the partner's key, a customer's or
# a staff member's account: ``admit.http.edge_limits``).
_THROTTLED_SCHEMES = {PARTNER_SCHEME, CUSTOMER_SCHEME, STAFF_SCHEME}
_WRITES = {"post", "put", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable snake_case code, e.g. `not_found`")
    message: str = Field(description="for people: may change between versions")
    details: Any = Field(description="machine-readable details, by code (null when none)")


class ErrorBody(BaseModel):
    """Every refusal: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


# The codes each status can carry, for the descriptions (the route-specific ones come from the
# domain errors the services raise; these are the ones every route shares).
_CODES: dict[int, tuple[str, str]] = {
    400: ("The request is not acceptable as it stands.", "invalid_input, and codes of the domain"),
    401: (
        "No credential, or one that is not (or no longer) valid.",
        "unauthorized, device_refused",
    ),
    403: ("The credential does not reach this.", "forbidden, and codes of the domain"),
    404: ("What the request names does not exist (or is out of reach).", "not_found"),
    409: (
        "The request conflicts with the current state.",
        "conflict, already_exists, and codes of the domain",
    ),
    422: ("The request does not have the expected shape.", "invalid_request"),
    423: ("The account is locked for a while after failed sign-ins.", "account_locked"),
    429: (
        "Too many requests: retry after `Retry-After` seconds.",
        "rate_limited, too_many_attempts",
    ),
    503: (
        "Busy for a moment, the database unreachable, sales paused while payments are "
        "reconciled after a restore, or a provider down: retry after `Retry-After` seconds.",
        "busy, database_unavailable, reconciling, not_ready (readiness), and unavailable providers",
    ),
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def limits(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=limits(429, 423)`` on a route whose service throttles or locks out by
    itself (the rest is derived from its dependencies)."""
    return {status: {"description": _CODES[status][0], "model": ErrorBody} for status in statuses}


SIGN_IN = limits(401, 423, 429)  # sign-in, codes and passwords: wrong secrets, lock-out, throttles


def operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function``: the route function's name (unique: a test checks)."""
    return route.name


def _walk(dependant: Dependant) -> Iterable[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _schemes(route: Any) -> set[str]:
    found = set()
    for dep in _walk(route.dependant):
        model = getattr(dep.call, "scheme_name", None)
        if isinstance(model, str) and model in SCHEMES:
            found.add(model)
    return found


def _has_device_header(route: Any) -> bool:
    return any(
        f.alias.lower() == "x-device-id" for d in _walk(route.dependant) for f in d.header_params
    )


def _statuses(route: Any, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {400, 503}
    schemes = _schemes(route)
    if schemes:
        statuses |= {401, 403}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses |= {404, 422}
    if method in _WRITES:
        statuses.add(409)
    budgeted = edge_of(method.upper(), route.path_format) is not None
    if budgeted or schemes & _THROTTLED_SCHEMES or _has_device_header(route):
        statuses.add(429)
    statuses |= {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    description, codes = _CODES.get(status, ("Refused.", "see the message"))
    response: dict[str, Any] = {
        "description": f"{description} Codes: {codes}.",
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return response


def _bound_integers(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") not in ("path", "query"):
            continue
        schema = parameter.get("schema", {})
        for variant in schema.get("anyOf", [schema]):
            if variant.get("type") == "integer":
                variant.setdefault("minimum", DB_INT_MIN)
                variant.setdefault("maximum", DB_INT_MAX)


def _document(route: Any, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(_statuses(route, method, operation)):
        documented = _error_response(status)
        # A route's own answer in another media type (a gateway's plain-text ``fail``) stays.
        own = responses.get(str(status), {}).get("content", {})
        documented["content"] |= {m: c for m, c in own.items() if m != "application/json"}
        responses[str(status)] = documented
    operation["responses"] = dict(sorted(responses.items()))
    if not _schemes(route):
        operation["security"] = []
    _bound_integers(operation)


def _drop_fastapi_validation(schemas: dict[str, Any]) -> None:
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def contract(app: FastAPI, *, decorate: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Replace ``app.openapi`` with the document described above (built once, then cached)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schemas.update(schemas["ErrorBody"].pop("$defs", {}))
        for route in iter_route_contexts(app.routes):  # included routers' routes too
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            item = doc["paths"].get(route.path_format, {})
            for method in route.methods or ():
                operation = item.get(method.lower())
                if operation is not None:
                    _document(route, method.lower(), operation)
        _drop_fastapi_validation(schemas)
        if decorate is not None:
            decorate(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
