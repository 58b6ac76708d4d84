"""One discovery run over a loaded configuration: the glue the CLI and the daemon share.

Builds the scope, the credential sets (named sets of the root `credentials:` section over
`defaults.snmp`, with discovery's own timeout and retries) and the per-address plans, then
runs sweeps, crawls and endpoint refreshes with one SNMP client per run.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import make_snmp_client
from lanpulse.config.devices import credential_set_snmp
from lanpulse.config.profiles import load_profiles
from lanpulse.config.settings import LoadedConfig
from lanpulse.core.errors import CollectError, ConfigError, ConfigErrors
from lanpulse.discovery.crawl import WALK_COST, Crawler
from lanpulse.discovery.endpoints import (
    ENDPOINT_TABLES,
    EndpointTable,
    PortSighting,
    arp_entries,
    locate,
    sightings,
)
from lanpulse.discovery.identify import SiteRules, fold_duplicates
from lanpulse.discovery.inventory_file import write
from lanpulse.discovery.records import FoundDevice
from lanpulse.discovery.scope import Scope
from lanpulse.discovery.sweep import CredentialSet, Plan, Sweeper, SweepStats
from lanpulse.discovery.topology import columns


def now_text(now: float | None = None) -> str:
    """ISO 8601 UTC to the second, as the inventory file records times."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class DiscoveryRun:
    """Discovery over one loaded configuration (`extra_subnets`: the CLI's --subnet)."""

    def __init__(self, loaded: LoadedConfig, extra_subnets: Sequence[str] = ()) -> None:
        self.loaded = loaded
        self.settings = settings = loaded.settings.discovery
        configured = Scope.parse([s.subnet for s in settings.subnets], what="discovery.subnets")
        extra = Scope.parse(extra_subnets)
        for net in extra.networks:
            if configured and not any(
                net.version == c.version and net.subnet_of(c)  # type: ignore[arg-type]
                for c in configured.networks
            ):
                raise ConfigError(
                    f"{net} is outside discovery.subnets ({configured}), expected a subnet "
                    "inside them: discovery only sends to the configured subnets",
                    key="--subnet",
                )
        self.sweep_scope = extra if extra else configured
        self.scope = Scope(configured.networks + extra.networks)
        self._subnets = sorted(
            settings.subnets, key=lambda s: -ipaddress.ip_network(s.subnet).prefixlen
        )
        self.sets = self._credential_sets()
        self.sites = SiteRules.of(settings.sites)
        self.profiles = load_profiles(loaded.profiles_dirs)
        self.stats = SweepStats()
        self.not_followed: list[str] = []

    # -- plans ---------------------------------------------------------------------------

    def _credential_sets(self) -> dict[str, CredentialSet]:
        root = self.loaded.settings.credentials
        wanted = list(self.settings.credentials)
        for subnet in self.settings.subnets:
            wanted.extend(subnet.credentials or ())
        sets: dict[str, CredentialSet] = {}
        for name in dict.fromkeys(wanted):  # names the loader checked (reference_problems)
            section = root[name]
            creds, problems = credential_set_snmp(name, section, self.loaded.settings.defaults)
            if problems:
                raise ConfigError(
                    problems[0].message, file=self.loaded.path, key=f"credentials.{name}"
                )
            creds = replace(creds, timeout_s=self.settings.timeout, retries=self.settings.retries)
            sets[name] = CredentialSet(name, creds)
        return sets

    def plan_for(self, address: str) -> Plan:
        """The credential sets (in order) and site of the most specific subnet holding it."""
        ip = ipaddress.ip_address(address)
        for subnet in self._subnets:
            if ip in ipaddress.ip_network(subnet.subnet):
                names = subnet.credentials or self.settings.credentials
                return Plan(tuple(self.sets[n] for n in names), subnet.site)
        return Plan(tuple(self.sets[n] for n in self.settings.credentials))

    def place(self, device: FoundDevice) -> FoundDevice:
        """The group for its class (`discovery.groups`), when it has none yet."""
        group = self.settings.groups.get(device.device_class or "")
        return replace(device, group=device.group or group)

    # -- sweeps and crawls -------------------------------------------------------------------

    def sweep_and_crawl(
        self,
        *,
        sweep: bool,
        seeds: Sequence[str] = (),
        depth: int | None = None,
        progress: TextIO | None = None,
    ) -> list[FoundDevice]:
        """Sweep the sweep scope and/or crawl from seeds; devices folded and placed."""
        if not sweep and not seeds:
            return []
        found = asyncio.run(self.discover(sweep=sweep, seeds=seeds, depth=depth))
        if progress is not None:
            s = self.stats
            print(
                f"discovery: {s.addresses} addresses asked, {s.answered} answered, "
                f"{len(found)} devices, {s.requests} requests in {s.seconds:.1f}s",
                file=progress,
            )
            for line in self.not_followed:
                print(f"  not followed: {line}", file=progress)
        return found

    async def discover(
        self, *, sweep: bool, seeds: Sequence[str] = (), depth: int | None = None
    ) -> list[FoundDevice]:
        """`sweep_and_crawl` inside a running loop (the daemon)."""
        if sweep and not self.sweep_scope:
            raise ConfigError("no subnet to sweep, expected --subnet or discovery.subnets")
        if not self.sets:
            raise ConfigError(
                "no credential set to try, expected discovery.credentials (names of the "
                "root `credentials:` section)",
                file=self.loaded.path,
                key="discovery.credentials",
            )
        addresses = [self._seed_address(s) for s in seeds]
        started = time.monotonic()
        try:
            return await self._discover(
                sweep, addresses, self.settings.depth if depth is None else depth
            )
        finally:
            self.stats.seconds = time.monotonic() - started

    async def _discover(self, sweep: bool, seeds: list[str], depth: int) -> list[FoundDevice]:
        client = make_snmp_client()
        try:
            sweeper = Sweeper(
                client,
                self.profiles,
                self.scope,
                rate=self.settings.rate,
                concurrency=self.settings.concurrency,
                sites=self.sites,
                port=self.settings.port,
            )
            sweeper.stats = self.stats
            found: list[FoundDevice] = []
            if seeds:
                crawled = await Crawler(sweeper, self.plan_for).crawl(seeds, depth)
                found.extend(crawled.found)
                self.not_followed = crawled.not_followed
            if sweep:
                found.extend(await sweeper.sweep(self.sweep_scope.hosts(), self.plan_for))
        finally:
            client.close()
        return [self._with_parent(self.place(d)) for d in fold_duplicates(found)]

    def _with_parent(self, device: FoundDevice) -> FoundDevice:
        """A device the crawl did not place hangs off the switch port its address is on."""
        if device.parent is not None:
            return device
        record = self.endpoint_table().port_of(device.address)
        if record is None or record.switch == device.name:
            return device
        return replace(device, parent=record.switch)

    def _seed_address(self, seed: str) -> str:
        for device in self.loaded.devices:
            if device.name == seed:
                seed = device.address
                break
        try:
            ipaddress.ip_address(seed)
        except ValueError:
            raise ConfigError(
                f"unknown seed {seed!r}, expected a device name of the inventory or an IP address",
                key="--seed",
            ) from None
        if not self.scope.allows(seed):
            raise ConfigError(
                f"seed {seed} is outside the subnets ({self.scope or 'none configured'}), "
                "expected an address inside discovery.subnets or --subnet",
                key="--seed",
            )
        return seed

    # -- endpoints -------------------------------------------------------------------------

    @property
    def endpoints_path(self) -> Path:
        """Where the endpoint table is kept."""
        return Path(self.settings.endpoints.file)

    def endpoint_table(self) -> EndpointTable:
        """The endpoint table as last saved."""
        return EndpointTable.load(self.endpoints_path)

    def refresh_endpoints(self, now: float | None = None) -> str:
        """Walk every switch of the inventory inside the scope; fold into the table; a summary."""
        return asyncio.run(self.refresh_endpoints_async(now))

    async def refresh_endpoints_async(self, now: float | None = None) -> str:
        """`refresh_endpoints` inside a running loop (the daemon)."""
        switches = [
            d
            for d in self.loaded.devices
            if d.snmp is not None and self._is_switch(d.device_class, d.profile)
        ]
        inside = [d for d in switches if self.scope.allows(d.address)]
        client = make_snmp_client()
        sweeper = Sweeper(client, self.profiles, self.scope, rate=self.settings.rate, concurrency=1)
        seen: list[PortSighting] = []
        uplinks: dict[str, set[int]] = {}
        arp: dict[str, str] = {}
        names = {d.name for d in switches}
        try:
            for device in inside:
                assert device.snmp is not None
                await sweeper.pacer.take(WALK_COST * (1 + device.snmp.retries))
                target = SnmpTarget(device.name, device.address, device.port, device.snmp)
                try:
                    walk = await client.walk(target, columns(*ENDPOINT_TABLES))
                except CollectError:
                    continue
                rows, ports = sightings(device.name, walk, names)
                seen.extend(rows)
                uplinks[device.name] = ports
                arp.update(arp_entries(walk))
        finally:
            client.close()
        table = self.endpoint_table()
        count = table.update(locate(seen, uplinks), arp, time.time() if now is None else now)
        table.save(self.endpoints_path)
        skipped = len(switches) - len(inside)
        note = f", {skipped} switches outside the subnets not asked" if skipped else ""
        return f"endpoints: {count} MACs on edge ports of {len(inside)} switches{note}"

    def _is_switch(self, device_class: str | None, profile: str | None) -> bool:
        if device_class is not None:
            return device_class == "switch"
        known = self.profiles.profiles.get(profile or "")
        return known is not None and known.device_class == "switch"

    # -- the inventory file ------------------------------------------------------------------

    def includes(self, output: Path) -> bool:
        """True when the configuration's `inventory:` list covers `output`."""
        target = output.resolve()
        for pattern in self.loaded.settings.inventory:
            full = (self.loaded.base_dir / Path(pattern).expanduser()).resolve()
            if full == target or fnmatch.fnmatch(str(target), str(full)):
                return True
        return False

    def write_checked(self, output: Path, entries: Sequence[Mapping[str, Any]]) -> None:
        """Write the inventory file; put the old one back if the configuration stops loading."""
        from lanpulse.config.loader import load_config

        previous = output.read_text(encoding="utf-8") if output.exists() else None
        write(output, entries)
        try:
            load_config(self.loaded.path)
        except ConfigErrors:
            if previous is None:
                output.unlink()
            else:
                output.write_text(previous, encoding="utf-8")
            raise
