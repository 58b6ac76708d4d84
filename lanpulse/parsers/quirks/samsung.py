"""Samsung: supply descriptions end in the cartridge's CRUM serial ("... S/N:CRUM-1234"),
which changes with every cartridge and would make a new series per refill: it is cut."""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

_SERIAL = re.compile(r"\s*S/N:.*$")


def supply_descr(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Cut the trailing " S/N:..." from supply descriptions."""
    for row in rows:
        if "supply" in row.tags:
            row.tags["supply"] = _SERIAL.sub("", row.tags["supply"]).strip() or row.tags["supply"]
    return rows
