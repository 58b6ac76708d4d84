"""Windows SNMP service: hrStorageDescr of a volume carries its label and serial number
("C:\\ Label:Data  Serial Number 10f82425"). The serial changes when a disk is replaced or
reformatted and the label when a user renames it, either of which would start a new
series: the volume is named by its drive letter or mount path only."""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

_LABEL = re.compile(r"\s+Label:.*$")


def volume_name(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Trim " Label:... Serial Number ..." from volume names."""
    for row in rows:
        tags = row.tags
        # Without "Label:" the pattern cannot match: most names skip the regex.
        if row.measurement == "storage" and "volume" in tags and "Label:" in tags["volume"]:
            tags["volume"] = _LABEL.sub("", tags["volume"]) or tags["volume"]
    return rows
