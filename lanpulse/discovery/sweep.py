"""Subnet sweep: ask every address of the scope who it is, gently.

Each address gets the credential sets of its subnet in order until one answers. Requests
are paced by a token bucket charged for every datagram a request may cost (first try plus
retries), so a sweep never exceeds `rate` datagrams per second whatever the agents do;
`concurrency` bounds the requests waiting at once. Addresses come from a generator, so a
/16 holds no more than `concurrency` tasks in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import UnifiedSnmpClient
from lanpulse.config.profiles import ProfileSet
from lanpulse.core.errors import AuthError, CollectError
from lanpulse.core.model import SnmpCredentials, SnmpValue
from lanpulse.discovery.identify import IDENTITY_OIDS, SYS_DESCR, SYS_OBJECT_ID, SiteRules
from lanpulse.discovery.identify import identify as identify_answers
from lanpulse.discovery.records import FoundDevice
from lanpulse.discovery.scope import Scope

log = logging.getLogger("lanpulse.discovery")


@dataclass(frozen=True, slots=True)
class CredentialSet:
    """A named credential set as the sweep uses it (the name goes in the inventory)."""

    name: str
    credentials: SnmpCredentials


@dataclass(frozen=True, slots=True)
class Plan:
    """What to try at one address: its credential sets in order, and its subnet's site."""

    sets: tuple[CredentialSet, ...]
    site: str | None = None


class Pacer:
    """A token bucket: `rate` tokens a second, at most one second's worth saved up."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._tokens = 1.0
        self._last = clock()
        self._lock = asyncio.Lock()

    async def take(self, tokens: float) -> None:
        """Wait until `tokens` may be spent (requests are served in arrival order)."""
        async with self._lock:
            while True:
                now = self.clock()
                self._tokens = min(
                    max(self.rate, tokens), self._tokens + (now - self._last) * self.rate
                )
                self._last = now
                if self._tokens >= tokens:
                    self._tokens -= tokens
                    return
                await asyncio.sleep((tokens - self._tokens) / self.rate)


@dataclass(slots=True)
class SweepStats:
    """What a sweep did, for its summary line and the benchmark."""

    addresses: int = 0
    requests: int = 0
    answered: int = 0
    auth_failures: int = 0
    refused: int = 0  # addresses outside the scope that were asked for (never sent)
    seconds: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)


class Sweeper:
    """Sweeps addresses with one shared SNMP client (create inside the running loop)."""

    def __init__(
        self,
        client: UnifiedSnmpClient,
        profiles: ProfileSet,
        scope: Scope,
        *,
        rate: float,
        concurrency: int,
        sites: SiteRules | None = None,
        port: int = 161,
    ) -> None:
        self.client = client
        self.port = port
        self.profiles = profiles
        self.scope = scope
        self.pacer = Pacer(rate)
        self.concurrency = concurrency
        self.sites = sites
        self.stats = SweepStats()
        self._probes = profiles.probe_oids()

    async def sweep(
        self, addresses: Iterable[str], plan_for: Callable[[str], Plan]
    ) -> list[FoundDevice]:
        """Every answering agent among `addresses`, in address order of the input."""
        source = iter(addresses)
        found: dict[int, FoundDevice] = {}
        counter = iter(range(1 << 62))

        async def worker() -> None:
            for address in source:
                position = next(counter)
                device = await self.probe(address, plan_for(address))
                if device is not None:
                    found[position] = device

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
        return [found[k] for k in sorted(found)]

    async def probe(self, address: str, plan: Plan) -> FoundDevice | None:
        """Try the plan's credential sets in order; the device, or None when none answered."""
        if not self.scope.allows(address):
            self.stats.refused += 1
            log.warning("discovery: %s is outside the configured subnets, not sent", address)
            return None
        self.stats.addresses += 1
        for cred in plan.sets:
            target = SnmpTarget(address, address, self.port, cred.credentials)
            answers = await self._get(target, IDENTITY_OIDS)
            if answers is None or not (SYS_OBJECT_ID in answers or SYS_DESCR in answers):
                continue
            self.stats.answered += 1
            probes = await self._get(target, self._probes) if self._probes else None
            device = identify_answers(
                address,
                answers,
                credentials=cred.name,
                profiles=self.profiles,
                probes_answered=[o for o in self._probes if probes and o in probes],
                site=plan.site,
                sites=self.sites,
            )
            return replace(device, port=self.port)
        return None

    async def _get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue] | None:
        """One paced GET; None when the agent did not answer with these credentials."""
        per_pdu = max(1, self.client.get_batch_size)
        pdus = -(-len(oids) // per_pdu)
        # SNMPv3 first asks an unknown agent for its engine ID: count that exchange too.
        exchanges = 2 if target.credentials.version == "3" else 1
        await self.pacer.take(pdus * exchanges * (1 + target.credentials.retries))
        self.stats.requests += pdus
        try:
            return dict(await self.client.get(target, oids))
        except AuthError:
            self.stats.auth_failures += 1
            return None
        except CollectError as exc:
            kind = type(exc).__name__
            self.stats.failures[kind] = self.stats.failures.get(kind, 0) + 1
            return None
