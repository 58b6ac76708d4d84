"""Vendor volume/pool tables: sizes in any unit, split 32-bit halves, used or free given.

Storage vendors report capacity in allocation units, KiB, MiB or GiB, sometimes as two
32-bit halves (Nimble's volSizeLow/High), and give either used or free space. Profiles
hand the raw columns over as `extra`; this computes the canonical byte fields:

  size, used, free        amounts (any two are enough)
  size_high, used_high,   upper 32 bits of the matching amount, when split
  free_high
  unit                    bytes per amount unit (a column, e.g. allocation units, or a
                          constant `value:` such as 1048576 for MiB)
"""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_number

_WORD = 2**32


def _amount(row: Row, name: str) -> float | None:
    low = row.extra.pop(name, None)
    high = row.extra.pop(f"{name}_high", None)
    value = as_number(low) if isinstance(low, int | bytes | str) else None
    if value is None:
        return None
    if isinstance(value, int) and value < 0:
        value += _WORD  # a 32-bit column that wrapped into the sign bit
    if isinstance(high, int) and high > 0:
        value += high * _WORD
    return value


def sized(rows: list[Row], ctx: RowContext) -> list[Row]:
    """size_bytes, used_bytes, free_bytes and used_pct from a vendor table's raw columns."""
    out: list[Row] = []
    for row in rows:
        unit_raw = row.extra.pop("unit", 1)
        unit = as_number(unit_raw) if isinstance(unit_raw, int | bytes | str) else None
        if not unit or unit <= 0:
            unit = 1
        size, used, free = (_amount(row, n) for n in ("size", "used", "free"))
        if size is None and used is not None and free is not None:
            size = used + free
        if used is None and size is not None and free is not None:
            used = max(size - free, 0)
        if free is None and size is not None and used is not None:
            free = max(size - used, 0)
        if size is None or size <= 0:
            if row.fields:
                out.append(row)  # health-only rows (e.g. a pool without sizes)
            continue
        row.fields["size_bytes"] = int(size * unit)
        if used is not None:
            row.fields["used_bytes"] = int(used * unit)
            row.fields["used_pct"] = round(min(used / size * 100, 100.0), 2)
        if free is not None and row.measurement == "storage":
            row.fields["free_bytes"] = int(free * unit)
        if row.measurement != "storage":
            row.fields.pop("used_pct", None)  # raid has no used_pct field
        out.append(row)
    return out
