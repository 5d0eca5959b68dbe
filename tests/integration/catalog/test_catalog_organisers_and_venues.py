"""Organisers and venues through the admin API: create, list, change, defaults, refuse."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from catalog_factories import ADMIN, audit_log, error, make_organiser, make_venue, ok

# -- organisers ------------------------------------------------------------------------------


async def test_organisers_are_created_and_listed_by_code(admin: httpx.AsyncClient) -> None:
    zeta = ok(await admin.post(f"{ADMIN}/organisers", json={"code": "ZETA", "name": "Zeta"}), 201)
    alpha = ok(
        await admin.post(f"{ADMIN}/organisers", json={"code": "ALPHA", "name": "Alpha Live"}), 201
    )

    assert zeta == {"id": zeta["id"], "code": "ZETA", "name": "Zeta"}
    assert ok(await admin.get(f"{ADMIN}/organisers")) == [
        {"id": alpha["id"], "code": "ALPHA", "name": "Alpha Live"},
        {"id": zeta["id"], "code": "ZETA", "name": "Zeta"},
    ]


async def test_a_second_organiser_with_the_same_code_is_refused(admin: httpx.AsyncClient) -> None:
    await make_organiser(admin, "ORG", "First")
    before = ok(await admin.get(f"{ADMIN}/organisers"))
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/organisers", json={"code": "ORG", "name": "Second"})

    assert error(response, 409, "already_exists")["message"] == "organiser 'ORG' already exists"
    assert ok(await admin.get(f"{ADMIN}/organisers")) == before
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "has space", "name": "Org"}, "code"),
        ({"code": "", "name": "Org"}, "code"),
        ({"code": "ORG"}, "name"),
        ({"code": "ORG", "name": ""}, "name"),
        ({"code": "ORG", "name": "Org", "colour": "red"}, "colour"),
    ],
)
async def test_a_malformed_organiser_is_refused(
    admin: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    log = await audit_log(admin)

    body = error(await admin.post(f"{ADMIN}/organisers", json=payload), 422, "invalid_request")

    assert [d["loc"] for d in body["details"]] == [["body", field]]
    assert ok(await admin.get(f"{ADMIN}/organisers")) == []
    assert await audit_log(admin) == log


# -- venues ----------------------------------------------------------------------------------


async def test_a_venue_is_created_listed_and_changed(admin: httpx.AsyncClient) -> None:
    payload = {
        "code": "RIVER",
        "name": "Riverside Stadium",
        "address": "1 River Road",
        "use": "football",
        "capacity": 42000,
    }
    venue = ok(await admin.post(f"{ADMIN}/venues", json=payload), 201)
    assert venue == {"id": venue["id"], **payload}

    changed = ok(await admin.patch(f"{ADMIN}/venues/{venue['id']}", json={"name": "River Arena"}))

    assert changed == {**venue, "name": "River Arena"}
    assert ok(await admin.get(f"{ADMIN}/venues")) == [changed]
    assert ok(await admin.get("/api/v1/venues")) == [changed]


async def test_venue_defaults(admin: httpx.AsyncClient) -> None:
    venue = ok(await admin.post(f"{ADMIN}/venues", json={"code": "V", "name": "Hall"}), 201)

    assert venue == {
        "id": venue["id"],
        "code": "V",
        "name": "Hall",
        "address": "",
        "use": "",
        "capacity": 0,
    }


async def test_a_second_venue_with_the_same_code_is_refused(admin: httpx.AsyncClient) -> None:
    await make_venue(admin, "CINE", "Grand Cinema")
    before = ok(await admin.get(f"{ADMIN}/venues"))
    log = await audit_log(admin)

    response = await admin.post(f"{ADMIN}/venues", json={"code": "CINE", "name": "Other"})

    assert error(response, 409, "already_exists")["message"] == "venue 'CINE' already exists"
    assert ok(await admin.get(f"{ADMIN}/venues")) == before
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "V", "name": "Hall", "capacity": -1}, "capacity"),
        ({"code": "V", "name": "Hall", "capacity": "many"}, "capacity"),
        ({"code": "V"}, "name"),
        ({"code": "V", "name": "x" * 201}, "name"),
        ({"code": "V", "name": "Hall", "address": "a" * 401}, "address"),
    ],
)
async def test_a_malformed_venue_is_refused(
    admin: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    log = await audit_log(admin)

    body = error(await admin.post(f"{ADMIN}/venues", json=payload), 422, "invalid_request")

    assert [d["loc"] for d in body["details"]] == [["body", field]]
    assert ok(await admin.get(f"{ADMIN}/venues")) == []
    assert await audit_log(admin) == log


@pytest.mark.parametrize(
    "patch",
    [{"capacity": -5}, {"name": ""}, {"name": None}, {"code": "NEW"}, {"capacity": None}],
)
async def test_a_malformed_venue_change_leaves_the_venue_as_it_was(
    admin: httpx.AsyncClient, patch: dict[str, Any]
) -> None:
    venue_id = await make_venue(admin, "CINE", "Grand Cinema", capacity=300)
    before = ok(await admin.get(f"{ADMIN}/venues"))
    log = await audit_log(admin)

    error(await admin.patch(f"{ADMIN}/venues/{venue_id}", json=patch), 422, "invalid_request")

    assert ok(await admin.get(f"{ADMIN}/venues")) == before
    assert await audit_log(admin) == log


async def test_changing_an_unknown_venue_is_not_found(admin: httpx.AsyncClient) -> None:
    log = await audit_log(admin)

    response = await admin.patch(f"{ADMIN}/venues/999", json={"name": "Nowhere"})

    assert error(response, 404, "not_found")["message"] == "venue 999 does not exist"
    assert await audit_log(admin) == log
