"""Serve a recording from net-snmp `snmpd` (C speed) through `override` directives.

For benchmarks, where snmpsim (Python) would be the bottleneck: the recording's values are
loaded as `override` lines and the snmpd modules that would answer the same tables are
disabled with `-I -module`. net-snmp's `override` has no Counter64 type, so 64-bit
counters are served as Counter32 (mod 2^32): the client's decoding cost is the same.

Counters can be made to move: columns named `writable` are served as writable Gauge32
(`override -rw`; net-snmp's `snmpset` has no Counter32 type, and a Gauge32 costs the client
the same to decode), and `CounterMover` raises them between polls with `snmpset`.
"""

from __future__ import annotations

import os
import re
import subprocess

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


_COUNTER_TAGS = ("65", "66", "70")  # Counter32, Gauge32, Counter64


def _column_of(oid: str) -> str:
    return oid.rsplit(".", 1)[0]


def override_lines(
    recording: str, prefixes: tuple[str, ...], writable: frozenset[str] = frozenset()
) -> list[str]:
    """`override` lines for every recording line under one of `prefixes`.

    Integer instances of the `writable` columns (OIDs without the instance) are served as
    writable Gauge32, for `CounterMover`.
    """
    out = []
    for line in recording.splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[0].startswith(prefixes):
            continue
        oid, tag, text = parts
        kind = _TYPES.get(tag)
        if kind is None:
            continue
        if tag in _COUNTER_TAGS and _column_of(oid) in writable:
            out.append(f"override -rw .{oid} uinteger {int(text) % 2**32}")
            continue
        out.append(f"override .{oid} {kind} {_value(tag, text)}")
    return out


class CounterMover:
    """Raises the writable instances of `override_lines` on a running snmpd, by `snmpset`.

    The SETs run in `snmpset` child processes: a benchmark measuring its own CPU time does
    not count them.
    """

    BATCH = 40  # varbinds per SET request (well inside one UDP datagram)

    def __init__(self, recording: str, writable: frozenset[str], port: int, community: str):
        self.port = port
        self.community = community
        self.values: dict[str, int] = {}
        for line in recording.splitlines():
            parts = line.split("|", 2)
            if len(parts) == 3 and parts[1] in _COUNTER_TAGS and _column_of(parts[0]) in writable:
                self.values[parts[0]] = int(parts[2]) % 2**32

    def step(self, delta: int) -> None:
        """Add `delta` times (1 + the instance's position) to every instance (mod 2^32)."""
        oids = list(self.values)
        for n, oid in enumerate(oids):
            self.values[oid] = (self.values[oid] + delta * (1 + n % 7)) % 2**32
        for start in range(0, len(oids), self.BATCH):
            args = []
            for oid in oids[start : start + self.BATCH]:
                args += [f".{oid}", "u", str(self.values[oid])]
            subprocess.run(
                ["snmpset", "-v2c", f"-c{self.community}", "-Oq", f"127.0.0.1:{self.port}", *args],
                check=True,
                capture_output=True,
                env={**os.environ, "MIBS": "", "MIBDIRS": ""},
            )


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
