"""The people of the personal-data tests: two customers who file documents of every kind, and the
numbers, names and contacts that no staff answer, log line or stored row may show unless it must."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx

from admit.core.runtime import Runtime
from tests.conftest import police_population
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.people_factories import (
    RecordingEmail,
    file_document,
    register_customer,
)

_PEOPLE = {name: number for number, name in police_population().items()}
# 李四's number in the simulator's population has a birth year of 1880, which the document
# check rightly refuses (before 1900), so only 张三 and 王五 can be filed as ID cards.
ZHANG, WANG = _PEOPLE["张三"], _PEOPLE["王五"]
PASSPORT, FOREIGNER = "E12345678", "John Smith"
PERMIT, HK_NAME = "H12345678", "陈大文"
PHONE_A, EMAIL_B = "13812345678", "ana.lee@example.com"
CONTACT_PHONE, STAFF_PHONE = "13700001234", "13900002222"
DOCUMENT_NUMBERS = (ZHANG, WANG, PASSPORT, PERMIT)
FULL_NAMES = ("张三", "王五", FOREIGNER, HK_NAME)
# Everything a staff answer must not show unless explicitly unmasked.
SECRETS = (*DOCUMENT_NUMBERS, *FULL_NAMES, PHONE_A, EMAIL_B, CONTACT_PHONE, STAFF_PHONE)


@dataclass(frozen=True, slots=True)
class People:
    """Customer A (phone): own ID card 张三 and holders 王五 (ID card) and a foreign passport
    pending offline review. Customer B (email): own Hong Kong permit, pending offline review."""

    a: int
    b: int
    a_token: str
    b_token: str


async def make_people(
    http: httpx.AsyncClient, runtime: Runtime, sms: RecordingSmsGateway, mail: RecordingEmail
) -> People:
    a_token = await register_customer(http, runtime, login=PHONE_A, sms=sms)
    me = await file_document(http, a_token, number=ZHANG, name="张三", is_self=True)
    assert me["verified"] is True, me
    me = await file_document(
        http, a_token, number=WANG, name="王五", is_self=False, contact_phone=CONTACT_PHONE
    )
    me = await file_document(
        http,
        a_token,
        number=PASSPORT,
        name=FOREIGNER,
        is_self=False,
        doc_type="foreign_passport",
        nationality="US",
        visa_expires=date(2027, 12, 31),
    )
    statuses = {h["name"]: (h["status"], h["method"]) for h in me["holders"]}
    assert statuses == {
        "张三": ("verified", "online"),
        "王五": ("verified", "online"),
        FOREIGNER: ("pending", "offline"),
    }
    a = int(me["id"])
    b_token = await register_customer(http, runtime, login=EMAIL_B, mail=mail)
    me_b = await file_document(
        http,
        b_token,
        number=PERMIT,
        name=HK_NAME,
        is_self=True,
        doc_type="hk_macau_permit",
        nationality="HK",
    )
    assert [(h["status"], h["method"]) for h in me_b["holders"]] == [("pending", "offline")]
    return People(a=a, b=int(me_b["id"]), a_token=a_token, b_token=b_token)
