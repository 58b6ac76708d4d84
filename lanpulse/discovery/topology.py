"""LLDP and CDP rows -> the neighbours of one device (pure), and the column tables as data.

`tables.yaml` names the columns by MIB object (their OIDs come from the profiles, or from
its `objects:` for those no profile reads); `columns(table)` gives their OIDs to walk and
`neighbours(walk)` reads a walk of `lldp_remote`, `lldp_address` and `cdp_cache` back.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from lanpulse.core.model import SnmpValue
from lanpulse.parsers.values import as_text

TABLES_FILE = Path(__file__).with_name("tables.yaml")
Walk = Mapping[str, Mapping[str, SnmpValue]]  # column OID -> {index: value}


# One per process, on purpose: read-only package data (tables.yaml and the shipped
# profiles) that no configuration changes.
@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, str]]:
    """Table name -> {column name: OID}: tables.yaml's MIB names resolved through the
    shipped profiles' named columns and its own `objects:`."""
    from lanpulse.config.profiles import builtin_profiles

    data = yaml.safe_load(TABLES_FILE.read_text(encoding="utf-8"))
    oids = {**builtin_profiles().mib_columns(), **data["objects"]}
    return {
        name: {column: str(oids[mib_name]) for column, mib_name in cols.items()}
        for name, cols in data["tables"].items()
    }


def columns(*names: str) -> tuple[str, ...]:
    """The column OIDs of the named tables, to walk together."""
    return tuple(oid for name in names for oid in tables()[name].values())


def column(walk: Walk, table: str, name: str) -> Mapping[str, SnmpValue]:
    """{index: value} of one named column in a walk result ({} when absent)."""
    return walk.get(tables()[table][name], {})


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One LLDP/CDP neighbour seen on a local port."""

    protocol: str  # "lldp" or "cdp"
    local_port: int  # LLDP local port number / CDP ifIndex
    sys_name: str | None
    port: str | None
    address: str | None  # management address (IPv4/IPv6), when advertised
    is_bridge: bool  # advertises bridge/switch capability


def neighbours(walk: Walk) -> list[Neighbour]:
    """Every LLDP and CDP neighbour in a walk of `columns('lldp_remote', 'lldp_address',
    'cdp_cache')`."""
    return _lldp(walk) + _cdp(walk)


def _lldp(walk: Walk) -> list[Neighbour]:
    names = column(walk, "lldp_remote", "sys_name")
    chassis = column(walk, "lldp_remote", "chassis_id")
    ports = column(walk, "lldp_remote", "port_id")
    caps = column(walk, "lldp_remote", "capabilities")
    addresses: dict[str, str] = {}
    for index in column(walk, "lldp_address", "if_subtype"):
        arcs = index.split(".")
        if len(arcs) < 6:
            continue
        key = ".".join(arcs[:3])
        address = _address_from_arcs(arcs[3], arcs[5:])
        if address is not None:
            addresses.setdefault(key, address)
    found = []
    for index in sorted(set(names) | set(chassis) | set(ports), key=_index_key):
        arcs = index.split(".")
        if len(arcs) < 3:
            continue
        name = as_text(names[index]) if index in names else None
        found.append(
            Neighbour(
                protocol="lldp",
                local_port=int(arcs[1]),
                sys_name=name or None,
                port=as_text(ports[index]) if index in ports else None,
                address=addresses.get(index),
                is_bridge=_lldp_bridge(caps.get(index)),
            )
        )
    return found


def _cdp(walk: Walk) -> list[Neighbour]:
    ids = column(walk, "cdp_cache", "device_id")
    types = column(walk, "cdp_cache", "address_type")
    raw = column(walk, "cdp_cache", "address")
    ports = column(walk, "cdp_cache", "device_port")
    caps = column(walk, "cdp_cache", "capabilities")
    found = []
    for index in sorted(set(ids) | set(raw), key=_index_key):
        value = raw.get(index)
        address = None
        if isinstance(value, bytes) and types.get(index, 1) == 1 and len(value) in (4, 16):
            address = str(ipaddress.ip_address(value))
        elif isinstance(value, str):
            address = value
        cap = caps.get(index)
        # cdpCacheCapabilities: 4 bytes, bit 0x08 = switch, 0x01 = router (CDP spec).
        bridge = isinstance(cap, bytes) and len(cap) == 4 and bool(cap[3] & 0x09)
        found.append(
            Neighbour(
                protocol="cdp",
                local_port=int(index.split(".")[0]),
                sys_name=as_text(ids[index]) if index in ids else None,
                port=as_text(ports[index]) if index in ports else None,
                address=address,
                is_bridge=bridge,
            )
        )
    return found


def _lldp_bridge(value: SnmpValue | None) -> bool:
    """lldpRemSysCapEnabled: BITS, bridge(2) and router(4) are bits of the first octet."""
    if not isinstance(value, bytes) or not value:
        return False
    return bool(value[0] & (0x80 >> 2 | 0x80 >> 4))


def _address_from_arcs(family: str, rest: list[str]) -> str | None:
    """An IANA address family (1 IPv4, 2 IPv6) with its octets from an index."""
    try:
        octets = bytes(int(a) for a in rest)
    except ValueError:
        return None
    if (family == "1" and len(octets) == 4) or (family == "2" and len(octets) == 16):
        return str(ipaddress.ip_address(octets))
    return None


def _index_key(index: str) -> tuple[int, ...]:
    return tuple(int(a) for a in index.split(".") if a.isdigit())
