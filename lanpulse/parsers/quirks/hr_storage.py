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
PSEUDO_FS = re.compile(r"^/(proc|sys|dev|dev/fd|dev/pts)$|^/(proc|sys)/|^/run/user/\d+$")


_WRAP = 2**32


def _units(value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value + _WRAP if value < 0 else value


def _kind(type_oid: object) -> str:
    """The storage kind of an hrStorageType value (an OID, usually as text)."""
    return TYPE_NAMES.get(str(type_oid).lstrip(".").removeprefix(HR_STORAGE_TYPES), "other")


_BUFFERS = "memory buffers"
_CACHED = "cached memory"


def route(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Compute sizes in bytes and send RAM/swap to `host`, volumes to `storage`."""
    out: list[Row] = []
    reclaimable, ordered = _scan(rows)
    memory_seen: set[str] = set()
    for row in ordered:
        extra = row.extra
        type_oid = extra.pop("type_oid", "")
        kind = _kind(type_oid)
        alloc = extra.pop("alloc_units", None)
        # Plain ints (the usual values) are wrapped inline, anything else via _units.
        v = extra.pop("size_units", None)
        size = (v + _WRAP if v < 0 else v) if type(v) is int else _units(v)
        v = extra.pop("used_units", None)
        used = (v + _WRAP if v < 0 else v) if type(v) is int else _units(v)
        if not isinstance(alloc, int) or alloc <= 0 or size is None:
            continue
        size_bytes = size * alloc
        used_bytes = used * alloc if used is not None else None
        if kind == "ram" or kind == "virtual_memory":
            # One host sample: the first RAM row ("Physical memory"; FreeBSD adds "Real
            # memory", the active part) and the swap row (see _scan) win.
            if kind in memory_seen:
                continue
            memory_seen.add(kind)
            row.measurement = "host"
            row.tags = {}
            if kind == "ram":
                row.fields = {"mem_total_bytes": size_bytes}
                if used_bytes is not None:
                    if 0 < reclaimable <= used_bytes:
                        used_bytes -= reclaimable
                    row.fields["mem_used_bytes"] = used_bytes
            else:
                # Windows' "Virtual Memory" is RAM plus page file; net-snmp's is swap. Both
                # are what the OS can page to, which is what capacity planning wants as swap.
                row.fields = {"swap_total_bytes": size_bytes}
                if used_bytes is not None:
                    row.fields["swap_used_bytes"] = used_bytes
        elif kind == "other" or (
            # Every pseudo file system pattern starts with "/": other names skip the regex.
            (descr := row.tags.get("volume", "")).startswith("/") and PSEUDO_FS.match(descr)
        ):
            # hrStorageOther is no volume: net-snmp's memory buffers/cache/shared memory,
            # printers' firmware ROM, NVRAM and flash (always 100 % used).
            continue
        else:
            if size_bytes == 0:
                continue  # empty drives, unmounted removable media
            row.tags["storage_type"] = kind if kind in _STORAGE_KINDS else "other"
            if used_bytes is None:
                row.fields = {"size_bytes": size_bytes}
            else:
                row.fields = {
                    "size_bytes": size_bytes,
                    "used_bytes": used_bytes,
                    "free_bytes": max(size_bytes - used_bytes, 0),
                    "used_pct": round(min(used_bytes / size_bytes * 100, 100.0), 2),
                }
        out.append(row)
    return out


def _scan(rows: list[Row]) -> tuple[int, list[Row]]:
    """Reclaimable memory bytes, and the rows with "Swap space" first (one pass).

    net-snmp's hrStorage "Physical memory" counts page cache and buffers as used, so a
    Linux host with a big cache looks full; its "Memory buffers" + "Cached memory" rows
    (used, reclaimable) let us take them out, the way `free` does. A negative or wrapped
    value (seen on FreeBSD builds) is not trusted. net-snmp's "Swap space" goes ahead of
    its "Virtual memory" (RAM plus swap), so that the swap row is the host's swap.
    """
    total = 0
    swap: list[Row] = []
    rest: list[Row] = []
    for row in rows:
        name = row.tags.get("volume", "").lower()
        (swap if "swap" in name else rest).append(row)
        if name in (_BUFFERS, _CACHED):
            alloc, used = row.extra.get("alloc_units"), row.extra.get("used_units")
            if isinstance(alloc, int) and isinstance(used, int) and alloc > 0 and used >= 0:
                total += alloc * used
    return total, (swap + rest if swap else rows)


_STORAGE_KINDS = {"fixed_disk", "network_disk", "removable_disk", "flash", "other"}
