"""The scanner page for a handheld (``/gate/``): self-contained (its own template and static
files under ``static/gate``), installable, and working offline once loaded — a service worker
served from ``/gate/sw.js`` (so its scope covers ``/gate/``) keeps the page and its files,
and the page keeps the manifest and the scans in the browser's local storage. It validates
with the same rules as ``admit.checkin.validation``, in JavaScript with WebCrypto Ed25519."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC = HERE / "static" / "gate"
FILES = (
    "payload.js",
    "camera.js",
    "scanner.js",
    "gate.css",
    "manifest.json",
    "icon.svg",
    "vendor/jsQR.js",
)
ERRORS_JS = HERE / "static" / "errors.js"  # the site's error catcher, on this page too

router = APIRouter(prefix="/gate", include_in_schema=False)
_templates = Jinja2Templates(directory=HERE / "templates")


@cache
def build() -> str:
    """A short digest of the page's files: names the service worker's cache, so a new
    release replaces what devices keep."""
    digest = hashlib.sha256()
    for name in (*FILES, "sw.js"):
        digest.update((STATIC / name).read_bytes())
    digest.update(ERRORS_JS.read_bytes())
    digest.update((HERE / "templates" / "gate" / "scanner.html").read_bytes())
    return digest.hexdigest()[:12]


@router.get("", response_class=RedirectResponse)
async def gate_root() -> RedirectResponse:
    return RedirectResponse("/gate/", status_code=308)


@router.get("/", response_class=HTMLResponse)
async def scanner(request: Request) -> HTMLResponse:
    """The scanner: sign in with the device credential, download a manifest, scan."""
    return _templates.TemplateResponse(
        request, "gate/scanner.html", {"build": build()}, headers={"Cache-Control": "no-cache"}
    )


@router.get("/sw.js")
async def service_worker() -> Response:
    script = (STATIC / "sw.js").read_text().replace("__BUILD__", build())
    return Response(
        script,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/gate/", "Cache-Control": "no-cache"},
    )
