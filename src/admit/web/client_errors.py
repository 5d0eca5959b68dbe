"""Script errors from buyers' browsers (``static/errors.js``): a page reports an uncaught error
or an unhandled rejection with ``navigator.sendBeacon``, and it is logged (``client_error``,
warning) so operators see what breaks in the browsers people use. Same origin only, a small
body, and a per-address budget (``ADMIT_LIMIT_CLIENT_ERRORS_PER_ADDRESS_MINUTE``), so the
route cannot be used to flood the logs."""

from __future__ import annotations

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from admit.core.errors import InvalidInput
from admit.core.ratelimit import Limit
from admit.core.runtime import Runtime
from admit.http.deps import address_of, runtime
from admit.http.throttle import throttle
from admit.web.auth import SameOrigin
from admit.web.errors import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
log = structlog.get_logger("admit.client")
MAX_BODY = 2048


class ClientError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["error", "rejection"]
    message: str = Field(max_length=300)
    source: str = Field(default="", max_length=300)
    line: int = Field(default=0, ge=0, le=10_000_000)
    page: str = Field(max_length=300, pattern=r"^/[^\s]*$")


@router.post("/client-errors", status_code=204, response_model=None)
async def client_error(
    request: Request, rt: Annotated[Runtime, Depends(runtime)], _: Annotated[None, SameOrigin]
) -> Response:
    """Log one script error a page reported: 204; 400 for a body that is not one; 429 past
    the address's budget."""
    settings = rt.settings
    await throttle(
        rt,
        rule="client_errors",
        key=address_of(request, rt),
        limit=Limit.per_minute(settings.limit_client_errors_per_address_minute),
        message="too many error reports from this address",
    )
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"an error report is at most {MAX_BODY} bytes")
    try:
        report = ClientError.model_validate_json(body)
    except ValidationError:
        raise InvalidInput("not an error report") from None
    log.warning(
        "client_error",
        kind=report.kind,
        message=report.message,
        source=report.source,
        line=report.line,
        page=report.page,
        user_agent=request.headers.get("user-agent", "")[:200],
    )
    return Response(status_code=204)
