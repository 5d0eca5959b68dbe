"""The gate scanner's page keeps working offline: every file it loads (its scripts, the site's
error catcher, the stylesheet, the QR reader it loads on demand) is in the service worker's
list, under the release's build; and the vendored QR reader is the published file, unchanged."""

from __future__ import annotations

import hashlib
import re

import httpx

from admit.web.gate import ERRORS_JS, FILES, HERE, STATIC, build

VENDOR = STATIC / "vendor"


async def test_every_file_the_scanner_loads_is_kept_offline(client: httpx.AsyncClient) -> None:
    page = await client.get("/gate/")
    worker = await client.get("/gate/sw.js")
    assert page.status_code == worker.status_code == 200
    loaded = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page.text)
    assert "/static/errors.js?b=" + build() in loaded  # script errors are caught here too
    assert "/static/gate/camera.js?b=" + build() in loaded
    on_demand = re.findall(r'const JSQR = "([^"]+)"', (STATIC / "camera.js").read_text())
    assert on_demand == ["/static/gate/vendor/jsQR.js"]
    kept = re.findall(r'^\s+"(/[^"]+)",', worker.text, flags=re.MULTILINE)
    assert set(loaded + on_demand) <= set(kept), set(loaded + on_demand) - set(kept)
    assert "__BUILD__" not in worker.text
    for path in kept:  # and each of them is there to be kept
        assert (await client.get(path)).status_code == 200, path


async def test_the_page_offers_a_photo_and_says_which_reader(client: httpx.AsyncClient) -> None:
    text = (await client.get("/gate/")).text
    assert re.search(r'<input id="photo" type="file" accept="image/\*"', text)
    assert 'id="camera-note"' in text


def test_the_vendored_qr_reader_is_the_published_file() -> None:
    readme = (VENDOR / "README.md").read_text()
    recorded = re.search(r"`jsQR.js` sha256 `([0-9a-f]{64})`", readme)
    assert recorded, "vendor/README.md records the file's digest"
    assert hashlib.sha256((VENDOR / "jsQR.js").read_bytes()).hexdigest() == recorded.group(1)
    assert "Apache License" in (VENDOR / "jsQR-LICENSE.txt").read_text()


def test_a_change_to_any_kept_file_is_a_new_build() -> None:
    """The build digest covers every script and stylesheet of the page, the vendored reader
    and the error catcher included, so devices replace what they keep when one changes."""
    names = {str(p.relative_to(STATIC)) for p in STATIC.rglob("*") if p.suffix in {".js", ".css"}}
    assert names - {"sw.js"} <= set(FILES), names - set(FILES)
    assert ERRORS_JS == HERE / "static" / "errors.js"
