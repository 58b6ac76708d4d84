"""Where is it plugged in: MAC -> IP -> switch and port, from forwarding and ARP tables.

Switches' bridge tables (BRIDGE-MIB dot1dTpFdb, Q-BRIDGE dot1qTpFdb with the VLAN) say on
which port each MAC was learnt; ARP / IP neighbour tables (IP-MIB) of routers and layer-3
switches give its IP address. A MAC is learnt on every switch between it and the core, so
only edge ports count: a port with an LLDP/CDP neighbour that is a bridge or a known switch
is an uplink. Among the edge ports left, the one with the fewest MACs is the closest.

Records keep first-seen/last-seen times and are never dropped when a MAC goes quiet, so
`where` can still answer "last seen 3 days ago". Parsing is pure; the file is JSON.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from lanpulse.core.model import SnmpValue
from lanpulse.discovery.topology import Walk, column, neighbours
from lanpulse.parsers.values import as_text

ENDPOINT_TABLES = (
    "bridge_port",
    "bridge_fdb",
    "qbridge_fdb",
    "interfaces",
    "arp",
    "neighbours",
    "lldp_remote",
    "cdp_cache",
)
LEARNED = 3  # dot1dTpFdbStatus learned(3); self(4) is the switch's own MAC, mgmt(5) static


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One MAC address and where it was last seen."""

    mac: str  # aa:bb:cc:dd:ee:ff
    ip: str | None
    switch: str
    port: str
    vlan: int | None
    first_seen: float  # Unix seconds
    last_seen: float


@dataclass(frozen=True, slots=True)
class PortSighting:
    """A MAC learnt on one switch port."""

    mac: str
    switch: str
    if_index: int | None
    port: str
    vlan: int | None


def mac_text(value: SnmpValue | Iterable[int]) -> str | None:
    """aa:bb:cc:dd:ee:ff from 6 raw bytes, index arcs, or text such as `2:3:4e:4:99:be`."""
    if isinstance(value, bytes) and len(value) == 6:
        octets = list(value)
    elif isinstance(value, str | bytes):
        text = as_text(value).replace("-", ":")
        parts = text.split(":") if ":" in text else [text[i : i + 2] for i in range(0, 12, 2)]
        try:
            octets = [int(p, 16) for p in parts]
        except ValueError:
            return None
    elif isinstance(value, int):
        return None
    else:
        octets = list(value)
    if len(octets) != 6 or not all(0 <= o <= 255 for o in octets):
        return None
    if octets == [255] * 6 or octets == [0] * 6:
        return None
    return ":".join(f"{o:02x}" for o in octets)


def sightings(
    switch: str, walk: Walk, known_switches: Collection[str] = ()
) -> tuple[list[PortSighting], set[int]]:
    """The MACs learnt on one switch's ports, and the ifIndexes of its uplinks."""
    port_if = {
        int(k): int(v)
        for k, v in column(walk, "bridge_port", "if_index").items()
        if isinstance(v, int)
    }
    names = column(walk, "interfaces", "if_name")
    descrs = column(walk, "interfaces", "if_descr")

    def port_name(if_index: int | None, bridge_port: int) -> str:
        key = str(if_index)
        if key in names and as_text(names[key]):
            return as_text(names[key])
        if key in descrs and as_text(descrs[key]):
            return as_text(descrs[key])
        return f"port {bridge_port}"

    found: dict[tuple[str, int | None], PortSighting] = {}
    rows: list[tuple[str, int | None, int, SnmpValue | None]] = []
    q_status = column(walk, "qbridge_fdb", "status")
    for index, port in column(walk, "qbridge_fdb", "port").items():
        arcs = index.split(".")
        rows.append(
            (
                ".".join(arcs[1:]),
                int(arcs[0]),
                port if isinstance(port, int) else 0,
                q_status.get(index),
            )
        )
    status = column(walk, "bridge_fdb", "status")
    for index, port in column(walk, "bridge_fdb", "port").items():
        rows.append((index, None, port if isinstance(port, int) else 0, status.get(index)))
    for index, vlan, bridge_port, state in rows:
        mac = mac_text(int(a) for a in index.split(".") if a.isdigit())
        if mac is None or bridge_port <= 0 or (isinstance(state, int) and state != LEARNED):
            continue
        if_index = port_if.get(bridge_port)
        found.setdefault(
            (mac, vlan), PortSighting(mac, switch, if_index, port_name(if_index, bridge_port), vlan)
        )
    uplinks = {
        n.local_port
        for n in neighbours(walk)
        if n.is_bridge or (n.sys_name is not None and n.sys_name in known_switches)
    }
    return list(found.values()), uplinks


