"""Serve a recording from net-snmp `snmpd` (C speed) through `override` directives.

For benchmarks, where snmpsim (Python) would be the bottleneck: the recording's values are
loaded as `override` lines and the snmpd modules that would answer the same tables are
disabled with `-I -module`. net-snmp's `override` has no Counter64 type, so 64-bit
counters are served as Counter32 (mod 2^32): the client's decoding cost is the same.
"""

from __future__ import annotations

import re

# BER type tag in .snmprec -> override type name
_TYPES = {
    "2": "integer",
    "4": "octet_str",
    "4x": "octet_str",
    "6": "object_id",
    "64": "ipaddress",
    "65": "counter",
    "66": "uinteger",
    "67": "timeticks",
    "70": "counter",
}
# snmpd modules that own the subtrees a recording may carry
DISABLED_MODULES = ("interfaces", "ifTable", "ifXTable", "hr_storage", "hr_device", "hr_proc")


def _value(tag: str, text: str) -> str:
    if tag == "4x":
        return "0x" + text if text else '""'
    if tag == "4":
        return "0x" + text.encode().hex() if text else '""'
    if tag == "70":
        return str(int(text) % 2**32)
    if tag == "64" and re.fullmatch(r"[0-9a-fA-F]{8}", text):
        return ".".join(str(b) for b in bytes.fromhex(text))
    return text


def override_lines(recording: str, prefixes: tuple[str, ...]) -> list[str]:
    """`override` lines for every recording line under one of `prefixes`."""
    out = []
    for line in recording.splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[0].startswith(prefixes):
            continue
        oid, tag, text = parts
        kind = _TYPES.get(tag)
        if kind is None:
            continue
        out.append(f"override .{oid} {kind} {_value(tag, text)}")
    return out


def widen_ports(recording: str, ports: int, template_index: str) -> str:
    """A recording with `ports` copies of one interface row (indexes 1..ports).

    Builds a 48-port access switch from a real one's row layout, for load tests.
    """
    row: list[tuple[str, str, str]] = []
    kept: list[str] = []
    pattern = re.compile(r"^(1\.3\.6\.1\.2\.1\.(?:2\.2\.1|31\.1\.1\.1)\.\d+)\.(\d+)$")
    for line in recording.splitlines():
        parts = line.split("|", 2)
        m = pattern.match(parts[0]) if len(parts) == 3 else None
        if m is None:
            kept.append(line)
        elif m.group(2) == template_index:
            row.append((m.group(1), parts[1], parts[2]))
    for i in range(1, ports + 1):
        for column, tag, text in row:
            if column.endswith((".2.2.1.2", ".31.1.1.1.1")):
                text = f"GigabitEthernet1/0/{i}"
            elif tag in ("65", "70"):
                text = str(int(text) + i * 1000)
            elif column.endswith(".2.2.1.1"):
                text = str(i)
            kept.append(f"{column}.{i}|{tag}|{text}")
    return "\n".join(sorted(kept, key=_oid_key)) + "\n"


def _oid_key(line: str) -> tuple[int, ...]:
    return tuple(int(p) for p in line.split("|", 1)[0].split(".") if p.isdigit())
