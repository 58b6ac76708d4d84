"""HOST-RESOURCES hrStorage: bytes from allocation units, 32-bit wrap, RAM routed to `host`.

hrStorageSize/Used are Integer32 counts of allocation units; agents with volumes over
2^31 units send negative numbers, which wrap back by adding 2^32.
"""

from __future__ import annotations

import re

from lanpulse.parsers.rows import Row, RowContext

HR_STORAGE_TYPES = "1.3.6.1.2.1.25.2.1."
TYPE_NAMES = {
    "1": "other",
    "2": "ram",
    "3": "virtual_memory",
    "4": "fixed_disk",
    "5": "removable_disk",
    "6": "removable_disk",
    "7": "removable_disk",
    "8": "ram_disk",
    "9": "flash",
    "10": "network_disk",
}
# Kernel pseudo file systems (always "full", no capacity to plan) and per-login tmpfs
# mounts (/run/user/<uid>, they come and go with sessions and would churn series).
_PSEUDO_FS = re.compile(r"^/(proc|sys|dev|dev/fd|dev/pts)$|^/(proc|sys)/|^/run/user/\d+$")


def _units(value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value + 2**32 if value < 0 else value


_BUFFERS = "memory buffers"
_CACHED = "cached memory"


def _reclaimable(rows: list[Row]) -> int:
    """Bytes net-snmp lists as "Memory buffers" + "Cached memory" (used, reclaimable).

    net-snmp's hrStorage "Physical memory" counts page cache and buffers as used, so a
    Linux host with a big cache looks full; these two rows let us take them out, the way
    `free` does. A negative or wrapped value (seen on FreeBSD builds) is not trusted.
    """
    total = 0
    for row in rows:
        name = row.tags.get("volume", "").lower()
        if name not in (_BUFFERS, _CACHED):
            continue
        alloc, used = row.extra.get("alloc_units"), row.extra.get("used_units")
        if isinstance(alloc, int) and isinstance(used, int) and alloc > 0 and used >= 0:
            total += alloc * used
    return total


def route(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Compute sizes in bytes and send RAM/swap to `host`, volumes to `storage`."""
    out: list[Row] = []
    reclaimable = _reclaimable(rows)
    memory_seen: set[str] = set()
    for row in _memory_first(rows):
        type_oid = str(row.extra.pop("type_oid", "")).lstrip(".")
        kind = TYPE_NAMES.get(type_oid.removeprefix(HR_STORAGE_TYPES), "other")
        alloc = row.extra.pop("alloc_units", None)
        size = _units(row.extra.pop("size_units", None))
        used = _units(row.extra.pop("used_units", None))
        if not isinstance(alloc, int) or alloc <= 0 or size is None:
            continue
        size_bytes = size * alloc
        used_bytes = used * alloc if used is not None else None
        descr = row.tags.get("volume", "")
        if kind in ("ram", "virtual_memory"):
            # One host sample: the first RAM row ("Physical memory"; FreeBSD adds "Real
            # memory", the active part) and the swap row (see _memory_first) win.
            if kind in memory_seen:
                continue
            memory_seen.add(kind)
        if kind == "ram":
            row.measurement = "host"
            row.tags = {}
            row.fields = {"mem_total_bytes": size_bytes}
            if used_bytes is not None:
                if 0 < reclaimable <= used_bytes:
                    used_bytes -= reclaimable
                row.fields["mem_used_bytes"] = used_bytes
        elif kind == "virtual_memory":
            # Windows' "Virtual Memory" is RAM plus page file; net-snmp's is swap. Both are
            # what the OS can page to, which is what capacity planning wants as swap.
            row.measurement = "host"
            row.tags = {}
            row.fields = {"swap_total_bytes": size_bytes}
            if used_bytes is not None:
                row.fields["swap_used_bytes"] = used_bytes
        elif kind == "other" or _PSEUDO_FS.match(descr):
            # hrStorageOther is no volume: net-snmp's memory buffers/cache/shared memory,
            # printers' firmware ROM, NVRAM and flash (always 100 % used).
            continue
        else:
            if size_bytes == 0:
                continue  # empty drives, unmounted removable media
            row.tags["storage_type"] = kind if kind in _STORAGE_KINDS else "other"
            row.fields = {"size_bytes": size_bytes}
            if used_bytes is not None:
                row.fields["used_bytes"] = used_bytes
                row.fields["free_bytes"] = max(size_bytes - used_bytes, 0)
                row.fields["used_pct"] = round(min(used_bytes / size_bytes * 100, 100.0), 2)
        out.append(row)
    return out


def _memory_first(rows: list[Row]) -> list[Row]:
    """Rows with net-snmp's "Swap space" ahead of its "Virtual memory" (RAM plus swap)."""
    swap = [r for r in rows if "swap" in r.tags.get("volume", "").lower()]
    if not swap:
        return rows
    # By identity: `in` would compare rows field by field (dataclass equality), and the
    # rows of one table differ by index anyway.
    taken = {id(r) for r in swap}
    return swap + [r for r in rows if id(r) not in taken]


_STORAGE_KINDS = {"fixed_disk", "network_disk", "removable_disk", "flash", "other"}
