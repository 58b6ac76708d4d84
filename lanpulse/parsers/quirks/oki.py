"""OKI: every supply description ends in the maker's name ("Black Toner Cartridge OKI DATA
CORP"), which carries no information and crowds dashboards: it is cut."""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

_MAKER = re.compile(r"\s+OKI DATA CORP\.?$", re.IGNORECASE)


def supply_descr(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Cut the trailing maker name from supply descriptions."""
    for row in rows:
        if "supply" in row.tags:
            row.tags["supply"] = _MAKER.sub("", row.tags["supply"]).strip() or row.tags["supply"]
    return rows
