"""The request budgets are one budget across app servers when Redis is configured (issue 27,
item 5): two ``admit serve`` processes on one database and one Redis spend the same address's
bucket, so what one server let through the other refuses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import pg_template  # noqa: F401  (the migrated template database)
from tests.e2e.harness import fresh_database, serving

REDIS_URL = os.environ.get("ADMIT_TEST_REDIS", "redis://127.0.0.1:6379/0")
BUDGET = 5  # a minute: one token back every 12 s, far longer than the test's requests take


@pytest.fixture
def shared_store() -> Iterator[str]:
    """Redis, with this test's buckets (127.0.0.1's) forgotten before and after."""
    client = redis.Redis.from_url(REDIS_URL)

    def forget() -> None:
        for key in client.scan_iter("admit:rl:edge:*127.0.0.1*"):
            client.delete(key)

    forget()
    yield REDIS_URL
    forget()
    client.close()


def test_two_servers_share_one_address_budget_through_redis(
    pg_template: str,  # noqa: F811
    tmp_path: Path,
    shared_store: str,
) -> None:
    settings = {
        "ADMIT_REDIS_URL": shared_store,
        "ADMIT_LIMIT_API_PER_ADDRESS_MINUTE": str(BUDGET),
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with (
        fresh_database(pg_template, "edgeshared") as url,
        serving(url, tmp_path / "a", **settings) as first,
        serving(url, tmp_path / "b", **settings) as second,
    ):
        spent = [httpx.get(f"{first.url}/api/v1/sessions").status_code for _ in range(BUDGET)]
        assert spent == [200] * BUDGET, first.tail()

        refused = httpx.get(f"{second.url}/api/v1/sessions")

        assert refused.status_code == 429, second.tail()
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        # the other budgets are their own: the pages still answer from either server
        assert httpx.get(f"{second.url}/").status_code == 200
