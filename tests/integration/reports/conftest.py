"""The bank simulator and the consistency check of the sales tests, and the known sale
history (``report_world``) every report test reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.integration.reports.report_world import ADMIN, History, sale_history
from tests.integration.sales.conftest import Bank, bank, consistent  # noqa: F401

from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
async def history(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    bank: Bank,  # noqa: F811
) -> History:
    return await sale_history(admin, client, runtime, clock, bank)


async def get_report(
    admin: httpx.AsyncClient, history: History, name: str, **params: Any
) -> dict[str, Any]:
    response = await admin.get(
        f"{ADMIN}/reports/{history.organiser_id}/{name}", params={**PERIOD, **params}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def figures(body: dict[str, Any], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(row[n] for n in names) for row in body["rows"]]
