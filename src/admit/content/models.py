"""Tables of this slice."""

from __future__ import annotations
