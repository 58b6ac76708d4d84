"""Xerox: supply descriptions carry the part and serial number, e.g.
"Black Toner, PN 006R01509;SN48178080E0000481". The serial changes with every cartridge,
which would make a new series per refill: both are cut. Xerox agents also omit
prtMarkerSuppliesType; printer_supply then infers the type from the description.
"""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

_PART_SERIAL = re.compile(r",\s*PN\s.*$")


def supply_descr(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Cut ", PN <part>;SN<serial>" from supply descriptions."""
    for row in rows:
        if "supply" in row.tags:
            row.tags["supply"] = _PART_SERIAL.sub("", row.tags["supply"]).strip()
    return rows
