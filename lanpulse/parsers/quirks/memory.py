"""Memory pools of network devices (CISCO-MEMORY-POOL, HP local memory, FASTPATH...).

Vendors list one or more pools with any two of used / free / total; the device's memory
is their sum. Rows are folded into one `host` row with mem_total_bytes, mem_used_bytes and
mem_used_pct. Extra keys: used, free, total (amounts), unit (bytes per amount, default 1),
valid (a pool whose flag is not 1/true is skipped, e.g. ciscoMemoryPoolValid).
"""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_number


def _num(value: object) -> float | None:
    if type(value) is int:  # the usual value, as as_number would return it
        return float(value) if value >= 0 else None
    if isinstance(value, int | bytes | str) and not isinstance(value, bool):
        n = as_number(value)
        return float(n) if n is not None and n >= 0 else None
    return None


def pools(rows: list[Row], ctx: RowContext) -> list[Row]:
    """One host row summing every valid pool's total and used bytes."""
    total_sum = used_sum = 0.0
    seen = False
    for row in rows:
        extra = row.extra
        valid = extra.get("valid")
        if valid is not None and valid not in (1, b"1", "1", b"true", "true"):
            continue
        unit = _num(extra.get("unit")) or 1.0
        used, free, total = (
            _num(extra.get("used")),
            _num(extra.get("free")),
            _num(extra.get("total")),
        )
        if total is None and used is not None and free is not None:
            total = used + free
        if used is None and total is not None and free is not None:
            used = max(total - free, 0.0)
        if total is None or used is None or total <= 0:
            continue
        total_sum += total * unit
        used_sum += used * unit
        seen = True
    if not seen:
        return []
    out = Row(index="", measurement="host")
    out.fields["mem_total_bytes"] = int(total_sum)
    out.fields["mem_used_bytes"] = int(used_sum)
    out.fields["mem_used_pct"] = round(min(used_sum / total_sum * 100, 100.0), 2)
    return [out]
