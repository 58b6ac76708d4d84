"""Named conversions from CLI text to numbers, referenced by name from CLI profiles.

Each takes the column's text (and, for `size`, a unit text) and returns a number, or raises
ValueError, which the mapper counts as a skipped value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Durations as devices print them: "1 year, 2 weeks, 3 days, 4 hours, 5 minutes" (IOS),
# "13 day(s), 4 hour(s), 20 minute(s), 30 second(s)" (NX-OS), "2 weeks, 1 day, 3 hours and
# 17 minutes" (EOS), "15 days" (ProCurve), "86 days, 20 mins" / "3 days, 4:05" (Junos/BSD).
_UNIT_SECONDS: dict[str, int] = {
    "y": 365 * 86400,
    "w": 7 * 86400,
    "d": 86400,
    "h": 3600,
    "m": 60,
    "s": 1,
}
_DURATION_PART = re.compile(
    r"(\d+)\s*(year|yr|week|wk|day|hour|hr|minute|min|second|sec|[ywdhms]\b)"
)
_CLOCK = re.compile(r"\b(\d+):(\d\d)(?::(\d\d))?\b")

# Size units: binary as Linux/EOS `top` prints them (KiB, k...), decimal for "Kbit" rates.
_SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tib": 1024**4,
}
_RATE_UNITS: dict[str, int] = {
    "bit": 1,
    "bps": 1,
    "kbit": 1000,
    "kbps": 1000,
    "kb/s": 1000,
    "mbit": 1000**2,
    "mbps": 1000**2,
    "mb/s": 1000**2,
    "gbit": 1000**3,
    "gbps": 1000**3,
    "gb/s": 1000**3,
}


def to_number(text: str) -> int | float:
    """A plain number; thousands separators and a trailing % or unit word are ignored."""
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    raw = m.group(0).replace(",", "")
    return float(raw) if "." in raw else int(raw)


def to_duration(text: str) -> int:
    """Seconds from a human uptime text (see the examples above)."""
    low = text.lower()
    total = 0
    found = False
    for num, unit in _DURATION_PART.findall(low):
        key = "m" if unit.startswith("mi") else unit[0]
        total += int(num) * _UNIT_SECONDS[key]
        found = True
    clock = _CLOCK.search(low)
    if clock:
        h, m, s = clock.group(1), clock.group(2), clock.group(3)
        total += int(h) * 3600 + int(m) * 60 + int(s or 0)
        found = True
    if not found:
        raise ValueError(f"not a duration: {text!r}")
    return total


def to_junos_duration(text: str) -> int:
    """Seconds from Junos's compact form "12w3d 01:15" (also "3d 04:05:06", "01:15:07")."""
    total = 0
    for num, unit in re.findall(r"(\d+)([wd])", text):
        total += int(num) * _UNIT_SECONDS[unit]
    clock = _CLOCK.search(text)
    if clock:
        total += int(clock.group(1)) * 3600 + int(clock.group(2)) * 60 + int(clock.group(3) or 0)
    elif total == 0:
        raise ValueError(f"not a duration: {text!r}")
    return total


def to_rate_bps(text: str) -> int | float:
    """Bits per second from "1000000 Kbit", "10 Gbps", "1.23 kbps", "1000Mb/s"."""
    m = re.match(r"\s*(\d[\d,]*(?:\.\d+)?)\s*([A-Za-z/]*)", text)
    if not m:
        raise ValueError(f"not a rate: {text!r}")
    value = float(m.group(1).replace(",", ""))
    unit = m.group(2).lower().removesuffix("/sec").removesuffix("/s") or "bit"
    unit = {"kb": "kbit", "mb": "mbit", "gb": "gbit", "b": "bit", "bits": "bit"}.get(unit, unit)
    factor = _RATE_UNITS.get(unit)
    if factor is None:
        raise ValueError(f"unknown rate unit in {text!r}")
    result = value * factor
    return int(result) if result.is_integer() else result


def to_size_bytes(text: str, unit: str = "") -> int | float:
    """Bytes from a number and a unit ("KiB", "k", "MB"...); a unit inside `text` also works."""
    m = re.match(r"\s*(\d[\d,]*(?:\.\d+)?)\s*([A-Za-z]*)", text)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    unit_text = (unit or m.group(2)).lower()
    factor = _SIZE_UNITS.get(unit_text)
    if factor is None:
        raise ValueError(f"unknown size unit {unit_text!r}")
    result = float(m.group(1).replace(",", "")) * factor
    return int(result) if result.is_integer() else result


CONVERTERS: dict[str, Callable[[str], int | float]] = {
    "number": to_number,
    "duration": to_duration,
    "junos_duration": to_junos_duration,
    "rate_bps": to_rate_bps,
    "size": to_size_bytes,
}
