"""Composition root of the polling daemon: config -> scheduler -> pollers -> sinks.

Signals: SIGTERM/SIGINT stop scheduling, let in-flight polls finish within a deadline,
flush the writer and exit 0. SIGHUP re-reads the configuration, validates it, and only
then swaps it in: devices added or removed take effect without a restart, and an invalid
file is reported in one line while the old configuration keeps running.

(~750 lines: the composition root, the one module that knows every package, wires each
subsystem (sinks, alerts, traps, agents, rollups, roles, web, discovery) with a few lines
and starts, reloads and stops them in order. The subsystems themselves live in their
packages; splitting the wiring would spread the start/stop order over several files. Two
pieces of wiring that own state and read only a few inputs live next to it:
`port_attachments.py` (which device is on which switch port, the alert topology and the
`device_port` samples that follow, ~140 lines) and `agent_hosts.py` (the agent hosts on
the status page, ~75 lines).)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lanpulse.core.errors import ConfigError, ConfigErrors, LanpulseError
from lanpulse.core.model import Device, Sample, now_ns
from lanpulse.core.repeat_log import RepeatLog
from lanpulse.daemon.agent_hosts import AgentHostsView
from lanpulse.daemon.port_attachments import PortAttachments
from lanpulse.parsers.merge import merge_sources
from lanpulse.parsers.roles import PortNeighbors, RoleTagger
from lanpulse.pipeline.alerting import AlertSink
from lanpulse.pipeline.poll import DeviceState, SnmpPoller
from lanpulse.pipeline.scheduler import PollScheduler
from lanpulse.pipeline.selfmon import prometheus_text, self_sample
from lanpulse.pipeline.traps import TrapService, load_trap_maps_of

if TYPE_CHECKING:
    from lanpulse.alerts.service import AlertingService
    from lanpulse.collectors.cli import CliCollector
    from lanpulse.config.influx import InfluxSettings, SpoolSettings
    from lanpulse.config.settings import LoadedConfig, Settings
    from lanpulse.discovery.attachments import Attachments
    from lanpulse.pipeline.agents import AgentService
    from lanpulse.timeseries.retention_v1 import RetentionPolicy
    from lanpulse.web.estate import EstateView
    from lanpulse.web.server import WebServer
    from lanpulse.web.status import LocalStatus

log = logging.getLogger("lanpulse.daemon")


class Stage(Protocol):
    """What the daemon starts, stops and reads counters from: every sink and the alert engine."""

    async def start(self) -> None:
        """Start background work."""
        ...

    async def stop(self, deadline_s: float) -> bool:
        """Flush what can be flushed within the deadline; keep the rest durable."""
        ...

    def stats(self) -> StatsLike:
        """Counters for self-monitoring."""
        ...


class SampleSink(Stage, Protocol):
    """Where polled samples go: the spool-backed shipper, the rollup stage..."""

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Accept samples without blocking the poll loop; False when they were dropped."""
        ...

    def submit_lines_nowait(self, lines: list[str]) -> bool:
        """Accept ready line protocol (agents' unmapped points, nanosecond timestamps);
        False when it was dropped. A sink that has no use for raw lines returns True."""
        ...

    def backlog(self) -> float:
        """How full the sink is, 0..1 (agents' pushes are refused with 503 above a limit)."""
        ...


