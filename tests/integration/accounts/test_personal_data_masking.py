"""Personal data on staff screens and in logs (U6, invariant 7): answers are masked unless a role
may unmask, every unmasked view is audited, and neither answers, the message queue nor logs leak
what they should not."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from admit.core.runtime import Runtime
from tests.fakes.sms import RecordingSmsGateway
from tests.integration.accounts.people_factories import (
    ADMIN,
    RecordingEmail,
    StaffMember,
    audit_entries,
    error,
    make_staff,
    ok,
    register_customer,
)
from tests.integration.accounts.personal_data_people import (
    DOCUMENT_NUMBERS,
    EMAIL_B,
    FOREIGNER,
    HK_NAME,
    PASSPORT,
    PERMIT,
    PHONE_A,
    SECRETS,
    STAFF_PHONE,
    WANG,
    ZHANG,
    People,
    make_people,
)

pytestmark = pytest.mark.backends


def masked_number(number: str) -> str:
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def masked_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def assert_masked_holders(row: dict[str, Any]) -> None:
    expected = {
        (masked_name("张三"), masked_number(ZHANG), True),
        (masked_name("王五"), masked_number(WANG), False),
        (masked_name(FOREIGNER), masked_number(PASSPORT), False),
    }
    assert {(h["name"], h["number"], h["is_self"]) for h in row["holders"]} == expected


async def test_search_by_phone_email_and_document_number_answers_masked(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    people = await make_people(http, runtime, sms, mail)
    queries = {
        PHONE_A: people.a,
        ZHANG: people.a,  # the customer's own document
        WANG: people.a,  # a linked holder's document
        PASSPORT.lower(): people.a,  # numbers are normalised before the lookup
        EMAIL_B: people.b,
        PERMIT: people.b,
    }
    for query, expected in queries.items():
        response = await admin.post(f"{ADMIN}/customers/search", json={"q": query})
        rows = ok(response)
        assert [r["id"] for r in rows] == [expected], query
        for secret in SECRETS:
            assert secret not in response.text, (query, secret)
    (row_a,) = ok(await admin.post(f"{ADMIN}/customers/search", json={"q": PHONE_A}))
    assert (row_a["phone"], row_a["email"]) == ("138****5678", None)
    (row_b,) = ok(await admin.post(f"{ADMIN}/customers/search", json={"q": EMAIL_B}))
    assert (row_b["phone"], row_b["email"]) == (None, "a***@example.com")
    nobody = "31010419800101001X"
    assert ok(await admin.post(f"{ADMIN}/customers/search", json={"q": nobody})) == []

    detail = ok(await admin.get(f"{ADMIN}/customers/{people.a}"))
    assert detail["phone"] == "138****5678"
    assert_masked_holders(detail)


async def test_unmasking_needs_the_permission_and_is_audited(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    people = await make_people(http, runtime, sms, mail)
    kiosk = await make_staff(admin, http, username="kiosk1", role="kiosk_staff")
    agent = await make_staff(admin, http, username="cs1", role="customer_service")

    masked = ok(await http.get(f"{ADMIN}/customers/{people.a}", headers=kiosk.headers))
    assert masked["phone"] == "138****5678"
    assert_masked_holders(masked)
    refused = await http.get(
        f"{ADMIN}/customers/{people.a}", params={"unmask": "true"}, headers=kiosk.headers
    )
    error(refused, 403, "forbidden")
    for secret in SECRETS:
        assert secret not in refused.text
    viewed = [
        e
        for e in await audit_entries(admin, entity_type="customer")
        if e["action"] == "personal_data.viewed"
    ]
    assert viewed == []

    full = ok(
        await http.get(
            f"{ADMIN}/customers/{people.a}", params={"unmask": "true"}, headers=agent.headers
        )
    )
    assert full["phone"] == PHONE_A
    assert {(h["name"], h["number"]) for h in full["holders"]} == {
        ("张三", ZHANG),
        ("王五", WANG),
        (FOREIGNER, PASSPORT),
    }
    full_b = ok(
        await http.get(
            f"{ADMIN}/customers/{people.b}", params={"unmask": "true"}, headers=agent.headers
        )
    )
    assert full_b["email"] == EMAIL_B
    assert [(h["name"], h["number"]) for h in full_b["holders"]] == [(HK_NAME, PERMIT)]
    # A masked view by the same agent is not an access to personal data.
    again = ok(await http.get(f"{ADMIN}/customers/{people.a}", headers=agent.headers))
    assert again["phone"] == "138****5678"

    viewed = [
        e
        for e in await audit_entries(admin, entity_type="customer")
        if e["action"] == "personal_data.viewed"
    ]
    assert sorted((e["entity_id"], e["actor"]) for e in viewed) == sorted(
        [(str(people.a), agent.actor), (str(people.b), agent.actor)]
    )


@dataclass
class StaffAnswers:
    """Every staff response of a flow: the masked ones and the explicitly unmasked ones."""

    masked: list[tuple[str, str]] = field(default_factory=list)
    unmasked: list[tuple[str, str]] = field(default_factory=list)

    def keep(self, label: str, response: httpx.Response, *, unmasked: bool = False) -> Any:
        body = response.text
        if response.headers.get("content-type", "").startswith("application/json"):
            # Also the decoded form, should the JSON escape non-ASCII characters.
            body += "\n" + json.dumps(response.json(), ensure_ascii=False)
        (self.unmasked if unmasked else self.masked).append((label, body))
        return response


@dataclass(frozen=True, slots=True)
class Tour:
    people: People
    agent: StaffMember
    root_id: int
    answers: StaffAnswers
    audit: list[dict[str, Any]]


async def tour_staff_endpoints(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> Tour:
    """Customers sign up and file documents; then every staff-facing endpoint over people is
    called by every role that may call it (masked), three calls unmask explicitly (two detail
    views by customer service, the offline-review export by the administrator), and the audit
    log is read last. Every staff answer is kept."""
    people = await make_people(http, runtime, sms, mail)
    kiosk = await make_staff(admin, http, username="kiosk1", role="kiosk_staff")
    agent = await make_staff(
        admin, http, username="cs1", role="customer_service", phone=STAFF_PHONE
    )
    seen = StaffAnswers()

    async def staff_get(
        label: str, path: str, who: StaffMember | None = None, *, unmasked: bool = False, **q: Any
    ) -> httpx.Response:
        if who is None:
            response = await admin.get(f"{ADMIN}{path}", params=q)
        else:
            response = await http.get(f"{ADMIN}{path}", params=q, headers=who.headers)
        return seen.keep(label, response, unmasked=unmasked)

    async def staff_search(label: str, who: StaffMember | None, query: str) -> httpx.Response:
        headers = who.headers if who is not None else {}
        client = http if who is not None else admin
        response = await client.post(
            f"{ADMIN}/customers/search", json={"q": query}, headers=headers
        )
        return seen.keep(label, response, unmasked=False)

    for who in (None, kiosk, agent):
        for query in (PHONE_A, EMAIL_B, ZHANG, WANG, PASSPORT, PERMIT):
            found = ok(await staff_search(f"search {query}", who, query))
            assert len(found) == 1
        for customer in (people.a, people.b):
            ok(await staff_get(f"customer {customer}", f"/customers/{customer}", who))
    error(
        await staff_get("kiosk unmask", f"/customers/{people.a}", kiosk, unmask="true"),
        403,
        "forbidden",
    )
    for who in (None, agent):
        queue = ok(await staff_get("identity queue", "/identities", who))
        assert [(i["number"], i["name"]) for i in queue] == [
            (masked_number(PASSPORT), masked_name(FOREIGNER)),
            (masked_number(PERMIT), masked_name(HK_NAME)),
        ]
        ok(await staff_get("identity stats", "/identities/stats", who))
    staff_list = ok(await staff_get("staff list", "/staff"))
    assert {s["username"]: s["phone"] for s in staff_list}["cs1"] == "139****2222"
    messages = ok(await staff_get("messages", "/messages"))
    assert {m["to"] for m in messages} == {"138****5678", "a***@example.com"}

    full_a = ok(
        await staff_get("unmask a", f"/customers/{people.a}", agent, unmasked=True, unmask="true")
    )
    assert full_a["phone"] == PHONE_A
    full_b = ok(
        await staff_get("unmask b", f"/customers/{people.b}", agent, unmasked=True, unmask="true")
    )
    assert full_b["email"] == EMAIL_B
    export = await staff_get("export", "/identities/export", unmasked=True)
    assert export.status_code == 200, export.text

    audit = ok(await staff_get("audit", "/audit", limit=1000))
    for entity_type in ("customer", "identity", "staff_user"):
        ok(await staff_get(f"audit {entity_type}", "/audit", entity_type=entity_type))
    root_id = next(s["id"] for s in staff_list if s["username"] == "root")
    return Tour(people, agent, int(root_id), seen, audit)


async def test_staff_answers_never_show_raw_personal_data_unless_unmasked_and_audited(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    tour = await tour_staff_endpoints(admin, http, runtime, sms, mail)
    assert len(tour.answers.masked) >= 30
    for label, body in tour.answers.masked:
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} shown by {label}: {body[:400]}"

    # The scan would see them: the unmasked answers do show them.
    unmasked = dict(tour.answers.unmasked)
    for secret in (PHONE_A, ZHANG, WANG, PASSPORT, "张三", "王五", FOREIGNER):
        assert secret in unmasked["unmask a"], secret
    for secret in (EMAIL_B, PERMIT, HK_NAME):
        assert secret in unmasked["unmask b"], secret
    for secret in (PASSPORT, FOREIGNER, PERMIT, HK_NAME):
        assert secret in unmasked["export"], secret

    # One audit entry per unmasked call, naming who looked at whom; none for masked views or
    # for the refused unmask.
    accesses = sorted(
        (e["action"], e["entity_type"], e["entity_id"], e["actor"])
        for e in tour.audit
        if e["action"].startswith("personal_data.")
    )
    agent, root = tour.agent.actor, f"staff:{tour.root_id}"
    assert accesses == sorted(
        [
            ("personal_data.viewed", "customer", str(tour.people.a), agent),
            ("personal_data.viewed", "customer", str(tour.people.b), agent),
            ("personal_data.exported", "identity", "pending", root),
        ]
    )


def product_log_lines(caplog: pytest.LogCaptureFixture, captured: Any) -> list[str]:
    """Log lines and console output, without the test client's own request lines (httpx logs
    each request it makes, query string included; that is this test's client, not the app)."""
    lines = [
        f"{r.name}:{r.levelname}:{r.getMessage()}"
        for r in caplog.records
        if not (r.name == "httpx" and "http://admit.test" in r.getMessage())
    ]
    lines += captured.out.splitlines() + captured.err.splitlines()
    return lines


