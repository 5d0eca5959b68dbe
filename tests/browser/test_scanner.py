"""The gate scanner page in Chromium: a device signs in with its credential and downloads its
session's manifest; then the network is cut, the page is reloaded from the service worker,
and pasted codes are decided offline — a genuine ticket gets the big green answer with its
seat, a forged one the big red answer. Back online, the scans upload. The reference device
(`admit gate-sim`) runs against the same live server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from admit.checkin import validation
from admit.ticketing import qr_payload
from tests.browser.conftest import Shots
from tests.browser.gate_site import GateSite, forge, sell

SEATS = {"phone": "L1-HALL-A-1", "desktop": "L1-HALL-A-2"}


def _check(page: Page, code: str) -> None:
    page.fill("#code", code)
    page.click("#check")


def test_the_scanner_validates_pasted_codes_with_the_network_cut(
    gate_site: GateSite, context: BrowserContext, page: Page, viewport: str, shots: Shots
) -> None:
    code, genuine = sell(gate_site, SEATS[viewport])
    page.goto(f"{gate_site.base}/gate/")
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#credential", gate_site.credential)
    page.click("#sign-in")
    expect(page.locator("#sessions-box")).to_be_visible()
    page.select_option("#session", str(gate_site.session_id))
    shots.take(page, "signed-in")
    page.click("#download")
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.locator("#manifest-label")).to_contain_text("tickets · 0 revoked")
    expect(page.locator("#device-label")).to_have_text("PHONE-1 · gate N")
    # The entry/exit switch: each choice a 44 px tap target.
    for toggle in page.locator("label.toggle").all():
        box = toggle.bounding_box()
        assert box is not None
        assert box["width"] >= 44
        assert box["height"] >= 44
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    shots.take(page, "manifest-loaded")

    context.set_offline(True)
    page.reload()  # served by the service worker: the network is gone
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.locator("#net")).to_have_text("offline")

    _check(page, forge(genuine))
    expect(page.locator("#result")).to_have_attribute("data-result", "forged")
    expect(page.locator("#result")).to_have_class("result bad")
    expect(page.locator("#result-title")).to_have_text("Forged or damaged ticket")
    expect(page.locator("#result")).to_have_attribute("data-detail", "bad_signature")  # Ed25519
    expect(page.locator("#result-detail")).to_have_text(
        "The signature does not match: altered or forged"
    )
    shots.take(page, "forged-red")

    _check(page, genuine)
    expect(page.locator("#result")).to_have_attribute("data-result", "admitted")
    expect(page.locator("#result")).to_have_class("result ok")
    expect(page.locator("#result-title")).to_have_text("Admitted")
    number = SEATS[viewport].rsplit("-", 1)[1]
    expect(page.locator("#result-seat")).to_contain_text(number)
    expect(page.locator("#result-detail")).to_contain_text("Section HALL")
    shots.take(page, "admitted-green")

    _check(page, genuine)
    expect(page.locator("#result")).to_have_attribute("data-result", "already_inside")
    expect(page.locator("#pending-label")).to_have_text("3")
    shots.take(page, "already-inside-red")
    colours = page.evaluate("getComputedStyle(document.getElementById('result')).backgroundColor")
    assert colours == "rgb(185, 28, 28)"

    context.set_offline(False)  # the page syncs by itself when the network comes back
    expect(page.locator("#sync-msg")).to_contain_text("3 scans uploaded (0 conflicts)")
    expect(page.locator("#pending-label")).to_have_text("0")
    with httpx.Client(base_url=gate_site.base, headers=gate_site.admin) as http:
        exported = http.get(f"/api/v1/admin/sessions/{gate_site.session_id}/scans.jsonl").text
    lines = [json.loads(line) for line in exported.splitlines()]
    mine = [(x["device"], x["result"], x["standing"]) for x in lines if x["code"] == code]
    assert mine == [("PHONE-1", "admitted", True), ("PHONE-1", "already_inside", False)]
    shots.take(page, "synced")


def test_the_reference_device_works_against_the_live_server(
    gate_site: GateSite, tmp_path: Path
) -> None:
    _, qr = sell(gate_site, "L1-HALL-B-1")
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{qr}\n{qr}\nAD1:FORGED\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "admit",
            "gate-sim",
            "--server",
            gate_site.base,
            "--credential",
            gate_site.credential,
            "--session",
            str(gate_site.session_id),
            "--codes",
            str(codes),
            "--gate",
            "N",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "results: admitted 1, already_inside 1, forged 1" in out
    assert "uploaded 3: 3 new, 0 already there, 0 conflicts" in out


def _parity_case() -> tuple[dict[str, Any], list[tuple[str, str, str, str | None]]]:
    """A manifest with gate rules, a lane, an ID check, a revoked ticket and a second key,
    and a sequence of scans (QR, gate, direction, ID number) touching every answer."""
    private, public = qr_payload.generate_key()
    other, _ = qr_payload.generate_key()

    def qr(code: str, session: int = 77, kid: str = "1-k", key: bytes = private) -> str:
        claims = qr_payload.TicketClaims(code=code, session_id=session, seat="S", issued_at=1)
        return qr_payload.sign(claims, kid=kid, private_key=key)

    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    doc = {
        "format": validation.FORMAT,
        "session": {"id": 77, "code": "S77", "name": "Parity"},
        "version": 5,
        "full": True,
        "since": None,
        "admit_from": (now - timedelta(hours=1)).isoformat(),
        "admit_until": (now + timedelta(hours=1)).isoformat(),
        "policy": {
            "reentry": False,
            "identity_check": True,
            "rules": [
                {"gate": "N", "sections": ["101"], "levels": [], "kinds": []},
                {"gate": "S", "sections": [], "levels": ["L2"], "kinds": ["child"]},
            ],
        },
        "gates": [
            {"code": "N", "name": "N", "kind": "entrance", "parent": None},
            {"code": "N-1", "name": "N1", "kind": "lane", "parent": "N"},
            {"code": "S", "name": "S", "kind": "entrance", "parent": None},
        ],
        "keys": {"1-k": base64.urlsafe_b64encode(public).decode().rstrip("=")},
        "columns": ["code", "seat", "section", "level", "kind", "holder", "id_tail"],
        "tickets": [
            ["AAA", "Row A 1", "101", "L1", "adult", None, None],
            ["BBB", "Row B 2", "202", "L2", "child", "李*", validation.id_tail("E12345678")],
        ],
        "revoked": {"RRR": "refunded"},
    }
    body = bytearray(qr_payload.b45decode(qr("AAA")[4:]))
    body[-65] ^= 1
    scans = [
        ("AD1:" + qr_payload.b45encode(bytes(body)), "N", "in", None),
        (qr("AAA", key=other), "N", "in", None),
        (qr("AAA", kid="2-z", key=other), "N", "in", None),
        ("hello", "N", "in", None),
        (qr("AAA", session=78), "N", "in", None),
        (qr("ZZZ"), "N", "in", None),
        (qr("RRR"), "N", "in", None),
        (qr("AAA"), "S", "in", None),
        (qr("AAA"), "N", "out", None),
        (qr("AAA"), "N-1", "in", None),
        (qr("AAA"), "N", "in", None),
        (qr("AAA"), "N", "out", None),
        (qr("AAA"), "N", "in", None),
        (qr("BBB"), "S", "in", None),
        (qr("BBB"), "S", "in", "E12345679"),
        (qr("BBB"), "S", "in", " e1234 5678 "),
    ]
    return doc, scans


def test_the_page_decides_as_the_python_rules_do(
    gate_site: GateSite, page: Page, viewport: str
) -> None:
    doc, scans = _parity_case()
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    python = validation.Validator(validation.Manifest.from_document(doc))
    expected = [
        [
            (v := python.scan(text, gate=gate, now=now, direction=d, id_number=idn)).result,
            v.code,
            v.detail,
            v.seat if v.code else "",
        ]
        for text, gate, d, idn in scans
    ]
    page.goto(f"{gate_site.base}/gate/")
    got = page.evaluate(
        """async ([doc, scans, now]) => {
            keepManifest(mergeManifest(null, doc));
            save("seen", {});
            const out = [];
            for (const [text, gate, direction, idNumber] of scans) {
                const v = await decide(text, { gate, direction, idNumber, nowSeconds: now });
                record(v, gate, direction, new Date(now * 1000));
                out.push([v.result, v.code ?? null, v.detail ?? null, v.code ? v.seat : ""]);
            }
            localStorage.clear();
            return out;
        }""",
        [doc, [list(s) for s in scans], now.timestamp()],
    )
    assert [r[0] for r in expected] == [
        "forged",
        "forged",
        "forged",
        "forged",
        "wrong_session",
        "unknown",
        "revoked",
        "wrong_gate",
        "not_inside",
        "admitted",
        "already_inside",
        "exited",
        "already_used",
        "identity_required",
        "identity_mismatch",
        "admitted",
    ]
    assert got == expected
