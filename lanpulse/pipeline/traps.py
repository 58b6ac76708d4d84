"""Traps in the daemon: receiver -> device by source address -> `event` sample -> sinks,
plus an immediate extra poll of the device (rate-limited), so a linkDown shows in the
`interface` and `device` data within seconds instead of at the next interval.

Traps from addresses no device has are counted and logged once per address, never stored
(a sample needs its device). Samples of a burst are handed on once per event-loop turn.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanpulse.collectors.snmp.engine_state import FILE_NAME, new_engine_id, start_local_engine
from lanpulse.collectors.snmp.usm import LocalEngine, UsmUser
from lanpulse.collectors.trap_usm import TrapUsm, V3User
from lanpulse.collectors.traps import TrapReceiver, TrapStats, V3Decoder
from lanpulse.config.settings import LoadedConfig
from lanpulse.config.trapmaps import load_trap_maps
from lanpulse.config.traps import TrapsSettings
from lanpulse.core.model import Device, RawTrap, Sample
from lanpulse.core.trapmap import TrapMapSet
from lanpulse.parsers.traps import TrapParser

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT_S = 2.0
DEFAULT_CLASS = "other"  # until the device's first poll tells its class


@dataclass
class TrapPipelineStats:
    """Counters beyond the receiver's."""

    traps_unknown_source: int = 0
    trap_polls: int = 0
    trap_polls_limited: int = 0


class TrapPipeline:
    """Owns the receiver, the device index by address and the per-device re-poll clock."""

    def __init__(
        self,
        settings: TrapsSettings,
        maps: TrapMapSet,
        emit: Callable[[Sequence[Sample]], object],
        poll_now: Callable[[str], bool],
        v3: V3Decoder | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        engine: LocalEngine | None = None,
    ) -> None:
        self.settings = settings
        self.parser = TrapParser(maps)
        self.emit = emit
        self.poll_now = poll_now
        self.monotonic = monotonic
        self.stats = TrapPipelineStats()
        communities = [c.reveal().encode() for c in settings.community_secrets()]
        if v3 is None and settings.v3_users:
            v3 = trap_usm_for(settings, engine or LocalEngine(new_engine_id()))
        self.receiver = TrapReceiver(communities, self.handle, v3)
        self.bound: tuple[str, int] | None = None
        self._by_address: dict[str, Device] = {}
        self._base_tags: dict[str, dict[str, str]] = {}
        self._classes: dict[str, str] = {}
        self._last_poll: dict[str, float] = {}
        self._pending: list[Sample] = []
        self._unknown_logged: set[str] = set()

    async def start(self, devices: Sequence[Device]) -> None:
        """Index the devices and bind the listen address (an OSError when it cannot)."""
        await self.set_devices(devices)
        host, port = self.settings.address
        self.bound = await self.receiver.start(host, port)
        log.info("trap receiver listening on %s:%d", *self.bound)

    def close(self) -> None:
        """Stop receiving; samples still pending are handed on."""
        self.receiver.close()
        self._flush()

    async def set_devices(self, devices: Sequence[Device]) -> None:
        """Index devices by address (host names resolved once, here); call on reload too."""
        by_address: dict[str, Device] = {}
        names = [d for d in devices if not _is_ip(d.address)]
        resolved = await asyncio.gather(*(_resolve(d.address) for d in names))
        addresses = {d.name: [d.address] for d in devices if _is_ip(d.address)}
        addresses.update({d.name: found for d, found in zip(names, resolved, strict=True)})
        # Several devices behind one address (one agent, several ports): the first by name.
        for device in sorted(devices, key=lambda d: d.name):
            for address in addresses.get(device.name, []):
                by_address.setdefault(_canonical(address), device)
        self._by_address = by_address
        self._base_tags = {}
        self._last_poll = {k: v for k, v in self._last_poll.items() if k in addresses}

    def note_poll(self, device: Device, samples: Sequence[Sample]) -> None:
        """Learn a device's class from its polls (the profile decides it when unset)."""
        for sample in samples:
            cls = sample.tags.get("class")
            if sample.measurement == "device" and cls:
                if self._classes.get(device.name) != cls:
                    self._classes[device.name] = cls
                    self._base_tags.pop(device.name, None)
                return

    def handle(self, raw: RawTrap) -> None:
        """One accepted trap: an `event` sample, and perhaps an extra poll."""
        device = self._by_address.get(raw.source)
        if device is None:
            self.stats.traps_unknown_source += 1
            if raw.source not in self._unknown_logged and len(self._unknown_logged) < 10_000:
                self._unknown_logged.add(raw.source)
                log.warning("trap from %s, which is no configured device: ignored", raw.source)
            return
        base = self._base_tags.get(device.name)
        if base is None:
            base = self._base_tags[device.name] = self._tags_of(device)
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(self.parser.parse(raw, base))
        self._maybe_poll(device)

    def _tags_of(self, device: Device) -> dict[str, str]:
        cls = device.device_class or self._classes.get(device.name) or DEFAULT_CLASS
        return {**device.labels, "device": device.name, "class": cls}

    def _maybe_poll(self, device: Device) -> None:
        now = self.monotonic()
        last = self._last_poll.get(device.name)
        if last is not None and now - last < self.settings.repoll_min_interval:
            self.stats.trap_polls_limited += 1
            return
        if self.poll_now(device.name):
            self._last_poll[device.name] = now
            self.stats.trap_polls += 1
        else:
            self.stats.trap_polls_limited += 1

    def _flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.emit(batch)

    def as_fields(self) -> dict[str, int | float]:
        """Every trap counter, for self-monitoring."""
        return _fields(self.receiver.stats, self.stats)


