"""Wireless LAN rows: the AP a radio belongs to, by index, and standalone APs.

Controllers index radio tables by the AP's index plus a radio number (AIRESPACE's
bsnAPIfTable: AP MAC + slot; Aruba's wlsxWlanRadioTable: AP MAC + radio), while the AP's
name and group live in the AP table under the AP's index alone. The metric's `fetch`
columns name them: the first is the AP name, the second (optional) the AP group.
"""

from __future__ import annotations

from lanpulse.core.model import SnmpValue
from lanpulse.parsers.rows import Row, RowContext


def _text(value: SnmpValue | None) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip() if value is not None else ""
    return text or None


def ap_by_prefix(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Tag each radio row with its AP's name and group (the row index without its last
    component is the AP's index); a row whose AP has no name keeps the AP's MAC-as-index."""
    fetch = ctx.metric.fetch
    names = ctx.column(fetch[0]) if fetch else {}
    groups = ctx.column(fetch[1]) if len(fetch) > 1 else {}
    for row in rows:
        ap_index = row.index.rpartition(".")[0]
        if not row.tags.get("ap"):
            name = _text(names.get(ap_index))
            row.tags["ap"] = name or _mac(ap_index)
        group = _text(groups.get(ap_index))
        if group and not row.tags.get("ap_group"):
            row.tags["ap_group"] = group
    return [r for r in rows if r.tags.get("ap")]


def self_ap(rows: list[Row], ctx: RowContext) -> list[Row]:
    """A standalone AP (UniFi): the AP is the polled device itself."""
    for row in rows:
        row.tags["ap"] = ctx.device.name
    return rows


def _mac(index: str) -> str:
    parts = index.split(".")
    if len(parts) == 6 and all(p.isdigit() and int(p) < 256 for p in parts):
        return ":".join(f"{int(p):02x}" for p in parts)
    return index
