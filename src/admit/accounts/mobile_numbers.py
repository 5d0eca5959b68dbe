"""Mainland mobile numbers (U1): the one pattern the accounts take them in — sign-in logins,
holders' contact phones, delivery addresses' recipients. Pure: no I/O."""

from __future__ import annotations

import re

MOBILE = r"1[3-9]\d{9}"
_WRITTEN = re.compile(rf"(?:\+?86)?({MOBILE})", re.ASCII)  # no full-width or other digits


def normalise_mobile(text: str) -> str | None:
    """The 11 digits of a mainland mobile number, written with or without ``+86``, spaces or
    dashes; ``None`` when ``text`` is not one."""
    found = _WRITTEN.fullmatch(text.strip().replace(" ", "").replace("-", ""))
    return found.group(1) if found else None
