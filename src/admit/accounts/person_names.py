"""The characters a person's name on a real-name document may have (RN3): letters of any script
(CJK included) and their combining marks, with spaces, middle dots (``·``, ``・``),
apostrophes and hyphens between them. Nothing else: no digits, no control characters, and
no leading ``= + - @`` that a spreadsheet would run as a formula when an export is opened.
Pure: no I/O."""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 60
JOINERS = frozenset(" ·・'’-")  # between letters only


def check_person_name(name: str) -> str:
    """The name with runs of spaces made one; ``ValueError`` saying what is wrong otherwise."""
    if any(unicodedata.category(char)[0] == "C" for char in name):
        raise ValueError("a name has no control or invisible format characters")
    normal = " ".join(name.split())
    if not 1 <= len(normal) <= MAX_LENGTH:
        raise ValueError(f"a name has 1 to {MAX_LENGTH} characters")
    for char in normal:
        if char not in JOINERS and unicodedata.category(char)[0] not in "LM":
            raise ValueError(
                f"a name has letters, spaces, middle dots, apostrophes and hyphens only, "
                f"not {char!r}"
            )
    if not (_letter(normal[0]) and _letter(normal[-1])):
        raise ValueError("a name begins and ends with a letter")
    return normal


def _letter(char: str) -> bool:
    return unicodedata.category(char)[0] == "L"
