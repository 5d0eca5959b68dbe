"""Request signing shared by partner protocols: HMAC-SHA256 over sorted ``key=value`` pairs."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping


def sign_params(params: Mapping[str, object], secret: str) -> str:
    """Hex HMAC-SHA256, keyed by ``secret``, of the ``key=value`` pairs sorted by key and joined
    by ``&``, ``sign`` itself left out. Strings are taken as they are; any other value (numbers,
    booleans, ``None``, objects, lists) as canonical JSON, so ``true``/``false`` and ``null``."""
    material = "&".join(
        f"{key}={_canonical(params[key])}" for key in sorted(params) if key != "sign"
    )
    return hmac.new(secret.encode(), material.encode(), hashlib.sha256).hexdigest()


def signature_valid(params: Mapping[str, object], secret: str) -> bool:
    """Whether ``params["sign"]`` is the signature of the other fields (constant-time compare)."""
    given = params.get("sign")
    if not isinstance(given, str):
        return False
    try:
        expected = sign_params(params, secret)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(given, expected)


def _canonical(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
