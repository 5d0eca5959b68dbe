"""Who is calling, by address: the client's address behind the configured proxies, and whether
it lies in a network the request budgets exempt (``ADMIT_LIMIT_EXEMPT_NETWORKS``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from pydantic import IPvAnyNetwork
from starlette.types import Scope


def address_in(scope: Scope, trusted_proxies: int) -> str:
    """The caller's address; X-Forwarded-For counts only behind ``trusted_proxies`` proxies
    (the entry the outermost trusted proxy wrote; anything left of it the client could forge)."""
    if trusted_proxies:
        forwarded: list[str] = []
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def is_exempt(address: str, networks: Sequence[IPvAnyNetwork]) -> bool:
    """Whether ``address`` lies in one of ``networks`` (never, for what is not an address)."""
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)
