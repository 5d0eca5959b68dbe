"""Binding an API key to a sales channel (API1): a kiosk's, an outlet's, a contract client's or
an agent's system sells in that channel's sales windows and quotas, and at its outlet when
one is named. An agent's key names its outlet: the agent is who owes what it collects
(``sales.collected``). Unbinding (``channel=None``) makes it a plain partner key again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.accounts.models import ApiClient
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork
from admit.sales.models import Outlet
from admit.sales.windows import get_channel

# The channels whose systems book through this API (the website and apps are the public API).
BOOKING_CHANNELS = ("box_office", "agent", "client_rep")


class OutletRequired(Conflict):
    code = "agent_outlet_required"


async def bind_key(
    uow: UnitOfWork, *, client_id: int, channel: str | None, outlet: str | None, now: datetime
) -> ApiClient:
    """Bind the key (audited). Raises ``NotFound`` (key), ``InvalidInput`` (a channel that
    does not book through this API, an outlet of another channel, an outlet with no
    channel), ``OutletRequired`` (an agent's key without its outlet)."""
    client = await get_or_404(uow, ApiClient, client_id, "API client")
    if channel is None:
        if outlet is not None:
            raise InvalidInput("an outlet is bound together with its channel")
    else:
        if channel not in BOOKING_CHANNELS:
            raise InvalidInput(
                f"{channel!r} does not book through the channel API",
                details={"channels": BOOKING_CHANNELS},
            )
        await get_channel(uow, channel)
        if outlet is not None:
            found = await uow.session.scalar(select(Outlet).where(Outlet.code == outlet))
            if found is None or found.channel != channel:
                raise InvalidInput(f"no {channel} outlet {outlet!r}")
        elif channel == "agent":
            raise OutletRequired(
                "an agent's key names the agent's outlet: the agent owes what it collects"
            )
    await audit.record_update(
        uow,
        client,
        {"channel": channel, "outlet": outlet},
        action="api_client.bound",
        entity_type="api_client",
        entity_id=client_id,
        now=now,
    )
    return client