def trap_usm_for(settings: TrapsSettings, engine: LocalEngine) -> TrapUsm:
    """The v3 side of the receiver for `traps.v3_users`, as the engine `engine`."""
    users = (
        V3User(
            UsmUser.from_credentials(u.credentials()),
            bytes.fromhex(u.engine_id) if u.engine_id else None,
        )
        for u in settings.v3_users
    )
    return TrapUsm(users, engine)


def _fields(receiver: TrapStats, pipeline: TrapPipelineStats) -> dict[str, int | float]:
    return {
        **receiver.as_fields(),
        "traps_unknown_source": pipeline.traps_unknown_source,
        "trap_polls": pipeline.trap_polls,
        "trap_polls_limited": pipeline.trap_polls_limited,
    }


def load_trap_maps_of(loaded: LoadedConfig) -> TrapMapSet | None:
    """The trap maps when `traps:` is configured (raises ConfigErrors if one is bad)."""
    traps = loaded.settings.traps
    if traps is None:
        return None
    return load_trap_maps(Path(d) for d in traps.maps_dirs)


OutcomeHook = Callable[[Device, Sequence[Sample]], None]


class TrapService:
    """The daemon's trap side across reloads: a `TrapPipeline` while `traps:` is configured
    and its address could be bound, else nothing (polling goes on either way)."""

    def __init__(
        self,
        emit: Callable[[Sequence[Sample]], object],
        poll_now: Callable[[str], bool],
        on_outcome: list[OutcomeHook],
    ) -> None:
        self.emit = emit
        self.poll_now = poll_now
        self.on_outcome = on_outcome
        self.pipeline: TrapPipeline | None = None
        # Counters are running totals since the daemon started: a restarted receiver
        # (a reload that changed `traps:`) continues them.
        self._totals: tuple[TrapStats, TrapPipelineStats] | None = None
        # lanpulse's SNMP engine (v3 informs): started once per daemon run (boots + 1), and
        # again only when a reload changes `traps.engine_id`.
        self.engine: LocalEngine | None = None

    async def start(self, loaded: LoadedConfig, maps: TrapMapSet | None) -> None:
        """Start receiving for `loaded` (nothing without `traps:`); a listen address that
        cannot be bound is logged."""
        settings = loaded.settings.traps
        if settings is None or maps is None:
            return
        engine = self._engine(loaded) if settings.v3_users else None
        pipeline = TrapPipeline(settings, maps, self.emit, self.poll_now, engine=engine)
        if self._totals is not None:
            pipeline.receiver.stats, pipeline.stats = self._totals
        try:
            await pipeline.start(loaded.devices)
        except OSError as exc:
            log.error(
                "traps.listen %s cannot be bound (%s): no traps received",
                settings.listen,
                exc.strerror or exc,
            )
            return
        self.pipeline = pipeline
        self.on_outcome.append(pipeline.note_poll)

    def _engine(self, loaded: LoadedConfig) -> LocalEngine:
        settings = loaded.settings
        assert settings.traps is not None
        configured = settings.traps.engine_id
        wanted = bytes.fromhex(configured) if configured else None
        if self.engine is None or (wanted is not None and wanted != self.engine.engine_id):
            state = Path(settings.spool.directory) / FILE_NAME
            self.engine = start_local_engine(state, wanted)
            log.info(
                "SNMP engine %s, boots %d (v3 informs)",
                self.engine.engine_id.hex(),
                self.engine.boots,
            )
        return self.engine

    def stop(self) -> None:
        """Stop receiving."""
        if self.pipeline is not None:
            self.on_outcome.remove(self.pipeline.note_poll)
            self.pipeline.close()
            self._totals = (self.pipeline.receiver.stats, self.pipeline.stats)
            self.pipeline = None

    async def reload(
        self, previous: TrapsSettings | None, loaded: LoadedConfig, maps: TrapMapSet | None
    ) -> None:
        """A changed `traps:` section restarts the receiver; else new maps and devices."""
        if previous != loaded.settings.traps or maps is None or self.pipeline is None:
            self.stop()
            await self.start(loaded, maps)
        else:
            self.pipeline.parser.maps = maps
            await self.pipeline.set_devices(loaded.devices)

    def as_fields(self) -> dict[str, int | float]:
        """The trap counters (none while no receiver ever ran)."""
        if self.pipeline is not None:
            return self.pipeline.as_fields()
        if self._totals is not None:
            return _fields(*self._totals)
        return {}


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _canonical(address: str) -> str:
    """The text form a datagram's source address has (IPv6 compressed, lower case)."""
    return str(ipaddress.ip_address(address)) if _is_ip(address) else address


async def _resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, TimeoutError):
        log.warning("trap receiver: cannot resolve %s; its traps will count as unknown", host)
        return []
    return sorted({str(info[4][0]) for info in infos})
