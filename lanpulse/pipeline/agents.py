"""Pushing agents as inventory: who they are, their `up` from staleness, and the ingest path.

A host joins when it first pushes (`register: auto`) or only when listed (`listed`). Its
`device` sample says `up = 1` with every push; when no push came for `stale_after`
intervals, the registry writes `up = 0` once per interval, so the ordinary `device_down`
rule fires, and a listed host's `parent` (its access switch) silences it while the switch is
down, as for polled devices. A listed host that never pushed is down too.

Ingest: text -> `core/lineprotocol_parse` -> per host `parsers/push` -> the daemon's sinks
(time series and alert engine); points without a mapping go through unchanged when
configured so. When a sink refuses, the request is answered 503 and the agent retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lanpulse.collectors.push import (
    PushOutcome,
    PushReceiver,
    PushRequest,
    TokenTable,
    tls_context,
)
from lanpulse.config.agents import AgentsSettings
from lanpulse.config.push_maps import load_push_maps
from lanpulse.config.secrets import resolve_path
from lanpulse.core.errors import ConfigError
from lanpulse.core.lineprotocol_parse import Point, parse_body
from lanpulse.core.model import Sample, make_sample, now_ns
from lanpulse.parsers.push import HostContext, PushMapper
from lanpulse.parsers.rates import RateState

log = logging.getLogger("lanpulse.agents")
NS = 1_000_000_000
MAC_TAG, IP_TAG = "mac", "ip"  # agent tags that say which network address is the host's


@dataclass(slots=True)
class AgentHost:
    """One pushing host: identity, topology, its counters' state and when it last pushed."""

    name: str
    device_class: str
    labels: dict[str, str]
    parent: str | None = None
    listed: bool = False
    last_seen_ns: int | None = None
    down_written_ns: int = 0  # when an `up = 0` sample was last written
    rates: RateState = field(default_factory=RateState)
    address: str | None = None  # the `ip` tag it sends, else its pushes' source address
    mac: str | None = None  # the `mac` tag it sends (Telegraf global_tags), if any

    def context(self) -> HostContext:
        """What the mapper needs to tag this host's samples."""
        return HostContext(self.name, self.device_class, self.labels)


class AgentRegistry:
    """The known agent hosts (listed ones from the config, others as they push)."""

    def __init__(self, settings: AgentsSettings, started_ns: int) -> None:
        self.settings = settings
        self.started_ns = started_ns
        self.hosts: dict[str, AgentHost] = {}
        self.identity_version = 0  # bumped when a host's address or MAC changes
        self._classes = [
            (tuple((t, re.compile(r)) for t, r in rule.match.items()), rule.device_class)
            for rule in settings.classes
        ]
        for entry in settings.hosts:
            self.hosts[entry.name] = AgentHost(
                entry.name,
                entry.device_class or self.classify(entry.name, {}),
                dict(entry.labels),
                entry.parent,
                listed=True,
            )

    def parents(self) -> dict[str, str]:
        """Host -> parent, for the alert engine's dependencies."""
        return {h.name: h.parent for h in self.hosts.values() if h.parent}

    def classify(self, name: str, tags: Mapping[str, str]) -> str:
        """The class of an auto-registered host: the first class rule whose tags all match."""
        for match, device_class in self._classes:
            if all(
                (value := (name if t == "host" else tags.get(t))) is not None
                and pattern.fullmatch(value)
                for t, pattern in match
            ):
                return device_class
        return self.settings.default_class

    def resolve(self, name: str, tags: Mapping[str, str]) -> AgentHost | None:
        """The host called `name`, registered now if allowed; None when it is not listed."""
        host = self.hosts.get(name)
        if host is not None:
            return host
        if self.settings.registration == "listed":
            return None
        labels = {t: tags[t] for t in self.settings.label_tags if tags.get(t)}
        host = AgentHost(name, self.classify(name, tags), labels)
        self.hosts[name] = host
        log.info("agent host %s registered (class %s)", name, host.device_class)
        return host

    def note_identity(self, host: AgentHost, peer: str, tags: Mapping[str, str]) -> None:
        """Remember what the host is known by on the network (docs/agents.md, "Which
        port"): its `mac` and `ip` tags when it sends them, else the push's source address."""
        address = tags.get(IP_TAG) or (peer if peer != "?" else None)
        mac = tags.get(MAC_TAG) or host.mac
        if (address, mac) != (host.address, host.mac):
            host.address, host.mac = address, mac
            self.identity_version += 1

    def stale_samples(self, now: int) -> list[Sample]:
        """`device up = 0` for each host silent for `stale_after` intervals (once per
        interval while it stays silent); a listed host that never pushed counts from start."""
        interval_ns = int(self.settings.interval * NS)
        limit = self.settings.stale_after * interval_ns
        out: list[Sample] = []
        for host in self.hosts.values():
            seen = host.last_seen_ns if host.last_seen_ns is not None else self.started_ns
            if now - seen < limit or now - host.down_written_ns < interval_ns:
                continue
            host.down_written_ns = now
            tags = {**host.labels, "device": host.name, "class": host.device_class}
            out.append(make_sample("device", tags, {"up": 0}, now))
        return out

    def down(self, now: int) -> int:
        """How many hosts are stale now."""
        limit = self.settings.stale_after * self.settings.interval * NS
        return sum(
            1
            for h in self.hosts.values()
            if now - (h.last_seen_ns if h.last_seen_ns is not None else self.started_ns) >= limit
        )