def around(line: str, needles: tuple[str, ...], width: int = 160) -> str:
    at = min((line.find(n) for n in needles if n in line), default=0)
    return line[:80] + " … " + line[max(0, at - width) : at + width]


async def test_logs_never_show_raw_document_numbers(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Everything logged at DEBUG, and everything printed, while customers file documents and
    staff search (by document number too), view, unmask and export."""
    caplog.set_level(logging.DEBUG)
    await tour_staff_endpoints(admin, http, runtime, sms, mail)
    lines = product_log_lines(caplog, capsys.readouterr())
    # The capture works: the verifier's calls to the public-security service were logged.
    assert any("police.test" in line for line in lines), lines
    leaks = [line for line in lines if any(n in line for n in DOCUMENT_NUMBERS)]
    assert leaks == [], f"{len(leaks)} log lines show a raw document number, e.g.:\n" + "\n".join(
        around(line, DOCUMENT_NUMBERS) for line in leaks[:4]
    )


async def test_message_queue_masks_the_address_and_never_shows_the_code(
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    runtime: Runtime,
    sms: RecordingSmsGateway,
    mail: RecordingEmail,
) -> None:
    await register_customer(http, runtime, login=PHONE_A, sms=sms)
    sms_code = sms.sent[-1].params["code"]
    await register_customer(http, runtime, login=EMAIL_B, mail=mail)
    mail_code = mail.last_code(EMAIL_B)

    response = await admin.get(f"{ADMIN}/messages")
    messages = ok(response)
    by_channel = {m["channel"]: m for m in messages}
    assert set(by_channel) == {"sms", "email"}
    assert by_channel["sms"]["to"] == "138****5678"
    assert by_channel["sms"]["template"] == "SMS_VERIFY_CODE"
    assert by_channel["sms"]["status"] == "sent"
    assert by_channel["email"]["to"] == "a***@example.com"
    assert by_channel["email"]["status"] == "sent"
    for secret in (sms_code, mail_code, PHONE_A, EMAIL_B):
        assert secret not in response.text, secret
    for message in messages:
        assert not {"params", "code", "text", "body"} & set(message), message
