"""Reading an ESC/POS job back, as far as a ticket printer simulator and tests need: the text
it prints and the QR codes it stores (``GS ( k`` function 180, "store the data"). Commands
are skipped by their known lengths; an unknown escape is skipped with its next byte. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
# ESC commands by the number of parameter bytes after the command letter.
_ESC_ARGS = {ord("@"): 0, ord("!"): 1, ord("E"): 1, ord("a"): 1, ord("t"): 1, ord("d"): 1,
             ord("-"): 1, ord("G"): 1, ord("M"): 1, ord("J"): 1, ord("2"): 0, ord("3"): 1,
             ord("V"): 1, ord("{"): 1, ord("p"): 3}  # fmt: skip
_GS_ARGS = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("H"): 1, ord("h"): 1, ord("w"): 1,
            ord("f"): 1, ord("L"): 2, ord("W"): 2}  # fmt: skip
QR_STORE = (0x31, 0x50, 0x30)  # cn 49, fn 80 (store), m 48


@dataclass
class Reading:
    """What a job prints: its text lines and the payloads of its QR codes, in order."""

    text: str = ""
    qr_codes: list[str] = field(default_factory=list)
    cuts: int = 0


def read(data: bytes) -> Reading:
    """Walk the job's bytes; text is decoded as Latin-1 (enough for checks)."""
    out = Reading()
    text = bytearray()
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == ESC and i + 1 < n:
            i += 2 + _ESC_ARGS.get(data[i + 1], 1)
        elif byte == GS and i + 1 < n:
            command = data[i + 1]
            if command in (0x28,) and i + 4 < n:  # GS ( X pL pH data…
                length = data[i + 3] | data[i + 4] << 8
                body = data[i + 5 : i + 5 + length]
                if data[i + 2] == ord("k") and tuple(body[:3]) == QR_STORE:
                    out.qr_codes.append(body[3:].decode("latin-1"))
                i += 5 + length
            elif command == ord("V"):  # cut: GS V m (m 65/66 take one byte more)
                out.cuts += 1
                i += 3 + (1 if i + 2 < n and data[i + 2] in (65, 66) else 0)
            else:
                i += 2 + _GS_ARGS.get(command, 1)
        elif byte == DLE and i + 1 < n:
            i += 3  # DLE EOT n, DLE ENQ n
        elif byte == FS and i + 1 < n:
            i += 2
        else:
            if byte == 0x0A or byte >= 0x20:
                text.append(byte)
            i += 1
    out.text = text.decode("latin-1")
    return out
