"""The catalogue's categories as the storefront names them. Pure."""

from __future__ import annotations

CATEGORY_LABELS = {
    "sport": "Sport",
    "show": "Shows & concerts",
    "cinema": "Cinema",
    "attraction": "Attractions",
}


def category_label(code: str) -> str:
    return CATEGORY_LABELS.get(code, code.title())
