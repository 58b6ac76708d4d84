"""Read snmpsim `.snmprec` recordings (`OID|TYPE|VALUE`) into typed values.

For offline parser tests and for tests that compare what an agent served with the file.
"""

from __future__ import annotations

from pathlib import Path

from lanpulse.core.model import Oid, RawSnmp, SnmpValue

_INT_TYPES = {"2", "65", "66", "67", "70"}  # INTEGER, Counter32, Gauge32, TimeTicks, Counter64


def parse_value(tag: str, text: str) -> SnmpValue | None:
    """Decode one recording value by its BER type tag (`x` suffix: hex-encoded)."""
    base = tag.split(":")[0]
    hexed = base.endswith("x")
    base = base.rstrip("x")
    if base in _INT_TYPES:
        return int(text)
    if base == "4":
        return bytes.fromhex(text) if hexed else text.encode()
    if base == "6":
        return Oid(text.lstrip("."))
    if base == "64":
        raw = bytes.fromhex(text) if hexed else None
        return ".".join(str(b) for b in raw) if raw is not None else text
    if base == "68":
        return bytes.fromhex(text) if hexed else text.encode()
    return None  # Null and unknown types: absent


def read_snmprec(path: Path) -> dict[str, SnmpValue]:
    """OID -> value for every line of a recording that has a value."""
    values: dict[str, SnmpValue] = {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3:
            continue
        oid, tag, text = parts
        try:
            value = parse_value(tag, text)
        except ValueError:
            continue
        if value is not None:
            values[oid.lstrip(".")] = value
    return values


def raw_from_recording(
    values: dict[str, SnmpValue],
    scalars: tuple[str, ...],
    columns: tuple[str, ...],
    device: str = "recording",
    started_ns: int = 0,
) -> RawSnmp:
    """What an ideal agent would return for this plan, straight from a recording."""
    got = {oid: values[oid] for oid in scalars if oid in values}
    cols: dict[str, dict[str, SnmpValue]] = {}
    for col in columns:
        prefix = col + "."
        rows = {oid[len(prefix) :]: v for oid, v in values.items() if oid.startswith(prefix)}
        if rows:
            cols[col] = rows
    return RawSnmp(device=device, started_ns=started_ns, scalars=got, columns=cols)
