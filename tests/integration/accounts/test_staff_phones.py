"""Staff phones and holders' contact phones at rest (issue 30 item 16), on SQLite and
PostgreSQL: encrypted under the field keys like customers' phones, never stored in clear, still
used for the reset-password and initial-password messages and shown masked; key rotation
re-encrypts them; migration 0017 converts existing rows and can be undone."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import httpx
import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import select

from admit.accounts.identity_models import CustomerHolder
from admit.accounts.models import StaffUser
from admit.core import key_rotation
from admit.core.crypto import ENCRYPTED_COLUMNS, FieldCrypto, UndecryptableValue
from admit.core.runtime import Runtime
from admit.core.worker import run_once
from admit.migrations import alembic_config, upgrade
from tests.conftest import TEST_ACTOR
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.customer_flows import ADMIN, ok, register_phone
from tests.integration.accounts.migration_fixtures import run_sql
from tests.integration.accounts.people_factories import file_document
from tests.integration.accounts.stored_text import every_stored_text

STAFF_PHONE, CONTACT_PHONE, CUSTOMER_PHONE = "13911112222", "13733334444", "13855556666"
IMPORTED = ("13622223333", "13544445555")
CSV = (
    "username,display_name,phone,roles\n"
    f"kiosk.li,Li,{IMPORTED[0]},kiosk_staff@outlet:K1\n"
    f"ops.wang,Wang,{IMPORTED[1]},ticket_ops\n"
)
PASSWORD = "Str0ng pass word!"


async def create_staff(admin: httpx.AsyncClient, username: str, phone: str) -> int:
    body = {
        "username": username,
        "password": PASSWORD,
        "phone": phone,
        "grants": [{"role": "ticket_ops"}],
    }
    return int(ok(await admin.post(f"{ADMIN}/staff", json=body), 201)["id"])


async def file_contact_phone(
    web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    """A customer files a holder (a passport, reviewed offline) with a contact phone."""
    token = await register_phone(web, runtime, sms, CUSTOMER_PHONE)
    me = await file_document(
        web,
        token,
        number="E12345678",
        name="John Smith",
        is_self=False,
        doc_type="foreign_passport",
        nationality="US",
        visa_expires=date(2027, 12, 31),
        contact_phone=CONTACT_PHONE,
    )
    assert len(me["holders"]) == 1


async def stored_phones(runtime: Runtime) -> tuple[dict[str, str | None], list[str | None]]:
    """(each staff member's encrypted phone by username, the holders' encrypted phones)."""
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        staff = (await uow.session.execute(select(StaffUser.username, StaffUser.phone_enc))).all()
        holders = (await uow.session.scalars(select(CustomerHolder.contact_phone_enc))).all()
    return dict(staff), list(holders)


async def test_staff_and_contact_phones_are_stored_encrypted_and_still_used(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    await create_staff(admin, "ops", STAFF_PHONE)
    report = ok(await admin.post(f"{ADMIN}/staff/import", content=CSV))
    assert report["created"] == 2
    assert await run_once(runtime) == 2  # the imported staff's initial passwords
    assert sorted(m.phone for m in sms.sent) == sorted(IMPORTED)
    await file_contact_phone(web, runtime, sms)

    stored = await every_stored_text(runtime)

    for phone in (STAFF_PHONE, CONTACT_PHONE, CUSTOMER_PHONE, *IMPORTED):
        assert phone not in stored  # staff, holders, messages, audit log, jobs
    staff, holders = await stored_phones(runtime)
    decrypted = {name: runtime.crypto.decrypt(enc) if enc else None for name, enc in staff.items()}
    assert decrypted == {
        "root": None,
        "ops": STAFF_PHONE,
        "kiosk.li": IMPORTED[0],
        "ops.wang": IMPORTED[1],
    }
    assert [runtime.crypto.decrypt(h) for h in holders if h] == [CONTACT_PHONE]
    listed = {s["username"]: s["phone"] for s in ok(await admin.get(f"{ADMIN}/staff"))}
    assert listed == {
        "root": None,
        "ops": "139****2222",
        "kiosk.li": "136****3333",
        "ops.wang": "135****5555",
    }


async def test_the_reset_password_message_reaches_the_staff_members_phone(
    admin: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    await create_staff(admin, "other", IMPORTED[0])
    staff_id = await create_staff(admin, "ops", STAFF_PHONE)

    ok(await admin.post(f"{ADMIN}/staff/{staff_id}/reset-password"), 202)

    assert await run_once(runtime) == 1
    assert [(m.phone, m.template) for m in sms.sent] == [(STAFF_PHONE, "SMS_PASSWORD_RESET")]
    listed = ok(await admin.get(f"{ADMIN}/messages"))
    assert listed[0]["to"] == "139****2222"


async def test_key_rotation_re_encrypts_staff_and_contact_phones(
    admin: httpx.AsyncClient, web: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway
) -> None:
    staff_id = await create_staff(admin, "ops", STAFF_PHONE)
    await file_contact_phone(web, runtime, sms)
    old = runtime.crypto
    new_key = Fernet.generate_key()
    only_new = FieldCrypto(keys=(new_key,), lookup_key=old.lookup_key)

    # What `admit rotate-keys` does, under the ring (new key first).
    ring = FieldCrypto(keys=(new_key, *old.keys), lookup_key=old.lookup_key)
    for table in range(len(ENCRYPTED_COLUMNS)):
        after = 0
        while True:
            async with runtime.uow(TEST_ACTOR) as uow:
                rotated, after = await key_rotation.rotate_batch(
                    uow, ring, table=table, after_id=after
                )
            if not rotated:
                break

    staff, holders = await stored_phones(runtime)
    staff_enc, [contact_enc] = staff["ops"], [h for h in holders if h]
    assert staff_enc is not None
    assert only_new.decrypt(staff_enc) == STAFF_PHONE
    assert only_new.decrypt(contact_enc) == CONTACT_PHONE
    for value in (staff_enc, contact_enc):
        with pytest.raises(UndecryptableValue):
            old.decrypt(value)
    # With the old key dropped, the application still shows and uses the staff phone.
    runtime.crypto = only_new
    listed = {s["username"]: s["phone"] for s in ok(await admin.get(f"{ADMIN}/staff"))}
    assert listed["ops"] == "139****2222"
    ok(await admin.post(f"{ADMIN}/staff/{staff_id}/reset-password"), 202)
    await run_once(runtime)
    assert sms.sent[-1].phone == STAFF_PHONE


# -- the migration -------------------------------------------------------------------------------


_STAFF = (
    "INSERT INTO staff_user (id, username, display_name, phone, password_hash, "
    "password_changed_at, must_change_password, is_active, failed_logins, locked_by_operator, "
    "created_at) VALUES "
)
ROWS_0016 = (
    _STAFF + f"(1, 'ops', 'Ops', '{STAFF_PHONE}', 'h', CURRENT_TIMESTAMP, false, true, 0, false, "
    "CURRENT_TIMESTAMP), (2, 'root', 'Root', NULL, 'h', CURRENT_TIMESTAMP, false, true, 0, "
    "false, CURRENT_TIMESTAMP)",
    "INSERT INTO staff_grant (id, staff_id, role, scope) VALUES (1, 1, 'ticket_ops', 'global')",
    "INSERT INTO staff_token (id, staff_id, token_hash, created_at, expires_at) "
    "VALUES (1, 1, 't1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO customer (id, email, source_channel, failed_logins, locked_by_operator, "
    "created_at) VALUES (1, 'ana@example.com', 'web', 0, false, CURRENT_TIMESTAMP)",
    "INSERT INTO identity (id, lookup, doc_type, number_enc, name_enc, name_lookup, "
    "number_masked, name_masked, nationality, status, method, created_at) VALUES "
    "(1, 'l1', 'foreign_passport', 'n', 'm', 'nl', 'E12**678', 'J***', 'US', 'pending', "
    "'offline', CURRENT_TIMESTAMP), (2, 'l2', 'foreign_passport', 'n', 'm', 'nl', 'E12**679', "
    "'J***', 'US', 'pending', 'offline', CURRENT_TIMESTAMP)",
    "INSERT INTO customer_holder (id, customer_id, identity_id, is_self, claimed_name_lookup, "
    f"claimed_name_enc, contact_phone, created_at) VALUES (1, 1, 1, false, 'nl', 'm', "
    f"'{CONTACT_PHONE}', CURRENT_TIMESTAMP), (2, 1, 2, false, 'nl', 'm', NULL, CURRENT_TIMESTAMP)",
)


async def test_the_migration_encrypts_existing_phones_and_can_be_undone(
    empty_url: str, keys: FieldCrypto
) -> None:
    await asyncio.to_thread(upgrade, empty_url, "0016")
    await run_sql(empty_url, *ROWS_0016)

    await asyncio.to_thread(upgrade, empty_url, "0017")

    staff = await run_sql(empty_url, "SELECT id, phone_enc FROM staff_user ORDER BY id")
    holders = await run_sql(
        empty_url, "SELECT id, contact_phone_enc FROM customer_holder ORDER BY id"
    )
    assert [(r[0], keys.decrypt(str(r[1])) if r[1] else None) for r in staff] == [
        (1, STAFF_PHONE),
        (2, None),
    ]
    assert [(r[0], keys.decrypt(str(r[1])) if r[1] else None) for r in holders] == [
        (1, CONTACT_PHONE),
        (2, None),
    ]
    assert STAFF_PHONE not in repr(staff)
    assert CONTACT_PHONE not in repr(holders)
    # The rows pointing at the copied tables are still there (SQLite copies the tables).
    assert await run_sql(empty_url, "SELECT staff_id FROM staff_grant") == [(1,)]
    assert await run_sql(empty_url, "SELECT staff_id FROM staff_token") == [(1,)]

    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0016")

    assert await run_sql(empty_url, "SELECT id, phone FROM staff_user ORDER BY id") == [
        (1, STAFF_PHONE),
        (2, None),
    ]
    assert await run_sql(
        empty_url, "SELECT id, contact_phone FROM customer_holder ORDER BY id"
    ) == [
        (1, CONTACT_PHONE),
        (2, None),
    ]
    assert await run_sql(empty_url, "SELECT staff_id FROM staff_token") == [(1,)]


async def test_the_migration_refuses_to_invent_keys_for_existing_phones(
    empty_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ADMIT_FIELD_KEYS", "ADMIT_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path / "elsewhere"))
    await asyncio.to_thread(upgrade, empty_url, "0016")
    await run_sql(empty_url, *ROWS_0016[3:])  # a holder's contact phone only

    with pytest.raises(RuntimeError, match="need the field keys"):
        await asyncio.to_thread(upgrade, empty_url, "0017")

    assert not (tmp_path / "elsewhere" / "keys").exists()
    assert await run_sql(empty_url, "SELECT contact_phone FROM customer_holder ORDER BY id") == [
        (CONTACT_PHONE,),
        (None,),
    ]


async def test_the_migration_needs_no_keys_without_phones(
    empty_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ADMIT_FIELD_KEYS", "ADMIT_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path / "elsewhere"))
    await asyncio.to_thread(upgrade, empty_url, "0016")
    await run_sql(empty_url, ROWS_0016[0].replace(f"'{STAFF_PHONE}'", "NULL"))

    await asyncio.to_thread(upgrade, empty_url, "0017")
    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0016")

    assert not (tmp_path / "elsewhere" / "keys").exists()
    assert await run_sql(empty_url, "SELECT id, phone FROM staff_user ORDER BY id") == [
        (1, None),
        (2, None),
    ]
