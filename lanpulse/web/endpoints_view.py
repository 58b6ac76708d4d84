"""Endpoints per switch port for the device page, from discovery's endpoint table file.

The table (`discovery.endpoints.file`, MAC -> switch port) is written by the discovery runs;
the page reads it again only when the file changed (its mtime), so a page view costs a stat.
The daemon's attachments (discovery/attachments.py) name the MACs it knows: a switch's page
shows the desktop on each port, a desktop's page the switch port it is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lanpulse.discovery.attachments import Attachments
from lanpulse.discovery.endpoints import EndpointTable


class PortEndpoints:
    """Switch -> port -> the endpoints last seen there (newest first)."""

    def __init__(
        self,
        path: Path | None,
        clock: Callable[[], float] = time.time,
        attachments: Callable[[], Attachments] | None = None,
    ) -> None:
        self.path = path
        self.clock = clock
        self.attachments = attachments or Attachments
        self._mtime: float | None = None
        self._by_switch: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            self._by_switch, self._mtime = {}, None
            return
        if mtime == self._mtime:
            return
        try:
            table = EndpointTable.load(self.path)
        except (OSError, ValueError, KeyError, TypeError):
            return  # half-written or foreign: keep what was shown
        by_switch: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for r in sorted(table.records.values(), key=lambda r: -r.last_seen):
            row = {"mac": r.mac, "ip": r.ip or "", "vlan": r.vlan, "last_seen": r.last_seen}
            by_switch.setdefault(r.switch, {}).setdefault(r.port, []).append(row)
        self._by_switch, self._mtime = by_switch, mtime

    def of(self, switch: str) -> dict[str, list[dict[str, Any]]]:
        """Port -> endpoints of one switch (empty without a table)."""
        self._refresh()
        ports = self._by_switch.get(switch, {})
        now = self.clock()
        names = self.attachments().by_mac
        return {
            port: [
                e | {"ago_s": round(now - e["last_seen"]), "name": names.get(e["mac"], "")}
                for e in rows
            ]
            for port, rows in sorted(ports.items())
        }

    def port_of(self, device: str) -> dict[str, Any] | None:
        """The switch port `device` is on (switch, port, MAC, IP, VLAN, seen ago), or None."""
        a = self.attachments().of(device)
        if a is None:
            return None
        return {
            "switch": a.switch,
            "port": a.port,
            "mac": a.mac,
            "ip": a.ip or "",
            "vlan": a.vlan,
            "ago_s": round(self.clock() - a.last_seen),
        }