class StatsLike(Protocol):
    """Anything with numeric counters."""

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value."""
        ...


@dataclass
class DaemonStats:
    """What the daemon counts beyond scheduling."""

    samples: int = 0
    reloads: int = 0
    reload_failures: int = 0
    started_at: float = field(default_factory=time.monotonic)


class Daemon:
    """The long-running polling service."""

    def __init__(
        self,
        config_path: str,
        sinks: Sequence[SampleSink] | None = None,
        clock_ns: Callable[[], int] = now_ns,
        selfmon_interval_s: float | None = None,
        shutdown_deadline_s: float | None = None,
        http: bool = True,
    ) -> None:
        self.config_path = config_path
        self.http = http  # False: `lanpulse run --no-http`, no endpoint at all
        self.loaded = self._load_config()
        self.clock_ns = clock_ns
        daemon_settings = self.loaded.settings.daemon
        self.selfmon_interval_s = selfmon_interval_s or daemon_settings.selfmon_interval
        self.shutdown_deadline_s = shutdown_deadline_s or daemon_settings.shutdown_deadline
        self.stats = DaemonStats()
        self.states: dict[str, DeviceState] = {}
        # The daemon's own shipper (index 0) follows `influxdb:`/`spool:` on reload.
        self._own_shipper = sinks is None
        self.sinks: list[SampleSink] = list(sinks) if sinks is not None else self._default_sinks()
        # The agent hosts on the status page; the agent service reports their pushes to it.
        self.agent_hosts = AgentHostsView(lambda: self.loaded)
        self.agents = self._agent_service()
        registry = self.agents.registry if self.agents else None
        self.agent_hosts.registry = registry
        # Which device is on which switch port, and the alert topology that follows.
        self.ports = PortAttachments(
            lambda: self.loaded,
            registry,
            self.states,
            lambda parents, groups: self.alerting.service.engine.set_topology(parents, groups),
            self.emit,
            self.clock_ns,
        )
        self.alerting = self._alert_sink()
        # What LLDP/CDP saw on each port: observed state, kept across reloads.
        self.port_neighbors = PortNeighbors()
        self.roles = self._role_tagger()
        self._stop = asyncio.Event()
        self._reload_requested = asyncio.Event()
        self.instance = socket.gethostname()
        settings = self.loaded.settings
        self.scheduler = PollScheduler(self.poll_device, settings.daemon.max_concurrent_polls)
        self.poller: SnmpPoller | None = None
        self.cli_collector: CliCollector | None = None
        self._ssh_problems = RepeatLog(logging.getLogger("lanpulse.ssh"))
        self._tasks_keepalive: set[asyncio.Task[object]] = set()
        self.web: WebServer | None = None
        self.estate: EstateView | None = None  # the status page's state, with the endpoint
        self._status: LocalStatus | None = None
        self.ready = False  # alert state loaded and polling started (a worker reports it)
        self.on_outcome: list[Callable[[Device, Sequence[Sample]], None]] = []
        self.traps = TrapService(self.emit, self.scheduler.poll_now, self.on_outcome)
        self.trap_maps = load_trap_maps_of(self.loaded)

    def _load_config(self) -> LoadedConfig:
        """Read and validate the configuration file (a cluster worker adapts it)."""
        from lanpulse.config.loader import load_config

        return load_config(self.config_path)

    def _default_sinks(self) -> list[SampleSink]:
        from lanpulse.timeseries.factory import build_shipper
        from lanpulse.timeseries.rollup_target import raw_policies

        settings = self.loaded.settings
        raw = build_shipper(
            settings.influxdb,
            settings.spool,
            clock_ns=self.clock_ns,
            retention_policies=raw_policies(settings.influxdb, settings.rollups),
        )
        return [raw, *self._rollup_sinks()]

    def _rollup_sinks(self) -> list[SampleSink]:
        """The rollup stage (docs/capacity.md) with its own shipper, when enabled."""
        from lanpulse.pipeline.rollups import RollupSink
        from lanpulse.timeseries.rollup_target import build_rollup_shipper

        settings = self.loaded.settings
        if not settings.rollups.enabled:
            return []
        shipper = build_rollup_shipper(
            settings.influxdb, settings.spool, settings.rollups, clock_ns=self.clock_ns
        )
        return [RollupSink(settings.rollups, shipper, clock_ns=self.clock_ns)]

    def _role_tagger(self) -> RoleTagger | None:
        """Interface roles (docs/capacity.md): overrides, configured rules, built-in ones."""
        from lanpulse.pipeline.roles import build_role_tagger

        loaded = self.loaded
        return build_role_tagger(
            loaded.settings.roles, loaded.devices, self.port_neighbors, self._profile_of
        )

    def _profile_of(self, device: str) -> str | None:
        """The profile a device's polls use (for role rules naming profiles)."""
        state = self.states.get(device)
        return state.facts()[0] or None if state is not None else None

    def _agent_service(self) -> AgentService | None:
        """The push receiver for agents (`agents:`), None without that section."""
        settings = self.loaded.settings.agents
        if settings is None:
            return None
        from lanpulse.pipeline.agents import AgentService

        return AgentService(
            settings,
            emit=self.emit,
            passthrough=self._write_lines,
            backlog=self._backlog,
            base_dir=self.loaded.base_dir,
            clock_ns=self.clock_ns,
            observe=self.agent_hosts.observe,
        )

    def _write_lines(self, lines: list[str]) -> bool:
        """Ready line protocol (agents' unmapped points) for the sinks that take it."""
        ok = True
        for sink in self.sinks:
            ok = sink.submit_lines_nowait(lines) and ok
        return ok

    def _backlog(self) -> float:
        """How full the fullest time-series sink is (0..1): agents' back-pressure."""
        return max((sink.backlog() for sink in self.sinks), default=0.0)

    def _alert_sink(self) -> AlertSink:
        """The alert engine over the shipped packs plus the configured rule files."""
        return AlertSink(self._alert_service(), self._write, clock_ns=self.clock_ns)

    def _alert_service(self) -> AlertingService:
        """Build the alerting service from the config file (raises ConfigError if invalid)."""
        from lanpulse.alerts.configsrc import alerting_config_of
        from lanpulse.alerts.service import AlertingService

        cfg = alerting_config_of(self.loaded)
        devices = self.loaded.devices
        return AlertingService.from_settings(
            cfg.settings,
            cfg.rules.rules,
            base_dir=cfg.base_dir,
            parents=self.ports.parents(),
            groups={d.name: d.group for d in devices if d.group},
            clock=self.clock_ns,
            grafana=self.loaded.settings.grafana,
            directory={
                d.name: {"address": d.address, "group": d.group or "", **d.labels} for d in devices
            },
            status_url=self.loaded.settings.web.external_url,
        )

    def _write(self, samples: Sequence[Sample]) -> None:
        """Samples for the time-series sinks only (the engine's own `alert` samples)."""
        self._submit(samples)

    def _submit(self, samples: Sequence[Sample]) -> bool:
        """`_write`, saying whether every sink took the samples."""
        self.stats.samples += len(samples)
        ok = True
        for sink in self.sinks:
            ok = sink.submit_nowait(samples) and ok
        return ok

    @property
    def attachments(self) -> Attachments:
        """Which device is on which switch port (the newest join: `PortAttachments`)."""
        return self.ports.attachments

    @property
    def devices(self) -> tuple[Device, ...]:
        """The devices of the configuration in force."""
        return tuple(self.loaded.devices)

    def emit(self, samples: Sequence[Sample]) -> bool:
        """Fan a poll's samples out to the time-series sinks and the alert engine; False
        when a time-series sink dropped them (a push is then refused with 503)."""
        ok = self._submit(samples)
        self.alerting.submit_nowait(samples)
        return ok

    async def poll_device(self, device: Device) -> bool:
        """Poll one device (SNMP, SSH-CLI or both) and hand its samples on; True when it
        answered."""
        samples: list[Sample] = []
        errors = 0
        cli_samples: list[Sample] | None = None
        snmp_part = self._poll_snmp(device) if device.snmp is not None else None
        cli_part = self._poll_cli(device) if device.ssh is not None else None
        if snmp_part is not None and cli_part is not None:
            (samples, snmp_errors), (cli_samples, cli_errors) = await asyncio.gather(
                snmp_part, cli_part
            )
            errors = snmp_errors + len(cli_errors)
            samples = merge_sources(samples, cli_samples, device.prefer)
        elif snmp_part is not None:
            samples, errors = await snmp_part
        elif cli_part is not None:
            samples, cli_errors = await cli_part
            errors = len(cli_errors)
        self.scheduler.stats.poll_errors += errors
        if self.roles is not None:
            samples = list(self.roles.apply(samples))
        self.emit(samples)
        for hook in self.on_outcome:
            hook(device, samples)
        return any(s.measurement == "device" and s.fields.get("up") == 1 for s in samples)

    async def _poll_snmp(self, device: Device) -> tuple[list[Sample], int]:
        assert self.poller is not None
        state = self.states.setdefault(device.name, DeviceState())
        report = await self.poller.poll(device, state)
        return list(report.outcome.samples), len(report.outcome.errors)

    async def _poll_cli(self, device: Device) -> tuple[list[Sample], list[str]]:
        from lanpulse.collectors.cli import CliCollector
        from lanpulse.pipeline.cli_poll import poll_cli_device_async

        if self.cli_collector is None:
            self.cli_collector = CliCollector()
        return await poll_cli_device_async(device, self.cli_collector, problems=self._ssh_problems)

    def all_stats(self) -> dict[str, float]:
        """Every counter, for the `lanpulse` measurement and /metrics."""
        s = self.scheduler.stats
        out: dict[str, float] = {
            "devices": len(self.scheduler.devices),
            "polls": s.polls,
            "polls_failed": s.polls_failed,
            "polls_skipped": s.polls_skipped,
            "poll_errors": s.poll_errors,
            "deadline_exceeded": s.deadline_exceeded,
            "in_flight": s.in_flight,
            "samples": self.stats.samples,
            "reloads": self.stats.reloads,
            "reload_failures": self.stats.reload_failures,
            "uptime_seconds": time.monotonic() - self.stats.started_at,
        }
        out.update(self.scheduler.overload_fields())
        stages: list[Stage] = [*self.sinks, self.alerting]
        for sink in stages:
            out.update(sink.stats().as_fields())
        out.update(self.traps.as_fields())
        if self.agents is not None:
            out.update(self.agents.stats())
        return out

    def healthy(self) -> bool:
        """False (`/healthz` 503) when data is at risk: held in memory because the spool disk
        refuses it, dropped within the last few minutes, or (with a database) not taken by
        InfluxDB for `unhealthy_after`. Without an `influxdb` section the spool is the store,
        so its age says nothing.
        """
        stats = self.all_stats()
        if stats.get("spool_degraded", 0):
            return False
        if self.loaded.settings.influxdb is None:
            return True
        return stats.get("spool_age_seconds", 0.0) < self.loaded.settings.daemon.unhealthy_after

    def metrics_text(self) -> str:
        """`/metrics`: the daemon's counters, then the notifiers' per receiver."""
        return prometheus_text(self.all_stats()) + self.alerting.notifier_metrics()

    def local_status(self) -> LocalStatus:
        """What the status page reads of this process (made once: it follows every poll)."""
        from lanpulse.web.endpoints_view import PortEndpoints
        from lanpulse.web.estate import EstateView
        from lanpulse.web.status import LocalStatus

        if self._status is None:
            self.estate = EstateView(
                facts=lambda name: self.states.get(name, DeviceState()).facts()
            )
            self.agent_hosts.estate = self.estate  # pushing hosts on the page from now on
            self.estate.set_devices(
                self.agent_hosts.estate_devices(self.owned(self.loaded.devices))
            )
            self.on_outcome.append(self.estate.observe)
            endpoints_file = Path(self.loaded.settings.discovery.endpoints.file)
            self._status = LocalStatus(
                self.estate,
                stats=lambda: {**self.all_stats(), "notifiers": self.alerting.notifier_health()},
                healthy=self.healthy,
                control=self.alerting.control,
                config_path=os.path.abspath(self.config_path),
                ports=PortEndpoints(endpoints_file, attachments=lambda: self.ports.attachments),
            )
        return self._status

    async def _start_web(self) -> None:
        """The HTTP endpoint; WebStartError (one line, the daemon does not run) when its
        address cannot be used."""
        from lanpulse.web.server import Endpoints, WebServer

        listen = self.loaded.settings.daemon.http_listen
        if not self.http or not listen:
            return
        status = self.local_status()
        endpoints = Endpoints(
            stats=status.stats,
            healthy=self.healthy,
            metrics_text=self.metrics_text,
            control=self.alerting.control,
            status=status,
        )
        self.web = WebServer(listen, endpoints, self.loaded.settings.web, self.loaded.base_dir)
        await self.web.start()

    def owned(self, devices: Sequence[Device]) -> list[Device]:
        """The devices this process polls (a worker: its shard)."""
        return list(devices)

    def _apply_devices(self, devices: Sequence[Device]) -> None:
        if self.estate is not None:  # the page shows what this process polls (and agents)
            self.estate.set_devices(self.agent_hosts.estate_devices(devices))
        new = {d.name: d for d in devices if d.snmp is not None or d.ssh is not None}
        for name in list(self.scheduler.devices):
            if name not in new:
                self.scheduler.remove(name)
                self.states.pop(name, None)
                log.info("device %s removed", name)
        for name, device in new.items():
            old = self.scheduler.devices.get(name)
            if old == device:
                continue
            if old is not None and (old.address, old.port, old.profile) != (
                device.address,
                device.port,
                device.profile,
            ):
                self.states.pop(name, None)  # another device now: forget its counters
            self.scheduler.add(device)
            log.info("device %s %s", name, "changed" if old else "added")

    async def reload(self) -> bool:
        """Re-read and validate the config; swap it in only when valid.

        Applied: inventory, alerting, profiles (re-read from `profiles_dirs`), `influxdb:`
        and `spool:` (see `timeseries.factory.reconfigure`), `rollups:` (`_apply_rollups`),
        roles, label refresh. Read only at
        start: `daemon.http_listen`, `daemon.max_concurrent_polls`, `spool.queue_max`.
        """
        from lanpulse.config.profiles import load_profiles

        previous = self.loaded
        try:
            self.loaded = self._load_config()
            service = self._alert_service()
            trap_maps = load_trap_maps_of(self.loaded)
            profiles = load_profiles(self.loaded.settings.profiles_dirs)
            if self._own_shipper and self.loaded.settings.influxdb is not None:
                from lanpulse.timeseries.factory import build_writer

                await build_writer(self.loaded.settings.influxdb).close()  # secrets readable?
        except ConfigErrors as exc:
            self.loaded = previous
            return self._reject(exc.errors[0].one_line() if exc.errors else str(exc))
        except ConfigError as exc:
            self.loaded = previous
            return self._reject(exc.one_line())
        if self.poller is not None:
            self.poller.label_refresh_polls = self.loaded.settings.daemon.label_refresh_polls
            self.poller.replace_profiles(profiles)
            for state in self.states.values():  # choose again among the new profiles
                state.selection, state.plan = None, None
        await self._apply_storage(previous.settings)
        await self._apply_rollups(previous.settings)
        await self.alerting.replace(service, self.shutdown_deadline_s)
        if self.web is not None:  # tokens follow the file (listen address and TLS: restart)
            self.web.auth.set_tokens(self.loaded.settings.web.tokens)
        self.roles = self._role_tagger()
        self._apply_devices(self.loaded.devices)
        self.trap_maps = trap_maps
        await self.traps.reload(previous.settings.traps, self.loaded, trap_maps)
        self.stats.reloads += 1
        log.info("configuration reloaded: %d devices", len(self.loaded.devices))
        return True

    async def _apply_storage(self, previous: Settings) -> None:
        settings = self.loaded.settings
        if not self._own_shipper:
            return
        from lanpulse.timeseries.factory import build_writer, reconfigure
        from lanpulse.timeseries.rollup_target import raw_policies
        from lanpulse.timeseries.shipper import Shipper

        policies = raw_policies(settings.influxdb, settings.rollups)
        shipper = self.sinks[0]
        assert isinstance(shipper, Shipper)
        try:
            if (settings.influxdb, settings.spool) != (previous.influxdb, previous.spool):
                self.sinks[0] = await reconfigure(
                    shipper,
                    (previous.influxdb, previous.spool),
                    (settings.influxdb, settings.spool),
                    stop_deadline_s=self.shutdown_deadline_s,
                    clock_ns=self.clock_ns,
                    retention_policies=policies,
                )
                log.info("influxdb and spool settings applied")
            elif settings.influxdb and policies != raw_policies(
                previous.influxdb, previous.rollups
            ):
                # rollups.raw_retention & co.: a writer that sets the policies up again.
                await shipper.set_writer(build_writer(settings.influxdb, policies))
                log.info("raw retention settings applied")
        except LanpulseError as exc:  # the new spool directory cannot be opened, ...
            log.error("influxdb/spool settings not applied, keeping the running ones: %s", exc)

    async def _apply_rollups(self, previous: Settings) -> None:
        """A reloaded `rollups:` section (docs/capacity.md): the stage on or off, its
        aggregation (RollupSink.reconfigure), its shipper's database, policy and spool."""
        from lanpulse.pipeline.rollups import RollupSink
        from lanpulse.timeseries.factory import build_writer, reconfigure
        from lanpulse.timeseries.shipper import Shipper

        settings = self.loaded.settings
        if not self._own_shipper:
            return
        stage = next((s for s in self.sinks if isinstance(s, RollupSink)), None)
        if stage is not None and not settings.rollups.enabled:
            self.sinks.remove(stage)
            await stage.stop(self.shutdown_deadline_s)  # open periods written, as at a stop
            log.info("rollups disabled")
            return
        if stage is None:
            if settings.rollups.enabled:
                try:
                    (new,) = self._rollup_sinks()
                    await new.start()
                except LanpulseError as exc:
                    log.error("rollups not enabled: %s", exc)
                    return
                self.sinks.append(new)
                log.info("rollups enabled")
            return
        old, now = previous.rollups, settings.rollups
        if (old.timezone, old.fields, old.grace) != (now.timezone, now.fields, now.grace):
            stage.reconfigure(now)
            log.info("rollups settings applied")

        before, after = _rollup_storage(previous), _rollup_storage(settings)
        if before == after:
            return
        shipper = stage.target
        assert isinstance(shipper, Shipper)
        (old_influx, old_spool, _), (influx, spool, policies) = before, after
        try:
            stage.target = await reconfigure(
                shipper,
                (old_influx, old_spool),
                (influx, spool),
                stop_deadline_s=self.shutdown_deadline_s,
                clock_ns=self.clock_ns,
                retention_policies=policies,
            )
            if (old_influx, old_spool) == (influx, spool) and influx is not None:
                # Only the retention changed: a writer that sets the policy up again.
                await shipper.set_writer(build_writer(influx, policies))
        except LanpulseError as exc:
            log.error("rollups storage settings not applied, keeping the running ones: %s", exc)
            return
        log.info("rollups storage settings applied")

    def _reject(self, reason: str) -> bool:
        self.stats.reload_failures += 1
        log.error("reload rejected, keeping the running config: %s", reason)
        return False

    def request_stop(self) -> None:
        """Begin a clean shutdown (SIGTERM/SIGINT)."""
        self._stop.set()

    def request_reload(self) -> None:
        """Reload at the next opportunity (SIGHUP)."""
        self._reload_requested.set()

    async def _selfmon_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.selfmon_interval_s)
            except TimeoutError:
                self.emit([self_sample(self.all_stats(), self.instance, self.clock_ns())])

    async def _predict_loop(self) -> None:
        """Predictive alert rules, fitted over the rollups every `rollups.predict_interval`."""
        from lanpulse.reports.predictive import predictive_loop

        await predictive_loop(
            lambda: self.loaded.settings,
            lambda: self.alerting.service.engine.rules,
            self.alerting.submit_nowait,
            self._stop,
            self.clock_ns,
        )

    async def _report_loop(self) -> None:
        """Capacity reports on the `reports.schedule` (docs/capacity.md)."""
        from lanpulse.reports.scheduled import scheduled_reports

        await scheduled_reports(lambda: self.loaded, self._stop, self.clock_ns)

    async def _reload_loop(self) -> None:
        while not self._stop.is_set():
            await self._reload_requested.wait()
            self._reload_requested.clear()
            if not self._stop.is_set():
                await self.reload()

    def _publish_dashboards(self) -> None:
        grafana = self.loaded.settings.grafana
        if grafana is None or not grafana.publish_on_start:
            return
        from lanpulse.dashboards.publisher import publish_on_start

        # In the background: a slow or absent Grafana must not delay the first polls.
        background_publish = asyncio.create_task(asyncio.to_thread(publish_on_start, grafana))
        self._tasks_keepalive.add(background_publish)
        background_publish.add_done_callback(self._tasks_keepalive.discard)

    async def _shut_down(self, background: list[asyncio.Task[None]]) -> None:
        """Stop scheduling at once, then finish within `shutdown_deadline` in all.

        Polls in flight get the deadline minus a reserve; the sinks get what is left, and the
        shipper puts whatever was not sent into the spool whatever the time left.
        """
        end = time.monotonic() + self.shutdown_deadline_s
        reserve = min(2.0, self.shutdown_deadline_s / 4)
        self.traps.stop()
        log.info("stopping: waiting up to %ss for in-flight polls", self.shutdown_deadline_s)
        cut = await self.scheduler.shutdown(end - reserve - time.monotonic())
        if cut:
            log.warning("%d polls did not finish before the shutdown deadline", cut)
        self.emit([self_sample(self.all_stats(), self.instance, self.clock_ns())])
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if self.agents is not None:
            await self.agents.stop()
        await self.alerting.stop(max((end - time.monotonic()) / 2, 0.0))
        for sink in self.sinks:
            await sink.stop(max(end - time.monotonic(), 0.0))
        if self.web is not None:
            await self.web.stop()

    async def run(self, *, install_signals: bool = True) -> int:
        """Run until stopped; returns the exit code.

        `install_signals=False` leaves the process's signal handlers alone (a daemon run
        inside another program or a test, stopped with `request_stop`).
        """
        from lanpulse.collectors.snmp.client import make_snmp_client
        from lanpulse.config.profiles import load_profiles

        loop = asyncio.get_running_loop()
        signals = (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, self.request_reload),
        )
        for sig, handler in signals if install_signals else ():
            loop.add_signal_handler(sig, handler)
        settings = self.loaded.settings
        try:
            await self._start_web()
        except BaseException:
            for sig, _ in signals if install_signals else ():
                loop.remove_signal_handler(sig)
            raise
        client = make_snmp_client()
        self.poller = SnmpPoller(
            client,
            load_profiles(settings.profiles_dirs),
            clock_ns=self.clock_ns,
            label_refresh_polls=settings.daemon.label_refresh_polls,
        )
        stages: list[Stage] = [*self.sinks, self.alerting]
        for sink in stages:
            await sink.start()
        if self.agents is not None:
            await self.agents.start()
        # Start-up is mostly synchronous: let a SIGTERM that came meanwhile reach its handler
        # (the loop reads the signal, then runs the handler: two turns) before any poll.
        for _ in range(2):
            await asyncio.sleep(0)
        if not self._stop.is_set():  # a SIGTERM during start-up: no poll ever starts
            self._apply_devices(self.loaded.devices)
            self.scheduler.start()
            await self.traps.start(self.loaded, self.trap_maps)
            self._publish_dashboards()
            log.info("lanpulse running: %d devices", len(self.scheduler.devices))
            self.ready = True
        background = [
            asyncio.create_task(self._selfmon_loop()),
            asyncio.create_task(self._reload_loop()),
            asyncio.create_task(self._predict_loop()),
            asyncio.create_task(self._report_loop()),
            asyncio.create_task(self.ports.run(self._stop)),
        ]
        if settings.discovery.interval is not None:
            # Scheduled discovery (docs/discovery.md): new devices come in through reload().
            from lanpulse.discovery.service import DiscoveryService

            found = DiscoveryService().run(lambda: self.loaded, self.emit, self.reload, self._stop)
            background.append(asyncio.create_task(found))
        await self._stop.wait()
        await self._shut_down(background)
        client.close()
        if self.cli_collector is not None:
            self.cli_collector.close()
        for sig, _ in signals if install_signals else ():
            loop.remove_signal_handler(sig)
        log.info("lanpulse stopped")
        return 0


def _rollup_storage(
    settings: Settings,
) -> tuple[InfluxSettings | None, SpoolSettings, tuple[RetentionPolicy, ...]]:
    """Where the rollup shipper writes: its `influxdb:` settings, spool and 1.x policies."""
    from lanpulse.timeseries.rollup_target import rollup_influx, rollup_policies, rollup_spool

    influx = settings.influxdb
    return (
        rollup_influx(influx, settings.rollups) if influx is not None else None,
        rollup_spool(settings.spool),
        rollup_policies(influx, settings.rollups),
    )
