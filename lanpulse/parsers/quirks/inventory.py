"""Identity and neighbours: `device_info` (ENTITY-MIB chassis) and LLDP `neighbor` rows.

`device_info`: the profile's scalar sources (sysLocation, sysContact, vendor serial,
firmware) come first; what they leave empty is taken from the first ENTITY-MIB chassis
(entPhysicalClass 3). Rows come only from full polls (the metric is `inventory`): a poll
with none of the metric's scalars and no ENTITY-MIB makes no row.

`cdp_neighbors`: CISCO-CDP-MIB cdpCacheTable rows, the same `neighbor` tags.

`lldp_neighbors`: lldpRemTable rows (index timeMark.localPortNum.remIndex) with the local
port named from IF-MIB ifName (LLDP port numbers are ifIndexes on the agents we know; the
lldpLocPortTable description is the fallback), MAC chassis/port ids written as MACs, and
the first IPv4/IPv6 management address of lldpRemManAddrTable, whose address is in the
row index (subtype, then length-prefixed or bare octets).

Both write what the neighbour says it is (enabled capabilities) as `remote_caps`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from lanpulse.core.model import NEIGHBOR_CAPABILITIES, SnmpValue
from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_text

ENT_CLASS = "1.3.6.1.2.1.47.1.1.1.1.5"
ENT_FIELDS = {
    "serial": "1.3.6.1.2.1.47.1.1.1.1.11",  # entPhysicalSerialNum
    "model": "1.3.6.1.2.1.47.1.1.1.1.13",  # entPhysicalModelName
    "firmware": "1.3.6.1.2.1.47.1.1.1.1.10",  # entPhysicalSoftwareRev
}
ENT_FIRMWARE_REV = "1.3.6.1.2.1.47.1.1.1.1.9"  # entPhysicalFirmwareRev: when no software rev
CHASSIS = 3

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
LOC_PORT_DESCR = "1.0.8802.1.1.2.1.3.7.1.4"
REM_MAN_ADDR = "1.0.8802.1.1.2.1.4.2.1.3"  # lldpRemManAddrIfSubtype: walked for its index

# What the neighbour says it is: core.model.NEIGHBOR_CAPABILITIES, in LLDP's bit order.
# CISCO-CDP-MIB cdpCacheCapabilities: the CDP capabilities field, 4 octets, as bit values.
# A CDP switch is a bridge in LLDP's words, a host a station; IGMP says nothing of the kind.
CDP_CAPS = {
    0x01: "router",
    0x02: "bridge",  # transparent bridge
    0x04: "bridge",  # source-route bridge
    0x08: "bridge",  # switch
    0x10: "station",  # host
    0x40: "repeater",
    0x80: "telephone",
    0x400: "tpmr",
}


def _chassis_index(classes: Mapping[str, SnmpValue]) -> str | None:
    for index, value in sorted(classes.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]):
        if value == CHASSIS:
            return index
    return None


def device_info(rows: list[Row], ctx: RowContext) -> list[Row]:
    """One `device_info` row from a full poll: scalars first, then the ENTITY-MIB chassis."""
    # A fast poll fetches none of the metric's scalars (no tags) nor its ENTITY-MIB columns
    # (entPhysicalClass may still be there: another metric's cached label column).
    entity = any(ctx.column(column) for column in ENT_FIELDS.values())
    if not entity and not any(row.tags for row in rows):
        return []
    chassis = _chassis_index(ctx.column(ENT_CLASS)) if entity else None
    out: list[Row] = []
    for row in rows:
        tags = {k: v.strip() for k, v in row.tags.items() if v and v.strip()}
        if chassis is not None:
            for tag, column in ENT_FIELDS.items():
                if tag not in tags:
                    text = as_text(ctx.column(column).get(chassis, b""))
                    if not text and tag == "firmware":
                        text = as_text(ctx.column(ENT_FIRMWARE_REV).get(chassis, b""))
                    if text:
                        tags[tag] = text
        row.tags = tags
        row.fields["info"] = 1
        out.append(row)
    return out


def _mac_or_text(value: str | None, subtype: str | None, mac_subtype: str) -> str | None:
    if not value:
        return None
    if subtype == mac_subtype and len(value) == 12 and all(c in "0123456789abcdef" for c in value):
        return ":".join(value[i : i + 2] for i in range(0, 12, 2))
    return value


def _addresses(column: Mapping[str, SnmpValue]) -> dict[str, str]:
    """Remote row index (timeMark.port.remIndex) -> first management address."""
    out: dict[str, str] = {}
    for index in column:
        parts = index.split(".")
        if len(parts) < 5:
            continue
        key, subtype, rest = ".".join(parts[:3]), parts[3], parts[4:]
        size = {"1": 4, "2": 16}.get(subtype)
        if size is None:
            continue
        if len(rest) == size + 1 and rest[0] == str(size):
            rest = rest[1:]  # length-prefixed (the MIB's encoding of an OCTET STRING index)
        if len(rest) != size:
            continue
        try:
            address = ipaddress.ip_address(bytes(int(p) for p in rest))
        except ValueError:
            continue
        out.setdefault(key, str(address))
    return out


_SNMPWALK_BITS = re.compile(rb"^((?:[0-9A-Fa-f]{2} ?)+)(?: \d+)*\s*$")


def lldp_capabilities(value: SnmpValue | None) -> str | None:
    """lldpRemSysCapEnabled as sorted names joined by commas; None when no bit is set or the
    value is not this object's BITS.

    BITS of this object are 1 or 2 octets with no bit beyond tpmr (10). A value that has
    one is snmpwalk's rendering of BITS (hex octets, then the numbers of the bits set:
    "28 2 4"), which is what the corpus recordings hold: its hex octets are read instead.
    No true value can be taken for that text: an ASCII digit or letter as second octet sets
    bit 11 or beyond.
    """
    if not isinstance(value, bytes):
        return None
    if not _lldp_bits(value):
        match = _SNMPWALK_BITS.match(value)
        if match is None:
            return None
        value = bytes.fromhex(match.group(1).decode())
        if not _lldp_bits(value):
            return None
    names = {
        name
        for bit, name in enumerate(NEIGHBOR_CAPABILITIES)
        if bit // 8 < len(value) and value[bit // 8] & (0x80 >> (bit % 8))
    }
    return ",".join(sorted(names)) or None


def _lldp_bits(value: bytes) -> bool:
    """True when `value` can be lldpRemSysCapEnabled: 1 or 2 octets, bits 0-10 only."""
    return 1 <= len(value) <= 2 and (len(value) == 1 or not value[1] & 0x1F)


def cdp_capabilities(value: SnmpValue | None) -> str | None:
    """cdpCacheCapabilities as sorted names joined by commas; None when none is known.

    The MIB's 4 octets are the CDP field in network order; an agent that writes them
    little-endian (the Cisco CBW recording: 29 00 00 00 for router, switch, IGMP) has
    nothing in the last octet, where every capability a port's neighbour can have is.
    """
    if not isinstance(value, bytes) or len(value) != 4:
        return None
    word = int.from_bytes(value, "big")
    if not word & 0xFF and value[0]:
        word = int.from_bytes(value, "little")
    names = {name for bit, name in CDP_CAPS.items() if word & bit}
    return ",".join(sorted(names)) or None


def lldp_neighbors(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Name the local port, format MAC ids, add the management address; drop empty rows."""
    if not rows:
        return rows
    names = ctx.column(IF_NAME)
    descrs = ctx.column(LOC_PORT_DESCR)
    addresses = _addresses(ctx.column(REM_MAN_ADDR))
    out: list[Row] = []
    for row in rows:
        parts = row.index.split(".")
        if len(parts) < 3:
            continue
        port = parts[1]
        extra = row.extra
        chassis_type, port_type = str(extra.get("chassis_subtype")), str(extra.get("port_subtype"))
        chassis = _mac_or_text(row.tags.pop("remote_chassis", None), chassis_type, "4")
        remote_port = _mac_or_text(row.tags.get("remote_port"), port_type, "3")
        if not (chassis or row.tags.get("remote_name")):
            continue  # nothing names the neighbour
        local = as_text(names[port]) if port in names else as_text(descrs.get(port, b""))
        row.tags["local_port"] = local or port
        row.tags["local_port_index"] = port
        if chassis:
            row.tags["remote_chassis"] = chassis
        if remote_port:
            row.tags["remote_port"] = remote_port
        address = addresses.get(row.index)
        if address:
            row.tags["remote_address"] = address
        caps = lldp_capabilities(extra.get("capabilities"))
        if caps:
            row.tags["remote_caps"] = caps
        row.tags["protocol"] = "lldp"
        row.fields["info"] = 1
        out.append(row)
    return out


def cdp_neighbors(rows: list[Row], ctx: RowContext) -> list[Row]:
    """CISCO-CDP-MIB cdpCacheTable rows (index ifIndex.deviceIndex): the local port from
    IF-MIB ifName, the address from cdpCacheAddress (4 octets when cdpCacheAddressType
    is ip(1))."""
    if not rows:
        return rows
    names = ctx.column(IF_NAME)
    out: list[Row] = []
    for row in rows:
        port = row.index.split(".", 1)[0]
        if not row.tags.get("remote_name"):
            continue
        row.tags["local_port"] = as_text(names[port]) if port in names else port
        row.tags["local_port_index"] = port
        address = row.extra.get("address")
        ip = str(row.extra.get("address_type")) == "1"
        if ip and isinstance(address, bytes) and len(address) == 4:
            row.tags["remote_address"] = str(ipaddress.ip_address(address))
        caps = cdp_capabilities(row.extra.get("capabilities"))
        if caps:
            row.tags["remote_caps"] = caps
        row.tags["protocol"] = "cdp"
        row.fields["info"] = 1
        out.append(row)
    return out