def arp_entries(walk: Walk) -> dict[str, str]:
    """MAC -> IPv4/IPv6 address from ipNetToMediaTable and ipNetToPhysicalTable."""
    out: dict[str, str] = {}
    for index, value in column(walk, "arp", "mac").items():
        arcs = index.split(".")
        mac = mac_text(value)
        if mac is not None and len(arcs) == 5:
            out.setdefault(mac, ".".join(arcs[1:]))
    for index, value in column(walk, "neighbours", "mac").items():
        arcs = index.split(".")
        mac = mac_text(value)
        if mac is None or len(arcs) < 4:
            continue
        try:
            octets = bytes(int(a) for a in arcs[3:])
            out.setdefault(mac, str(ipaddress.ip_address(octets)))
        except ValueError:
            continue
    return out


def locate(
    seen: Iterable[PortSighting], uplinks: Mapping[str, Collection[int]]
) -> dict[str, PortSighting]:
    """MAC -> its edge port: not an uplink, and of those the port with the fewest MACs."""
    by_port: dict[tuple[str, str], int] = {}
    candidates: dict[str, list[PortSighting]] = {}
    for s in seen:
        by_port[(s.switch, s.port)] = by_port.get((s.switch, s.port), 0) + 1
        if s.if_index is None or s.if_index not in uplinks.get(s.switch, ()):
            candidates.setdefault(s.mac, []).append(s)
    return {
        mac: min(options, key=lambda s: (by_port[(s.switch, s.port)], s.switch, s.port))
        for mac, options in candidates.items()
    }


class EndpointTable:
    """The endpoint records, keyed by MAC, loaded from and saved to one JSON file."""

    def __init__(self, records: Mapping[str, Endpoint] | None = None) -> None:
        self.records: dict[str, Endpoint] = dict(records or {})

    @classmethod
    def load(cls, path: str | Path) -> EndpointTable:
        """The table in `path`; empty when the file does not exist yet."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        return cls({r["mac"]: Endpoint(**r) for r in data.get("endpoints", [])})

    def save(self, path: str | Path) -> None:
        """Write atomically (`where` may read it at any moment)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        rows = [asdict(r) for r in sorted(self.records.values(), key=lambda r: r.mac)]
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"endpoints": rows}, out, indent=1)
        os.replace(tmp, target)

    def update(
        self, located: Mapping[str, PortSighting], arp: Mapping[str, str], now: float
    ) -> int:
        """Fold one refresh in; returns how many MACs were seen. Unseen records stay."""
        for mac, s in located.items():
            old = self.records.get(mac)
            ip = arp.get(mac) or (old.ip if old else None)
            self.records[mac] = Endpoint(
                mac, ip, s.switch, s.port, s.vlan, old.first_seen if old else now, now
            )
        return len(located)

    def find(self, query: str) -> list[Endpoint]:
        """Records whose MAC or IP is `query` (a MAC in any common notation)."""
        mac = mac_text(query)
        return [r for r in self.records.values() if r.mac == mac or r.ip == query]

    def port_of(self, address: str) -> Endpoint | None:
        """The most recently seen record of an IP address."""
        hits = [r for r in self.records.values() if r.ip == address]
        return max(hits, key=lambda r: r.last_seen) if hits else None


def describe(record: Endpoint, now: float) -> str:
    """`10.20.3.17 (aa:..): switch floor3-sw2 port Gi1/0/14, VLAN 20, last seen 2 min ago`."""
    who = f"{record.ip} ({record.mac})" if record.ip else record.mac
    vlan = f", VLAN {record.vlan}" if record.vlan is not None else ""
    seen = _ago(now - record.last_seen)
    return f"{who}: switch {record.switch} port {record.port}{vlan}, last seen {seen}"


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return "just now"
