"""HTTP clients for the outside systems' APIs (bank, SMS carrier, identity service, cinema box
offices). They share one TLS context per process: building one loads the CA bundle (~20 ms of
CPU), which each adapter's client used to do again — twice more for every application a test or
a process assembles."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    built once; an ``SSLContext`` is safe to share between connections."""
    return httpx.create_ssl_context()


def outside_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the shared TLS context (``options`` as httpx takes them)."""
    return httpx.AsyncClient(verify=tls_context(), **options)
