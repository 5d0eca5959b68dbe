"""A backup taken mid-sale, payments after it, a restore (issue 34, item 5 and its acceptance).

On PostgreSQL with a server, a worker and the bank and SMS simulators: some buyers pay, some
have orders with a payment open when ``admit backup`` runs; after it they pay, and new buyers
buy and pay (orders the backup never saw). The primary is lost; ``admit restore`` loads the
backup into a new database. The restored platform refuses to sell (503 ``reconciling``) until
``admit reconcile`` has asked the bank; then every trade the bank captured is a paid order with
tickets or a refund — never both — ``admit check`` finds nothing, and no SMS was delivered
twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from admit.core.config import Settings
from admit.core.outbox import OutboxJob
from admit.core.runtime import Runtime
from admit.sales.models import Order
from admit.ticketing.models import Ticket
from tests.conftest import TEST_ACTOR, _pg_admin_sync, _pg_url, pg_template  # noqa: F401
from tests.e2e.harness import (
    KEYS,
    SEATS,
    Cluster,
    Service,
    _base_env,
    free_port,
    fresh_database,
    start_cluster,
)
from tests.e2e.shop import (
    Purchase,
    Shop,
    buy,
    create_admin,
    create_customers,
    order_lines,
    seed_session,
    wait_for_orders,
)

pytestmark = pytest.mark.whole_machine

PAID_BEFORE = 4  # buyers 0..3 pay before the backup
OPEN_AT_BACKUP = 4  # buyers 4..7 have a payment open at backup time, pay after it
NEW_AFTER = 4  # buyers 8..11 hold, order and pay after the backup
SETTLE_TIMEOUT_S = 60.0


def _admit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "admit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _env(cluster: Cluster, url: str, data_dir: Path) -> dict[str, str]:
    return {
        **_base_env(url, data_dir),
        "ADMIT_BANK_URL": cluster.bank_url,
        "ADMIT_SMS_URL": cluster.sms_url,
        "ADMIT_DB_POOL_SIZE": "4",
        "ADMIT_WORKER_POLL_SECONDS": "0.3",
    }


def _runtime(cluster: Cluster, url: str, data_dir: Path) -> Runtime:
    return Runtime.from_settings(
        Settings(
            data_dir=data_dir,
            database_url=url,
            field_keys=KEYS["ADMIT_FIELD_KEYS"],
            lookup_key=KEYS["ADMIT_LOOKUP_KEY"],
            bank_url=cluster.bank_url,
            sms_url=cluster.sms_url,
            run_worker_in_process=False,
            simulators_in_process=False,
            db_pool_size=3,
        )
    )


async def _open_payment(shop: Shop, i: int, token: str, sid: int) -> tuple[str, str]:
    """Hold one seat, order it, open its bank payment: the order's number and pay page."""
    body = {"seats": [SEATS[i]]}
    r = await shop.hold(i, token, sid, body)
    assert r.status_code == 201, r.text
    hold = r.json()
    r = await shop.order(i, token, hold["id"], order_lines(hold, body), key=f"order-of-buyer-{i}")
    assert r.status_code == 201, r.text
    number = str(r.json()["number"])
    r = await shop.start_payment(i, token, number)
    assert r.status_code == 201, r.text
    return number, str(r.json()["pay_url"])


