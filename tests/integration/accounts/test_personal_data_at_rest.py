"""Personal data at rest (U6, invariant 7): document numbers and names are encrypted in the
database, looked up by a keyed hash, and re-encrypted under a rotatable key ring."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from admit.core.crypto import FieldCrypto, UndecryptableValue
from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.people_factories import ADMIN, RecordingEmail, make_staff, ok
from tests.integration.accounts.personal_data_people import (
    DOCUMENT_NUMBERS,
    FOREIGNER,
    FULL_NAMES,
    HK_NAME,
    PASSPORT,
    PERMIT,
    WANG,
    ZHANG,
    make_people,
)

pytestmark = pytest.mark.backends


async def test_document_numbers_and_names_are_encrypted_at_rest(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    await make_people(http, runtime, sms, mail)
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT number_enc, name_enc, lookup FROM identity"))).all()
        whole_rows = (await conn.execute(text("SELECT * FROM identity"))).all()
    assert len(rows) == 4
    for row in [*rows, *whole_rows]:
        stored = " ".join(str(column) for column in row)
        for secret in (*DOCUMENT_NUMBERS, *FULL_NAMES):
            assert secret not in stored, (secret, row)
    decrypted = {
        (runtime.crypto.decrypt(number_enc), runtime.crypto.decrypt(name_enc))
        for number_enc, name_enc, _ in rows
    }
    assert decrypted == {(ZHANG, "张三"), (WANG, "王五"), (PASSPORT, FOREIGNER), (PERMIT, HK_NAME)}
    # The same number always gives the same lookup, and the lookup is not the number's hash
    # without the key (a different key gives a different lookup).
    lookups = {lookup for _, _, lookup in rows}
    assert len(lookups) == 4
    other = FieldCrypto(keys=runtime.crypto.keys, lookup_key=Fernet.generate_key())
    assert not lookups & {other.lookup("document", "cn_id", n) for n in (ZHANG, WANG)}


async def test_key_rotation_re_encrypts_under_the_new_key(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    people = await make_people(http, runtime, sms, mail)
    agent = await make_staff(admin, http, username="cs1", role="customer_service")
    old = runtime.crypto
    new_key = Fernet.generate_key()
    ring = FieldCrypto(keys=(new_key, *old.keys), lookup_key=old.lookup_key)
    only_new = FieldCrypto(keys=(new_key,), lookup_key=old.lookup_key)
    only_old = FieldCrypto(keys=old.keys, lookup_key=old.lookup_key)

    async with runtime.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT id, number_enc, name_enc FROM identity"))).all()
    rotated = {row_id: (ring.rotate(number), ring.rotate(name)) for row_id, number, name in stored}
    for row_id, number_enc, name_enc in stored:
        number, name = old.decrypt(number_enc), old.decrypt(name_enc)
        new_number, new_name = rotated[row_id]
        assert new_number != number_enc
        assert (ring.decrypt(new_number), ring.decrypt(new_name)) == (number, name)
        assert (only_new.decrypt(new_number), only_new.decrypt(new_name)) == (number, name)
        with pytest.raises(UndecryptableValue):
            only_old.decrypt(new_number)
        # Before rotation, the old key is still needed: the new key alone cannot read it.
        with pytest.raises(UndecryptableValue):
            only_new.decrypt(number_enc)

    # Store the rotated values, drop the old key: the application still reads everything.
    async with runtime.engine.begin() as conn:
        for row_id, (number_enc, name_enc) in rotated.items():
            await conn.execute(
                text("UPDATE identity SET number_enc = :n, name_enc = :m WHERE id = :id"),
                {"n": number_enc, "m": name_enc, "id": row_id},
            )
        phones = await conn.execute(text("SELECT id, phone_enc FROM customer"))
        for row_id, phone_enc in phones.all():  # customers' phones are encrypted too
            if phone_enc is not None:
                await conn.execute(
                    text("UPDATE customer SET phone_enc = :p WHERE id = :id"),
                    {"p": ring.rotate(phone_enc), "id": row_id},
                )
    runtime.crypto = only_new
    full = ok(
        await http.get(
            f"{ADMIN}/customers/{people.a}", params={"unmask": "true"}, headers=agent.headers
        )
    )
    assert {(h["name"], h["number"]) for h in full["holders"]} == {
        ("张三", ZHANG),
        ("王五", WANG),
        (FOREIGNER, PASSPORT),
    }
    # The lookup key did not change, so a search by document number still finds the customer.
    found = ok(await admin.post(f"{ADMIN}/customers/search", json={"q": WANG}))
    assert [r["id"] for r in found] == [people.a]
