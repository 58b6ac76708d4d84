"""The status page: the daemon's health and its active alerts, server-rendered HTML.

Every value is escaped (device names and labels come from devices and files).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lanpulse status</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em .6em;text-align:left}}
.firing{{color:#b00}}.pending{{color:#a60}}.muted{{color:#888}}</style></head>
<body><h1>lanpulse: {health}</h1>
<h2>{count} active alert(s)</h2>
<table><tr><th>id</th><th>rule</th><th>severity</th><th>state</th><th>device</th>
<th>value</th><th>since</th><th>muted / acknowledged</th></tr>
{rows}
</table></body></html>
"""


def _row(alert: Mapping[str, Any]) -> str:
    labels = alert.get("labels", {})
    held = alert.get("mutedBy") or alert.get("ackedBy")
    state = "muted" if held else str(alert.get("state", ""))
    note = (
        f"silence {alert['mutedBy']}"
        if alert.get("mutedBy")
        else (f"acked by {alert['ackedBy']}" if alert.get("ackedBy") else "")
    )
    cells = (
        alert.get("id"),
        alert.get("rule"),
        alert.get("severity"),
        state,
        labels.get("device", ""),
        alert.get("value"),
        alert.get("since"),
        note,
    )
    tds = "".join(f"<td>{escape(str(c if c is not None else ''))}</td>" for c in cells)
    return f'<tr class="{escape(state)}">{tds}</tr>'


def status_page(healthy: bool, alerts: Sequence[Mapping[str, Any]]) -> str:
    """The whole page."""
    return _PAGE.format(
        health="ok" if healthy else "degraded",
        count=len(alerts),
        rows="\n".join(_row(a) for a in alerts),
    )
