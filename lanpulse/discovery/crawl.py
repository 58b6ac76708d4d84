"""LLDP/CDP crawl: from seed devices, follow neighbours' management addresses, level by level.

Each device reached is identified like a sweep does (`Sweeper.probe`: credential sets in
order, inside the scope only); its `parent` is the device it was first reached from, so a
crawl from the core builds the tree that alert dependencies need. Neighbours without a
management address, or with one outside the configured subnets, are listed, never sent to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lanpulse.collectors.base import SnmpTarget
from lanpulse.core.errors import CollectError
from lanpulse.discovery.identify import identity_key
from lanpulse.discovery.records import FoundDevice
from lanpulse.discovery.sweep import CredentialSet, Plan, Sweeper
from lanpulse.discovery.topology import Neighbour, columns, neighbours

NEIGHBOUR_TABLES = ("lldp_remote", "lldp_address", "cdp_cache")
# A walk's requests cannot be paced one by one through the client: charge a typical count.
WALK_COST = 4


@dataclass(slots=True)
class CrawlResult:
    """Devices reached (seeds first, then by level) and neighbours not followed."""

    found: list[FoundDevice] = field(default_factory=list)
    not_followed: list[str] = field(default_factory=list)
    links: list[tuple[str, int, Neighbour]] = field(default_factory=list)  # (device, port, n)


class Crawler:
    """Crawls with a sweeper's client, pacing and scope."""

    def __init__(self, sweeper: Sweeper, plan_for: Callable[[str], Plan]) -> None:
        self.sweeper = sweeper
        self.plan_for = plan_for

    async def crawl(self, seeds: Sequence[str], depth: int) -> CrawlResult:
        """Breadth-first from `seeds` (addresses) down to `depth` hops."""
        result = CrawlResult()
        seen_addresses: set[str] = set(seeds)
        seen_devices: set[str] = set()
        level: list[tuple[str, str | None]] = [(a, None) for a in dict.fromkeys(seeds)]
        for hop in range(depth + 1):
            if not level:
                break
            reached = await asyncio.gather(*(self._visit(a, p, hop) for a, p in level))
            following: list[tuple[str, str | None]] = []
            for address, (device, near) in zip((a for a, _ in level), reached, strict=True):
                if device is None:
                    result.not_followed.append(f"{address}: no SNMP answer")
                    continue
                key = identity_key(device) or f"address:{device.address}"
                if key in seen_devices:
                    continue  # one device reached on a second address
                seen_devices.add(key)
                result.found.append(device)
                for n in near:
                    result.links.append((device.name, n.local_port, n))
                    if hop == depth:
                        continue
                    who = n.sys_name or "?"
                    if n.address is None:
                        result.not_followed.append(f"{who} on {device.name}: no management address")
                    elif not self.sweeper.scope.allows(n.address):
                        result.not_followed.append(
                            f"{who} at {n.address} on {device.name}: outside the subnets, not sent"
                        )
                    elif n.address not in seen_addresses:
                        seen_addresses.add(n.address)
                        following.append((n.address, device.name))
            level = following
        return result

    async def _visit(
        self, address: str, parent: str | None, hop: int
    ) -> tuple[FoundDevice | None, list[Neighbour]]:
        plan = self.plan_for(address)
        device = await self.sweeper.probe(address, plan)
        if device is None:
            return None, []
        device = replace(device, source="sweep" if hop == 0 else "lldp", parent=parent)
        cred = next((c for c in plan.sets if c.name == device.credentials), None)
        near = await self.walk_neighbours(address, cred) if cred is not None else []
        if hop and near and all(n.protocol == "cdp" for n in near):
            device = replace(device, source="cdp")
        return device, near

    async def walk_neighbours(self, address: str, cred: CredentialSet) -> list[Neighbour]:
        """The LLDP and CDP neighbours of one device ([] when it has none or fails)."""
        if not self.sweeper.scope.allows(address):
            return []
        await self.sweeper.pacer.take(WALK_COST * (1 + cred.credentials.retries))
        target = SnmpTarget(address, address, self.sweeper.port, cred.credentials)
        try:
            walk = await self.sweeper.client.walk(target, columns(*NEIGHBOUR_TABLES))
        except CollectError:
            return []
        return neighbours(walk)
