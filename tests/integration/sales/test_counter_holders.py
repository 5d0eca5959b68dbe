"""A counter sale names its holders (issue 19, U1, G19): the buyer is the clerk, not a
customer, so each ticket's holder is an identity checked at the counter — verified by the
public-security service under the name given. A document checked under a wrong name is not
handed out, and an identity not verified is refused (409 ``real_name_required``)."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import TEST_ACTOR, police_population
from tests.integration.sales.sale_factories import ROW_A, box_office, on_sale

from admit.accounts.counter_identities import check_at_counter
from admit.accounts.documents import DocumentType
from admit.accounts.identities import DocumentIn
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime

pytestmark = pytest.mark.backends
PEOPLE = list(police_population().items())


async def test_holders_checked_at_the_counter_go_on_the_tickets(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, clock: FixedClock
) -> None:
    sid = await on_sale(admin, clock)
    clerk = await box_office(admin, runtime, sid)
    (number, name), (other_number, _) = PEOPLE[0], PEOPLE[1]
    ok = await check_at_counter(
        runtime,
        TEST_ACTOR,
        document=DocumentIn(DocumentType.CN_ID, number, name, "CN"),
        outlet="BO-1",
    )
    assert ok.status == "verified"
    assert ok.identity_id is not None
    again = await check_at_counter(
        runtime,
        TEST_ACTOR,
        document=DocumentIn(DocumentType.CN_ID, number, "王五", "CN"),
        outlet="BO-1",
    )
    assert (again.status, again.identity_id, again.masked_name) == ("rejected", None, "")
    wrong = await check_at_counter(
        runtime,
        TEST_ACTOR,
        document=DocumentIn(DocumentType.CN_ID, other_number, "王五", "CN"),
        outlet="BO-1",
    )
    assert wrong.status == "rejected"
    assert wrong.identity_id is None

    hold = await client.post(
        f"/api/v1/counter/sessions/{sid}/holds",
        headers=clerk,
        json={"channel": "box_office", "outlet": "BO-1", "seats": ROW_A[:2]},
    )
    assert hold.status_code == 201, hold.text
    path = f"/api/v1/counter/holds/{hold.json()['id']}/order"
    unverified = 10_000 + ok.identity_id  # no such identity: never verified
    refused = await client.post(
        path,
        headers={**clerk, "Idempotency-Key": "counter-holders-1"},
        json={
            "lines": [
                {"seat": ROW_A[0], "holder": ok.identity_id},
                {"seat": ROW_A[1], "holder": unverified},
            ]
        },
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "real_name_required"
    assert refused.json()["error"]["details"] == {"identities": [unverified]}
    ordered = await client.post(
        path,
        headers={**clerk, "Idempotency-Key": "counter-holders-2"},
        json={"lines": [{"seat": ROW_A[0], "holder": ok.identity_id}, {"seat": ROW_A[1]}]},
    )
    assert ordered.status_code == 201, ordered.text
    holders = [line["holder"] for line in ordered.json()["lines"]]
    assert holders == [name[0] + "*", None]
