"""The OpenAPI document is the contract (issue 31, item 4): schemathesis generates requests for
every operation from the document and checks each answer against it — no server error, only
documented statuses and media types, bodies of the documented schema — as each of the five
identities, on SQLite and PostgreSQL, in process (ASGI, no server).

One example per operation and variant here (``make test``); ``make fuzz`` runs deeper
(``ADMIT_FUZZ_EXAMPLES``). Cases are generated first and sent after (generation does not depend
on answers), so the requests run on the test's event loop, where the runtime's connections
live."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from admit.core.runtime import Runtime
from tests.integration.contract.fuzz_world import IDENTITIES, Identity, identity

EXAMPLES = int(os.environ.get("ADMIT_FUZZ_EXAMPLES", "1"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that could lock the fuzzing credential out: each case gets a throw-away one.
SELF_AFFECTING = {
    "staff_log_out",
    "log_out",
    "set_grants",
    "lock",
    "staff_reset_password",
    "lock_customer",
    "update_device",
    "update_api_client",
}
BASE = "http://admit.test"


# Generation does not depend on the identity or the database: each worker generates once.
_GENERATED: dict[tuple[str, tuple[tuple[str, object], ...]], list[Any]] = {}


def _cases(operation: Any, world: dict[str, object]) -> list[Any]:
    """Cases with generated parameters, and as many again with the path's ids naming the
    world's resources (where the path has any), so that answers other than 404 are checked."""
    names = {p.name for p in operation.path_parameters}
    known = {name: world[name] for name in sorted(names & world.keys())}
    key = (operation.label, tuple(known.items()))
    if key not in _GENERATED:
        found = _generated(operation.as_strategy())
        if known:
            found += _generated(operation.as_strategy(path_parameters=known))
        _GENERATED[key] = found
    return _GENERATED[key]


def _generated(strategy: Any) -> list[Any]:
    found: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Any) -> None:
        found.append(case)

    collect()
    return found


async def _send(http: httpx.AsyncClient, case: Any, headers: dict[str, str]) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=BASE)
    kwargs.pop("timeout", None)
    kwargs.pop("allow_redirects", None)
    kwargs.pop("auth", None)
    kwargs.pop("verify", None)
    kwargs["headers"] = {**(kwargs.get("headers") or {}), **headers}
    prepared = requests.Request(**kwargs).prepare()
    body = prepared.body
    return await http.request(
        prepared.method or "GET",
        prepared.url or BASE,
        headers=dict(prepared.headers),
        content=body.encode() if isinstance(body, str) else body,
    )


@pytest.mark.long
@pytest.mark.parametrize("who", IDENTITIES)
async def test_every_operation_answers_as_documented(
    who: str, runtime: Runtime, app: FastAPI, admin: httpx.AsyncClient
) -> None:
    me: Identity = await identity(who, runtime, admin)
    schema = schemathesis.openapi.from_dict(app.openapi())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    failures: list[str] = []
    answered: Counter[int] = Counter()
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for case in _cases(operation, me.world):
                fresh = operation.definition.raw.get("operationId") in SELF_AFFECTING
                headers = await me.make() if fresh else me.headers
                response = await _send(http, case, headers)
                answered[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as failed:
                    failures.append(f"{operation.label}: {str(failed)[:1500]}")
                if case.method.upper() != "GET" and response.status_code < 300:
                    await me.renewed_if_dead(http)
    print(f"{who}: statuses answered {sorted(answered.items())}")  # noqa: T201  (shown with -s)
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
