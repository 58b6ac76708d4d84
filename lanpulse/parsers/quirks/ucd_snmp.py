"""net-snmp UCD-SNMP-MIB memory (memory group 1.3.6.1.4.1.2021.4, values in KiB).

Preferred over hrStorage "Physical memory" on net-snmp agents: hrStorage counts buffers
and page cache as used, so a Linux host with a large cache looks full. Used memory here
is total - available - buffers - cached, as `free` reports it. Some agents (FreeBSD
builds, old kernels) send negative Integer32 garbage for buffers or swap: such a value is
unknown, and the field that needs it is left out.

Also the disk table (dskTable, 2021.9): mounted file systems with the sizes `df` shows.
"""

from __future__ import annotations

import re

from lanpulse.parsers.quirks.hr_storage import PSEUDO_FS
from lanpulse.parsers.rows import Row, RowContext

KIB = 1024


def _kib(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def memory(rows: list[Row], ctx: RowContext) -> list[Row]:
    """mem_* and swap_* fields from memTotalReal/memAvailReal/memBuffer/memCached/swap."""
    for row in rows:
        raw = {k: _kib(row.extra.pop(k, None)) for k in list(row.extra)}
        total, avail = raw.get("total_real"), raw.get("avail_real")
        buffers, cached = raw.get("buffer"), raw.get("cached")
        if total:
            row.fields["mem_total_bytes"] = total * KIB
            if avail is not None and buffers is not None and cached is not None:
                used = max(total - avail - buffers - cached, 0)
                row.fields["mem_used_bytes"] = used * KIB
                row.fields["mem_used_pct"] = round(min(used / total * 100, 100.0), 2)
        swap_total, swap_avail = raw.get("total_swap"), raw.get("avail_swap")
        if swap_total is not None and swap_avail is not None and swap_avail <= swap_total:
            row.fields["swap_total_bytes"] = swap_total * KIB
            row.fields["swap_used_bytes"] = (swap_total - swap_avail) * KIB
    return rows


# Network file systems as dskDevice names them (NFS "host:/path", CIFS "//host/share"):
# hrStorage reports them as network disks; dskTable cannot tell, so they stay hrStorage's.
_NETWORK_FS = re.compile(r"^//|^[^/\s]+:/")


def disks(rows: list[Row], ctx: RowContext) -> list[Row]:
    """UCD dskTable rows as `df` shows them: its used % (dskPercent, used / (used +
    available), reserved blocks not counted as available), local file systems only.

    Runs after `sized_volume`. A row has the same tags as hrStorage's row for the mount, so
    its values replace hrStorage's (whose sizes count reserved blocks as free); pseudo
    file systems and network mounts are left to hrStorage's rules.
    """
    out: list[Row] = []
    for row in rows:
        fs = row.extra.pop("fs", None)
        pct = row.extra.pop("pct", None)
        path = row.tags.get("volume", "")
        fs_text = fs.decode(errors="replace") if isinstance(fs, bytes) else str(fs or "")
        if PSEUDO_FS.match(path) or _NETWORK_FS.match(fs_text) or "size_bytes" not in row.fields:
            continue
        if isinstance(pct, int) and 0 <= pct <= 100:
            row.fields["used_pct"] = float(pct)
        out.append(row)
    return out