class AgentIngest:
    """The receiver's callback: parse, attribute to hosts, map, hand to the sinks."""

    def __init__(
        self,
        registry: AgentRegistry,
        mapper: PushMapper,
        emit: Callable[[Sequence[Sample]], bool],
        passthrough: Callable[[list[str]], bool],
        retry_after_s: float,
        observe: Callable[[AgentHost, Sequence[Sample]], None] = lambda _h, _s: None,
    ) -> None:
        self.observe = observe  # the status page's view of each host's newest samples
        self.registry = registry
        self.mapper = mapper
        self.emit = emit
        self.passthrough = passthrough
        self.retry_after_s = retry_after_s
        self.samples = 0
        self.unmapped = 0
        self.refused_values = 0

    def __call__(self, request: PushRequest) -> PushOutcome:
        points, errors = parse_body(request.text, request.precision, request.received_ns)
        refused = len(errors)
        host_refused = 0
        first = f"line {errors[0].line}: {errors[0].reason}" if errors else None
        by_host: dict[str, list[Point]] = {}
        loose: list[str] = []  # points without a host tag: nobody to map them to
        for point in points:
            name = point.tags.get("host")
            if name is None:
                if self.mapper.pass_unmapped:
                    loose.append(point.line_ns())
                else:
                    host_refused += 1
                    first = first or f"{point.measurement}: no host tag"
                continue
            by_host.setdefault(name, []).append(point)
        samples: list[Sample] = []
        lines = loose
        seen: list[tuple[AgentHost, Mapping[str, str], Sequence[Sample]]] = []
        for name, host_points in by_host.items():
            host = None
            if request.grant.allows(name):
                host = self.registry.resolve(name, host_points[0].tags)
                why = f"host {name!r} is not listed in agents.hosts"
            else:
                why = f"host {name!r} is not allowed for token {request.grant.name!r}"
            if host is None:
                host_refused += len(host_points)
                first = first or why
                continue
            mapped = self.mapper.map_host(host_points, host.context(), host.rates)
            samples.extend(mapped.samples)
            lines.extend(p.line_ns() for p in mapped.passthrough)
            self.unmapped += mapped.unmapped
            self.refused_values += mapped.refused_values
            seen.append((host, host_points[0].tags, mapped.samples))
        accepted = len(points) - host_refused
        if (samples and not self.emit(samples)) or (lines and not self.passthrough(lines)):
            return PushOutcome(0, refused, host_refused, first, self.retry_after_s)
        self.samples += len(samples)
        for host, tags, host_samples in seen:
            host.last_seen_ns = request.received_ns
            self.registry.note_identity(host, request.peer, tags)
            self.observe(host, host_samples)
        return PushOutcome(accepted, refused, host_refused, first)


class AgentService:
    """The receiver, the ingest and the staleness timer, owned by the daemon."""

    def __init__(
        self,
        settings: AgentsSettings,
        *,
        emit: Callable[[Sequence[Sample]], bool],
        passthrough: Callable[[list[str]], bool],
        backlog: Callable[[], float],
        base_dir: Path | None = None,
        map_dirs: Sequence[Path] = (),
        clock_ns: Callable[[], int] = now_ns,
        observe: Callable[[AgentHost, Sequence[Sample]], None] = lambda _h, _s: None,
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.observe = observe
        self.clock_ns = clock_ns
        self.base_dir = base_dir
        self.registry = AgentRegistry(settings, clock_ns())
        self._backlog = backlog
        dirs = [*map_dirs, *(resolve_path(d, base_dir) for d in settings.maps_dirs)]
        mapper = PushMapper(load_push_maps(dirs), pass_unmapped=settings.unmapped == "pass")
        self.ingest = AgentIngest(
            self.registry, mapper, emit, passthrough, settings.retry_after, observe
        )
        tokens = TokenTable(
            [(t.name, secret, t.hosts) for t in settings.tokens if (secret := t.secret())]
        )
        self.receiver = PushReceiver(
            tokens,
            self.ingest,
            backlog=self._room,
            max_body=settings.max_body,
            max_inflight=settings.max_inflight,
            clock_ns=clock_ns,
        )
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def _room(self) -> float | None:
        """None while the sinks have room; else the seconds agents should wait."""
        return self.settings.retry_after if self._backlog() >= self.settings.backlog_limit else None

    async def start(self) -> None:
        """Listen, and start the staleness timer."""
        tls = None
        if self.settings.tls is not None:
            cert = resolve_path(self.settings.tls.cert_file, self.base_dir)
            key = resolve_path(self.settings.tls.key_file, self.base_dir)
            try:
                tls = tls_context(str(cert), str(key))
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"cannot load the certificate or key ({exc}), expected PEM files",
                    key="agents.tls",
                ) from None
        s = self.settings
        try:
            await self.receiver.start(s.listen_host, s.listen_port, tls)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {s.listen} ({exc.strerror or exc}), expected a free "
                "local address",
                key="agents.listen",
            ) from None
        self._task = asyncio.create_task(self._stale_loop(), name="agents-staleness")

    async def _stale_loop(self) -> None:
        tick = min(self.settings.interval / 4, 5.0)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), tick)
            down = self.registry.stale_samples(self.clock_ns())
            if down:
                self.emit(down)
                for sample in down:
                    host = self.registry.hosts.get(sample.tags["device"])
                    if host is not None:
                        self.observe(host, [sample])

    async def stop(self) -> None:
        """Stop listening and the timer."""
        self._stop.set()
        if self._task is not None:
            await self._task
        await self.receiver.stop()

    def stats(self) -> dict[str, int | float]:
        """Receiver and ingest counters, hosts known and down."""
        out = self.receiver.stats.as_fields()
        out.update(
            {
                "agents": len(self.registry.hosts),
                "agents_down": self.registry.down(self.clock_ns()),
                "push_samples": self.ingest.samples,
                "push_unmapped": self.ingest.unmapped,
                "push_values_refused": self.ingest.refused_values,
            }
        )
        return out
