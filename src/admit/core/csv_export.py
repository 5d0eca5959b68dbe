"""CSV files the platform hands out, safe to open in a spreadsheet (OWASP "CSV injection"): a
text cell beginning with ``= + - @``, a tab or a carriage return is written with a single quote
in front, so no spreadsheet takes it for a formula. Every export writes through ``writer``;
only the simulators of outside systems write their own.

Numbers stay numbers: ints, floats and text that is a plain decimal number (``-12``,
``-3.5``, ``-1e-05``) are written as they are — a spreadsheet reads them as values, never
as formulas — so refunds stay negative amounts and coordinates stay coordinates.

A file the platform reads back (the seat map) is written ``reversible``: a cell that already
begins with a quote gets one more, and ``restore`` takes exactly one off whatever began with
a quote, so every text survives the round trip."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object, *, reversible: bool = False) -> object:
    """The value as a cell no spreadsheet evaluates (numbers and ``None`` as they are)."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return QUOTE + text
    if reversible and text.startswith(QUOTE):
        return QUOTE + text
    return text


def restore(cell: str) -> str:
    """A cell of a ``reversible`` file as it was before ``safe_cell``."""
    return cell.removeprefix(QUOTE)


class SafeWriter:
    """``csv.writer`` with every cell passed through ``safe_cell``. When lines end with a
    line feed alone, ``csv`` would leave a carriage return inside a cell unquoted — and a
    spreadsheet would start a new row there, whose first cell could be a formula — so a
    carriage return in text becomes a line feed, which is quoted."""

    def __init__(self, out: _Writable, *, reversible: bool = False, **fmt: Any) -> None:
        self._writer = csv.writer(out, **fmt)
        self._reversible = reversible
        self._bare_cr = "\r" not in self._writer.dialect.lineterminator

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([self._cell(v) for v in row])

    def _cell(self, value: object) -> object:
        cell = safe_cell(value, reversible=self._reversible)
        if self._bare_cr and isinstance(cell, str) and "\r" in cell:
            return cell.replace("\r\n", "\n").replace("\r", "\n")
        return cell

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, *, reversible: bool = False, **fmt: Any) -> SafeWriter:
    """A CSV writer for an export (``fmt`` as ``csv.writer`` takes it, e.g. ``lineterminator``)."""
    return SafeWriter(out, reversible=reversible, **fmt)
