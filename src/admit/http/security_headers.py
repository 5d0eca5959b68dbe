"""Security headers on every response: a strict Content-Security-Policy (the pages load only
this site's scripts, styles and images), ``nosniff``, a same-origin referrer, no framing, and
HSTS when the site is reached over https.

Three policies by path: the storefront, gate and API (strict); the interactive API docs
(``/docs``, ``/redoc``: FastAPI's pages load Swagger UI and ReDoc from a CDN and start them
with an inline script, so their policy only forbids framing, plugins and ``<base>``); and the
simulators under ``/_sim`` (demo only: the bank's page carries its own inline style)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admit.core.config import Settings

Headers = list[tuple[bytes, bytes]]

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
SIMULATORS = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/redoc")
SIM_PATH = "/_sim/"
HSTS = b"max-age=31536000"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def strict_policy(settings: Settings) -> str:
    """The storefront's policy. Its payment forms post here and are redirected to the bank's
    page (``form-action`` governs the redirect too), so the bank's origin is allowed as a form
    target: the configured gateway's, or this server's own address where the simulator is."""
    bank = _origin(settings.bank_url or settings.base_url)
    return f"{STRICT} {bank}"


def _headers(policy: str) -> Headers:
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]


class SecurityHeadersMiddleware:
    """Adds the headers to each response's start (a pure ASGI middleware: nothing is read or
    buffered). A header the route set itself is left as it is."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.strict = _headers(strict_policy(settings))
        self.docs = _headers(DOCS)
        self.sims = _headers(SIMULATORS)
        self.always_https = (settings.public_url or "").startswith("https://")

    def _for(self, scope: Scope) -> Headers:
        path: str = scope["path"]
        if path.startswith(SIM_PATH):
            chosen = self.sims
        elif path.startswith(DOCS_PATHS):
            chosen = self.docs
        else:
            chosen = self.strict
        if self.always_https or scope.get("scheme") == "https":
            return [*chosen, (b"strict-transport-security", HSTS)]
        return chosen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._for(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: Headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