async def _messages_settled(rt: Runtime, timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Wait until the worker has no job left that is due (confirmations sent)."""
    deadline = time.monotonic() + timeout
    while True:
        async with rt.uow(TEST_ACTOR, readonly=True) as uow:
            left = await uow.session.scalar(
                select(func.count())
                .select_from(OutboxJob)
                .where(
                    OutboxJob.done_at.is_(None),
                    OutboxJob.failed_at.is_(None),
                    OutboxJob.kind.like("messaging%"),
                )
            )
        if not left:
            return
        assert time.monotonic() < deadline, f"{left} messages still queued"
        time.sleep(0.3)


async def _bank(cluster: Cluster, path: str) -> Any:
    async with httpx.AsyncClient(base_url=cluster.bank_url, timeout=30) as c:
        return (await c.get(path)).json()


async def _sms(cluster: Cluster) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=cluster.sms_url, timeout=30) as c:
        return list((await c.get("/v1/_messages")).json())


async def test_a_restore_refuses_to_sell_until_every_captured_payment_is_reconciled(
    pg_template: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    backup = tmp_path / "backup"
    restored_db = f"admit_restored_{os.getpid()}"
    with (
        fresh_database(pg_template, "primary") as primary,
        start_cluster(
            primary, tmp_path / "a", servers=1, bank=True, sms=True, worker=True
        ) as cluster,
    ):
        env_a = _env(cluster, primary, tmp_path / "a")
        async with cluster.runtime() as rt:
            admin = await create_admin(rt)
            tokens = await create_customers(rt, PAID_BEFORE + OPEN_AT_BACKUP + NEW_AFTER + 1)
        sid = await seed_session(
            cluster.urls[0], admin, "BK", quotas={"S": 50, "GA": 100}, per_person_limit=4
        )
        shop = Shop(cluster)
        try:
            before: list[Purchase] = [
                await buy(shop, i, tokens[i], sid, {"seats": [SEATS[i]]})
                for i in range(PAID_BEFORE)
            ]
            opened = [
                await _open_payment(shop, i, tokens[i], sid)
                for i in range(PAID_BEFORE, PAID_BEFORE + OPEN_AT_BACKUP)
            ]
            async with cluster.runtime() as rt:
                found = await wait_for_orders(rt, [str(p.order) for p in before])
                assert set(found.values()) == {"paid"}, found
                await _messages_settled(rt)

            taken = _admit(env_a, "backup", str(backup))
            assert taken.returncode == 0, taken.stdout + taken.stderr
            manifest = json.loads((backup / "manifest.json").read_text())
            assert manifest["backend"] == "postgresql"

            # After the backup: the open payments are paid, new buyers buy and pay.
            for _, pay_url in opened:
                assert (await shop.decide(pay_url)).status_code == 303
            after = [
                await buy(shop, i, tokens[i], sid, {"seats": [SEATS[i]]})
                for i in range(PAID_BEFORE + OPEN_AT_BACKUP, len(tokens) - 1)
            ]
            async with cluster.runtime() as rt:
                numbers = [n for n, _ in opened] + [str(p.order) for p in after]
                found = await wait_for_orders(rt, numbers)
                assert set(found.values()) == {"paid"}, found
                await _messages_settled(rt)
        finally:
            await shop.aclose()

        # The primary is lost: its server and worker stop; the bank and carrier go on.
        assert cluster.worker is not None
        cluster.worker.stop()
        for server in cluster.servers:
            server.stop()
        _pg_admin_sync(f"DROP DATABASE IF EXISTS {restored_db} WITH (FORCE)")
        _pg_admin_sync(f"CREATE DATABASE {restored_db}")
        try:
            await _restored_platform(cluster, _pg_url(restored_db), tmp_path / "b", backup, sid)
        finally:
            _pg_admin_sync(f"DROP DATABASE IF EXISTS {restored_db} WITH (FORCE)")


async def _restored_platform(
    cluster: Cluster, url: str, data_dir: Path, backup: Path, sid: int
) -> None:
    env = _env(cluster, url, data_dir)
    done = _admit(env, "restore", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    server = Service(
        "restored-server",
        ["serve", "--port", str(port)],
        {**env, "ADMIT_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        data_dir / "server.log",
        url=f"http://127.0.0.1:{port}",
        health="/healthz",
    )
    worker = Service(
        "restored-worker", ["worker"], env, data_dir / "worker.log", ready_text="Worker running"
    )
    rt = _runtime(cluster, url, data_dir)
    server.start()
    try:
        server.wait_ready()
        customer = (await create_customers(rt, 1))[0]
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            refused = await client.post(
                f"/api/v1/sessions/{sid}/holds",
                json={"seats": [SEATS[-1]]},
                headers={"Authorization": f"Bearer {customer}"},
            )
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "reconciling"
        assert "Retry-After" in refused.headers
        check = _admit(env, "check")
        assert check.returncode == 1, check.stdout
        assert "reconciling since" in check.stdout

        # Today's payments are on today's statement (the simulator serves it so far).
        async with httpx.AsyncClient(base_url=cluster.bank_url, timeout=30) as c:
            assert (await c.post("/_control", json={"intraday_statements": True})).is_success
        reconciled = _admit(env, "reconcile")
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        worker.start()
        worker.wait_ready()
        await _messages_settled(rt)

        trades = await _bank(cluster, "/_trades")
        async with rt.uow(TEST_ACTOR, readonly=True) as uow:
            paid_by = dict(
                (
                    await uow.session.execute(
                        select(Order.paid_by, Order.number).where(Order.status == "paid")
                    )
                ).all()
            )
            tickets = Counter((await uow.session.scalars(select(Ticket.order_number))).all())
        captured = [t for t in trades if t["paid_at"] is not None]
        assert len(captured) == PAID_BEFORE + OPEN_AT_BACKUP + NEW_AFTER
        for trade in captured:
            order = paid_by.get(trade["out_trade_no"])
            refunded = trade["refunded"] == trade["amount"]
            assert (order is not None) != refunded, trade  # one or the other, never both
            if order is not None:
                assert tickets[order] == 1, trade
                assert trade["refunded"] == 0, trade
        # Known orders were settled; orders the backup never saw were refunded.
        assert sum(1 for t in captured if t["refunded"]) == NEW_AFTER
        check = _admit(env, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        sent = await _sms(cluster)
        repeats = Counter((m["phone"], m["text"]) for m in sent)
        assert [k for k, n in repeats.items() if n > 1] == []
    finally:
        worker.stop()
        server.stop()
        await rt.close()
