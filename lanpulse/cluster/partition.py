"""Rendezvous (highest-random-weight) hashing: which member polls which device.

Every member computes the same answer from the same inputs with no coordination: a key
goes to the member with the highest hash of (member, key). Adding a member moves only the
keys it now wins (~1/N of them); removing one moves only the keys it had.

The key of a device is its topology root (the top of its `parent:` chain), so a parent and
all its children always share a member: parent suppression ("a dead switch is one page, not
fifty") and notification de-duplication stay inside one alert engine (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from lanpulse.core.model import Device


def weight(member: str, key: str) -> int:
    """The member's stable pseudo-random score for a key (64 bits)."""
    digest = hashlib.blake2b(f"{member}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(key: str, members: Iterable[str]) -> str:
    """The member that owns `key`; ties (never seen in 64 bits) go to the larger name."""
    best: tuple[int, str] | None = None
    for member in members:
        score = (weight(member, key), member)
        if best is None or score > best:
            best = score
    if best is None:
        raise ValueError("no members to own a key")
    return best[1]


def topology_root(name: str, parents: Mapping[str, str | None]) -> str:
    """The top of a device's `parent:` chain (itself when it has no parent).

    The config rejects cycles; the step bound keeps a cycle from looping anyway.
    """
    current = name
    for _ in range(len(parents) + 1):
        parent = parents.get(current)
        if parent is None or parent not in parents:
            return current
        current = parent
    return current


def shard(devices: Sequence[Device], members: Sequence[str], me: str) -> list[Device]:
    """The devices `me` polls among `members` (empty when `me` is not a member)."""
    if me not in members:
        return []
    parents = {d.name: d.parent for d in devices}
    return [d for d in devices if owner(topology_root(d.name, parents), members) == me]


def worker_names(count: int) -> list[str]:
    """The member names of N local workers."""
    return [f"worker-{k}" for k in range(count)]
