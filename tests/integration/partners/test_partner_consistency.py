"""``admit check`` and partner orders: an order waiting for the cinema's confirmation is
being settled, not lost; a lock the cinema refused must have its payment refunded in full,
and a confirmed one a paid order. The ``admit sim cinema`` command is registered."""

from __future__ import annotations

import httpx
from sqlalchemy import update
from typer.testing import CliRunner

from admit.cli import app as cli
from admit.core.runtime import Runtime
from admit.partners.models import PartnerLock
from admit.sales import consistency
from tests.conftest import TEST_ACTOR
from tests.integration.partners.conftest import CinemaSim
from tests.integration.partners.partner_flows import buy, first_session, order_of, work
from tests.integration.sales.conftest import Bank
from tests.integration.sales.sale_factories import customers_with_tokens


async def _problems(runtime: Runtime) -> list[str]:
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        return await consistency.problems(uow)


async def _set_status(runtime: Runtime, number: str, status: str) -> None:
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(PartnerLock).where(PartnerLock.order_number == number).values(status=status)
        )


async def test_check_follows_partner_orders_through_confirmation(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    cinema: CinemaSim,
    bank: Bank,
) -> None:
    sid, _ = await first_session(runtime, admin)
    (ann,) = await customers_with_tokens(runtime, 1, first=1)
    number = await buy(client, bank, sid, ann, ["L1-HALL-E-7"], "check")
    assert (await order_of(client, number, ann))["status"] == "confirm_pending"
    assert await _problems(runtime) == []  # captured, waiting for the cinema: not lost

    await work(runtime)
    assert (await order_of(client, number, ann))["status"] == "paid"
    assert await _problems(runtime) == []

    await _set_status(runtime, number, "refused")  # as if the cinema's refusal were recorded
    found = await _problems(runtime)
    assert any("is refused but its order is paid" in p for p in found)
    assert f"partner order {number} was refused but not refunded in full" in found
    await _set_status(runtime, number, "confirmed")
    assert await _problems(runtime) == []


def test_the_cinema_simulator_is_an_admit_sim_command() -> None:
    result = CliRunner().invoke(cli, ["sim", "cinema", "--help"])
    assert result.exit_code == 0, result.output
    assert "--lock-minutes" in result.output
    assert "box-office" in result.output
