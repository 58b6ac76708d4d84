"""HP JetDirect: supply descriptions that arrive as a text head plus a hex-dump tail.

Some JetDirect firmware (and the snmpwalk renderings that recordings are made from) hand
long prtMarkerSuppliesDescription strings over as the first 16 characters, a newline,
then the remaining bytes as space-separated hex pairs ending in a NUL:
"Black Cartridge \\n38 32 37 41 20 48 50 ..." is "Black Cartridge 827A HP ...".
"""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

_HEX_TAIL = re.compile(r"^(?P<head>[^\n]*)\n(?P<hex>(?:[0-9A-Fa-f]{2}[ \n]*)+)$")


def reassemble(text: str) -> str:
    """The readable description from a head + hex-dump value; other text unchanged."""
    if "\n" not in text:  # the pattern needs one: most descriptions skip the regex
        return text
    m = _HEX_TAIL.match(text)
    if not m:
        return text
    try:
        tail = bytes.fromhex("".join(m.group("hex").split()))
    except ValueError:
        return text
    joined = m.group("head") + tail.decode("latin-1")
    return " ".join(joined.replace("\x00", "").split())


def supply_descr(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Reassemble hex-dumped supply descriptions into plain text."""
    for row in rows:
        if "supply" in row.tags:
            row.tags["supply"] = reassemble(row.tags["supply"])
    return rows
