"""The gate scanner in every engine (issue 35, NF4): a handheld's page in Chromium, WebKit and
Firefox at 360 and 1366 px — device sign-in, the manifest, codes decided on the device,
a photo read with whichever QR reader the engine has, and the page kept working offline by
its service worker."""

from __future__ import annotations

import base64
import io
import json

import segno

from tests.browser.cuttable import cuttable
from tests.browser.engines import Driver, wait_until
from tests.browser.gate_site import GateSite, forge, sell
from tests.browser.journeys import fits, reachable, run_index


def test_the_gate_checks_pasted_codes_and_works_cut_off(
    driver: Driver, gate_site: GateSite
) -> None:
    """The gate scanner: a handheld signs in with its credential, downloads its session's
    manifest, and decides pasted codes on the device — a forged one red, a genuine one
    admitted, the same again already inside — and reads a photo of a ticket with the QR
    reader the engine has (jsQR where there is no ``BarcodeDetector``); the service worker
    keeps the page and the reader, so with the network cut (the link to the server refuses
    connections) the page opens again and still admits a pasted code and a photo."""
    index = run_index(driver)
    _, genuine = sell(gate_site, f"L1-HALL-C-{index + 1}")
    _, photographed = sell(gate_site, f"L1-HALL-E-{index + 1}")
    _, later = sell(gate_site, f"L1-HALL-D-{index + 1}")
    _, later_photo = sell(gate_site, f"L1-HALL-F-{index + 1}")
    with cuttable(gate_site.base) as link:
        driver.goto(f"{link.base}/gate/")
        wait_until(driver, "!document.querySelector('#setup').hidden", "the sign-in form")
        driver.fill("#credential", gate_site.credential)
        driver.click("#sign-in")
        wait_until(driver, "!document.querySelector('#sessions-box').hidden", "the sessions")
        driver.select("#session", str(gate_site.session_id))
        driver.click("#download")
        wait_until(driver, "!document.querySelector('#scanner').hidden", "the scanner")
        label = "document.querySelector('#manifest-label').textContent"
        wait_until(driver, f"{label}.includes('tickets · 0 revoked')", "the manifest")
        fits(driver, "the scanner")
        reachable(driver, "the scanner")
        for code, result in (
            (forge(genuine), "forged"),
            (genuine, "admitted"),
            (genuine, "already_inside"),
        ):
            _check(driver, code, result)
        reader = _read_photo(driver, photographed)
        assert reader == "jsQR" or (driver.engine == "chromium" and reader == "BarcodeDetector")
        wait_until(
            driver,
            "navigator.serviceWorker.getRegistration('/gate/')"
            ".then(r => !!(r && r.active) && !!navigator.serviceWorker.controller)",
            "the service worker in control",
        )
        link.cut()
        driver.goto(f"{link.base}/gate/")  # nobody answers there now: the kept page opens
        wait_until(driver, "!document.querySelector('#scanner').hidden", "the scanner offline")
        _check(driver, later, "admitted")
        _read_photo(driver, later_photo)


def _read_photo(driver: Driver, qr: str) -> str:
    """Give the page's "Photo" input a picture of the ticket's QR code, as the file picker
    would: admitted. The name of the reader that decoded it."""
    picture = io.BytesIO()
    segno.make(qr, error="m", micro=False).save(picture, kind="png", scale=5, border=6)
    data = base64.b64encode(picture.getvalue()).decode()
    driver.evaluate(
        f"(() => {{ const bytes = Uint8Array.from(atob('{data}'), (c) => c.charCodeAt(0));"
        " const files = new DataTransfer();"
        " files.items.add(new File([bytes], 'ticket.png', {type: 'image/png'}));"
        " const input = document.querySelector('#photo'); input.files = files.files;"
        " input.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
    )
    shown = "document.querySelector('#result').dataset.result"
    wait_until(driver, f"{shown} === 'admitted'", "the photographed ticket admitted")
    return str(driver.evaluate("document.querySelector('#camera-note').dataset.decoder"))


def _check(driver: Driver, code: str, result: str) -> None:
    driver.fill("#code", code)
    driver.click("#check")
    shown = "document.querySelector('#result').dataset.result"
    wait_until(driver, f"{shown} === {json.dumps(result)}", result)
