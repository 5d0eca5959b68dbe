"""Customers' phone numbers at rest (issue 30 item 16), on SQLite and PostgreSQL: encrypted with
a keyed lookup hash like documents, never stored in clear (codes included), still found by
sign-in and staff search; the migration converts existing rows and can be undone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from admit.accounts.customer_phones import phone_lookup
from admit.core.crypto import FieldCrypto
from admit.core.runtime import Runtime
from admit.migrations import alembic_config, upgrade
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import (
    ADMIN,
    log_in,
    me,
    ok,
    register_phone,
)
from tests.integration.accounts.migration_fixtures import run_sql
from tests.integration.accounts.stored_text import every_stored_text

PHONE = "13812345678"


async def test_a_registered_phone_is_stored_encrypted_and_still_signs_in_and_is_found(
    web: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
) -> None:
    token = await register_phone(web, runtime, sms, PHONE)

    stored = await every_stored_text(runtime)

    assert PHONE not in stored  # the customer, the code, the message, the audit log
    async with runtime.engine.connect() as conn:
        phone_enc, lookup = (
            await conn.execute(text("SELECT phone_enc, phone_lookup FROM customer"))
        ).one()
    assert runtime.crypto.decrypt(phone_enc) == PHONE
    assert lookup == phone_lookup(runtime.crypto, PHONE)
    assert ok(await me(web, token))["phone"] == PHONE
    ok(await log_in(web, f"+86 {PHONE}"))
    [found] = ok(await admin.post(f"{ADMIN}/customers/search", json={"q": PHONE}))
    assert found["phone"] == "138****5678"


# -- the migration -------------------------------------------------------------------------------


CUSTOMERS_0012 = (
    "INSERT INTO customer (id, phone, email, source_channel, failed_logins, locked_by_operator, "
    "created_at) VALUES (1, '13812345678', NULL, 'web', 0, false, CURRENT_TIMESTAMP), "
    "(2, NULL, 'ana@example.com', 'web', 0, false, CURRENT_TIMESTAMP)",
    "INSERT INTO customer_token (id, customer_id, token_hash, device, created_at, expires_at) "
    "VALUES (1, 1, 'h1', 'phone', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO verification_code (id, target, purpose, code_hash, created_at, expires_at, "
    "attempts) VALUES (1, '13812345678', 'login', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)",
)


async def test_the_migration_encrypts_existing_phones_and_can_be_undone(
    empty_url: str, keys: FieldCrypto
) -> None:
    await asyncio.to_thread(upgrade, empty_url, "0012")
    await run_sql(empty_url, *CUSTOMERS_0012)

    await asyncio.to_thread(upgrade, empty_url, "0013")

    rows = await run_sql(empty_url, "SELECT id, phone_enc, phone_lookup FROM customer ORDER BY id")
    assert [(r[0], r[2]) for r in rows] == [(1, phone_lookup(keys, PHONE)), (2, None)]
    assert keys.decrypt(str(rows[0][1])) == PHONE
    assert rows[1][1] is None
    assert await run_sql(empty_url, "SELECT count(*) FROM verification_code") == [(0,)]
    assert await run_sql(empty_url, "SELECT customer_id FROM customer_token") == [(1,)]
    with pytest.raises(Exception, match="(?i)unique"):  # the lookup is unique, like the phone was
        await run_sql(
            empty_url,
            "INSERT INTO customer (id, phone_lookup, source_channel, failed_logins, "
            f"locked_by_operator, created_at) VALUES (3, '{rows[0][2]}', 'web', 0, false, "
            "CURRENT_TIMESTAMP)",
        )

    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0012")

    assert await run_sql(empty_url, "SELECT id, phone FROM customer ORDER BY id") == [
        (1, PHONE),
        (2, None),
    ]
    assert await run_sql(empty_url, "SELECT customer_id FROM customer_token") == [(1,)]


async def test_the_migration_refuses_to_invent_keys_for_existing_phones(
    empty_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ADMIT_FIELD_KEYS", "ADMIT_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path / "elsewhere"))
    await asyncio.to_thread(upgrade, empty_url, "0012")
    await run_sql(empty_url, *CUSTOMERS_0012[:1])

    with pytest.raises(RuntimeError, match="need the field keys"):
        await asyncio.to_thread(upgrade, empty_url, "0013")

    assert not (tmp_path / "elsewhere" / "keys").exists()
    assert await run_sql(empty_url, "SELECT phone FROM customer WHERE id = 1") == [(PHONE,)]
