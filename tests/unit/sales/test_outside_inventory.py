"""The sale asks one outside inventory, chosen by the composition root: until one is installed
every session is the platform's own, and the wiring installs the partner cinemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from admit.core.audit_context import SYSTEM
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.partners.sale_hooks import PartnerCinemas
from admit.sales.hold_requests import HoldRequest
from admit.sales.outside_inventory import OwnInventory, install, outside
from admit.wiring import wire_adapters


@pytest.fixture
def installed() -> Iterator[None]:
    """Whatever a test installs is undone (the choice is process-wide)."""
    before = outside()
    yield
    install(before)


@pytest.mark.usefixtures("installed")
async def test_the_platforms_own_inventory_hands_nothing_outside() -> None:
    install(OwnInventory())
    own = outside()
    assert own.known({}, 7) is False
    assert await own.settling_payments(None) == frozenset()  # type: ignore[arg-type]
    assert await own.problems(None) == []  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="wiring"):
        await own.place_hold(None, SYSTEM, HoldRequest(7, "customer:1", "web"))  # type: ignore[arg-type]


@pytest.mark.usefixtures("installed")
async def test_the_wiring_installs_the_partner_cinemas(tmp_path: Path) -> None:
    install(OwnInventory())
    rt = Runtime.from_settings(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'admit.db'}", data_dir=tmp_path)
    )
    try:
        wire_adapters(rt)
    finally:
        await rt.close()
    assert isinstance(outside(), PartnerCinemas)
