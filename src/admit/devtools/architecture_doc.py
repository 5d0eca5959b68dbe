"""The "Slices and layers" part of ``docs/architecture.md`` rendered from the boundary table
(``admit.devtools.slices``): what each top-level module holds, what it may import, whose
tables it may read, and the pure modules. The document embeds the rendering between two
marker comments; a test keeps it current and ``python -m admit.devtools.boundaries --docs``
rewrites it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from admit.devtools.slices import BOUNDARIES, Boundaries, Slice

DOC = Path(__file__).resolve().parents[3] / "docs" / "architecture.md"
BEGIN = "<!-- boundaries:begin -->"
END = "<!-- boundaries:end -->"
WIDTH = 96


def _shown(name: str) -> str:
    return f"`{name}`" if name.endswith(".py") else f"`{name}/`"


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _wrapped(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )


def _direction(entry: Slice) -> str:
    if entry.anything:
        return f"- `{entry.name}` → anything"
    line = f"- `{entry.name}` → {_listed(entry.imports) or 'nothing'}"
    if entry.reads:
        line += f"; reads the tables of {_listed(entry.reads)}"
    return _wrapped(line, "  ")


def render(table: Boundaries = BOUNDARIES) -> str:
    """The Markdown the document holds between ``BEGIN`` and ``END``."""
    suffixes = " or ".join(f"`{s}`" for s in table.entrypoint_suffixes)
    helpers = " and ".join(f"`{m}`" for m in table.entrypoint_imports)
    lines = [
        "| module | what it holds |",
        "|---|---|",
        *(f"| {_shown(s.name)} | {s.holds} |" for s in table.slices),
        "",
        _wrapped(
            "**Dependency direction**, enforced by `python -m admit.devtools.boundaries` in "
            "`make check`: what each may import, and whose tables (`models.py`, "
            "`*_models.py`) it may read."
        ),
        "",
        *(_direction(s) for s in table.slices),
        "",
        _wrapped(
            f"A module whose name ends in {suffixes} (a slice's HTTP entry point) may also "
            f"import {helpers}. No import is relative, the product "
            f"imports no test code ({_listed(table.test_only_imports)}), and a new top-level "
            "module needs an entry in `src/admit/devtools/slices.py` before the check passes."
        ),
        "",
        _wrapped(
            "**Pure modules** import no I/O, however indirectly (through other modules or the "
            f"packages holding them): none of {_listed(table.impure_imports)}. They are "
            f"{_listed(table.pure)}."
        ),
    ]
    return "\n".join(lines)


def embedded(text: str) -> str:
    """What ``text`` holds between the markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


def rewrite(doc: Path, table: Boundaries = BOUNDARIES) -> bool:
    """Put the rendering between the markers of ``doc``; ``True`` when that changed it."""
    text = doc.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = f"{text[:start]}\n{render(table)}\n{text[end:]}"
    if new == text:
        return False
    doc.write_text(new)
    return True
