"""Composition root of the polling daemon: config -> scheduler -> pollers -> sinks.

Signals: SIGTERM/SIGINT stop scheduling, let in-flight polls finish within a deadline,
flush the writer and exit 0. SIGHUP re-reads the configuration, validates it, and only
then swaps it in: devices added or removed take effect without a restart, and an invalid
file is reported in one line while the old configuration keeps running.
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
from typing import TYPE_CHECKING, Protocol

from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import Device, Sample, now_ns
from lanpulse.parsers.merge import merge_sources
from lanpulse.pipeline.alerting import AlertSink
from lanpulse.pipeline.poll import DeviceState, SnmpPoller
from lanpulse.pipeline.scheduler import PollScheduler
from lanpulse.pipeline.selfmon import prometheus_text, self_sample
from lanpulse.pipeline.traps import TrapService, load_trap_maps_of

if TYPE_CHECKING:
    from lanpulse.alerts.service import AlertingService
    from lanpulse.collectors.cli import CliCollector
    from lanpulse.web.estate import EstateView
    from lanpulse.web.server import WebServer

log = logging.getLogger("lanpulse.daemon")


class SampleSink(Protocol):
    """Where polled samples go: the spool-backed shipper, the alert engine's adapter..."""

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Accept samples without blocking the poll loop; False when they were dropped."""
        ...

    async def start(self) -> None:
        """Start background work."""
        ...

    async def stop(self, deadline_s: float) -> bool:
        """Flush what can be flushed within the deadline; keep the rest durable."""
        ...

    def stats(self) -> StatsLike:
        """Counters for self-monitoring."""
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
        from lanpulse.config.loader import load_config

        self.config_path = config_path
        self.http = http  # False: `lanpulse run --no-http`, no endpoint at all
        self.loaded = load_config(config_path)
        self.clock_ns = clock_ns
        daemon_settings = self.loaded.settings.daemon
        self.selfmon_interval_s = selfmon_interval_s or daemon_settings.selfmon_interval
        self.shutdown_deadline_s = shutdown_deadline_s or daemon_settings.shutdown_deadline
        self.stats = DaemonStats()
        self.states: dict[str, DeviceState] = {}
        self.sinks: list[SampleSink] = list(sinks) if sinks is not None else self._default_sinks()
        self.alerting = self._alert_sink()
        self._stop = asyncio.Event()
        self._reload_requested = asyncio.Event()
        self.instance = socket.gethostname()
        settings = self.loaded.settings
        self.scheduler = PollScheduler(self.poll_device, settings.daemon.max_concurrent_polls)
        self.poller: SnmpPoller | None = None
        self.cli_collector: CliCollector | None = None
        self._tasks_keepalive: set[asyncio.Task[object]] = set()
        self.web: WebServer | None = None
        self.estate: EstateView | None = None  # the status page's state, with the endpoint
        self.on_outcome: list[Callable[[Device, Sequence[Sample]], None]] = []
        self.traps = TrapService(self.emit, self.scheduler.poll_now, self.on_outcome)
        self.trap_maps = load_trap_maps_of(self.loaded)

    def _default_sinks(self) -> list[SampleSink]:
        from lanpulse.timeseries.factory import build_shipper

        settings = self.loaded.settings
        return [build_shipper(settings.influxdb, settings.spool, clock_ns=self.clock_ns)]

    def _alert_sink(self) -> AlertSink:
        """The alert engine over the shipped packs plus the configured rule files."""
        return AlertSink(self._alert_service(), self._write, clock_ns=self.clock_ns)

    def _alert_service(self) -> AlertingService:
        """Build the alerting service from the config file (raises ConfigError if invalid)."""
        from lanpulse.alerts.configsrc import load_alerting_config
        from lanpulse.alerts.service import AlertingService

        cfg = load_alerting_config(self.config_path)
        devices = self.loaded.devices
        return AlertingService.from_settings(
            cfg.settings,
            cfg.rules.rules,
            base_dir=cfg.base_dir,
            parents={d.name: d.parent for d in devices if d.parent},
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
        self.stats.samples += len(samples)
        for sink in self.sinks:
            sink.submit_nowait(samples)

    @property
    def devices(self) -> tuple[Device, ...]:
        """The devices of the configuration in force."""
        return tuple(self.loaded.devices)

    def emit(self, samples: Sequence[Sample]) -> None:
        """Fan a poll's samples out to the time-series sinks and the alert engine."""
        self._write(samples)
        self.alerting.submit_nowait(samples)

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
        return await poll_cli_device_async(device, self.cli_collector)

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
        for sink in [*self.sinks, self.alerting]:
            out.update(sink.stats().as_fields())
        out.update(self.traps.as_fields())
        return out

    def healthy(self) -> bool:
        """False (`/healthz` 503) when InfluxDB has not taken data for `unhealthy_after`.

        Without an `influxdb` section the spool is the store, so its age says nothing.
        """
        settings = self.loaded.settings
        if settings.influxdb is None:
            return True
        age = self.all_stats().get("spool_age_seconds", 0.0)
        return age < settings.daemon.unhealthy_after

    def metrics_text(self) -> str:
        """`/metrics`: the daemon's counters, then the notifiers' per receiver."""
        return prometheus_text(self.all_stats()) + self.alerting.notifier_metrics()

    async def _start_web(self) -> None:
        """The HTTP endpoint; WebStartError (one line, the daemon does not run) when its
        address cannot be used."""
        from lanpulse.web.estate import EstateView
        from lanpulse.web.server import Endpoints, WebServer

        listen = self.loaded.settings.daemon.http_listen
        if not self.http or not listen:
            return
        self.estate = EstateView(facts=lambda name: self.states.get(name, DeviceState()).facts())
        self.estate.set_devices(self.loaded.devices)
        self.on_outcome.append(self.estate.observe)
        endpoints = Endpoints(
            stats=lambda: {**self.all_stats(), "notifiers": self.alerting.notifier_health()},
            healthy=self.healthy,
            metrics_text=self.metrics_text,
            control=self.alerting.control,
            estate=self.estate,
            config_path=os.path.abspath(self.config_path),
            endpoints_file=self.loaded.base_dir / self.loaded.settings.discovery.endpoints.file,
        )
        self.web = WebServer(listen, endpoints, self.loaded.settings.web, self.loaded.base_dir)
        await self.web.start()

    def _apply_devices(self, devices: Sequence[Device]) -> None:
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
        """Re-read and validate the config (inventory and alerting); swap it in only when valid."""
        from lanpulse.config.loader import load_config

        previous = self.loaded
        try:
            self.loaded = load_config(self.config_path)
            service = self._alert_service()
            trap_maps = load_trap_maps_of(self.loaded)
        except ConfigErrors as exc:
            self.loaded = previous
            return self._reject(exc.errors[0].one_line() if exc.errors else str(exc))
        except ConfigError as exc:
            self.loaded = previous
            return self._reject(exc.one_line())
        if self.poller is not None:
            self.poller.label_refresh_polls = self.loaded.settings.daemon.label_refresh_polls
        await self.alerting.replace(service, self.shutdown_deadline_s)
        if self.web is not None:  # tokens follow the file (listen address and TLS: restart)
            self.web.auth.set_tokens(self.loaded.settings.web.tokens)
        self._apply_devices(self.loaded.devices)
        if self.estate is not None:
            self.estate.set_devices(self.loaded.devices)
        self.trap_maps = trap_maps
        await self.traps.reload(previous.settings.traps, self.loaded, trap_maps)
        self.stats.reloads += 1
        log.info("configuration reloaded: %d devices", len(self.loaded.devices))
        return True

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

    async def _reload_loop(self) -> None:
        while not self._stop.is_set():
            await self._reload_requested.wait()
            self._reload_requested.clear()
            if not self._stop.is_set():
                await self.reload()

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
        for sink in [*self.sinks, self.alerting]:
            await sink.start()
        self._apply_devices(self.loaded.devices)
        self.scheduler.start()
        await self.traps.start(self.loaded, self.trap_maps)
        if settings.grafana is not None and settings.grafana.publish_on_start:
            from lanpulse.dashboards.publisher import publish_on_start

            # In the background: a slow or absent Grafana must not delay the first polls.
            background_publish = asyncio.create_task(
                asyncio.to_thread(publish_on_start, settings.grafana)
            )
            self._tasks_keepalive.add(background_publish)
            background_publish.add_done_callback(self._tasks_keepalive.discard)
        log.info("lanpulse running: %d devices", len(self.scheduler.devices))
        background = [
            asyncio.create_task(self._selfmon_loop()),
            asyncio.create_task(self._reload_loop()),
        ]
        if settings.discovery.interval is not None:
            # Scheduled discovery (docs/discovery.md): new devices come in through reload().
            from lanpulse.discovery.service import DiscoveryService

            found = DiscoveryService().run(lambda: self.loaded, self.emit, self.reload, self._stop)
            background.append(asyncio.create_task(found))
        await self._stop.wait()
        self.traps.stop()
        log.info("stopping: waiting up to %ss for in-flight polls", self.shutdown_deadline_s)
        cut = await self.scheduler.shutdown(self.shutdown_deadline_s)
        if cut:
            log.warning("%d polls did not finish before the shutdown deadline", cut)
        self.emit([self_sample(self.all_stats(), self.instance, self.clock_ns())])
        for task in background:
            task.cancel()
        await self.alerting.stop(self.shutdown_deadline_s)
        for sink in self.sinks:
            await sink.stop(self.shutdown_deadline_s)
        if self.web is not None:
            await self.web.stop()
        client.close()
        if self.cli_collector is not None:
            self.cli_collector.close()
        for sig, _ in signals if install_signals else ():
            loop.remove_signal_handler(sig)
        log.info("lanpulse stopped")
        return 0
