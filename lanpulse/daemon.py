"""Composition root of the polling daemon: config -> scheduler -> pollers -> sinks.

Signals: SIGTERM/SIGINT stop scheduling, let in-flight polls finish within a deadline,
flush the writer and exit 0. SIGHUP re-reads the configuration, validates it, and only
then swaps it in: devices added or removed take effect without a restart, and an invalid
file is reported in one line while the old configuration keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lanpulse.core.errors import ConfigError, ConfigErrors, LanpulseError
from lanpulse.core.model import Device, Sample, now_ns
from lanpulse.core.repeat_log import RepeatLog
from lanpulse.parsers.merge import merge_sources
from lanpulse.pipeline.alerting import AlertSink
from lanpulse.pipeline.poll import DeviceState, SnmpPoller
from lanpulse.pipeline.scheduler import PollScheduler
from lanpulse.pipeline.selfmon import HealthServer, self_sample

if TYPE_CHECKING:
    from lanpulse.alerts.service import AlertingService
    from lanpulse.collectors.cli import CliCollector
    from lanpulse.config.settings import Settings

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
    ) -> None:
        from lanpulse.config.loader import load_config

        self.config_path = config_path
        self.loaded = load_config(config_path)
        self.clock_ns = clock_ns
        daemon_settings = self.loaded.settings.daemon
        self.selfmon_interval_s = selfmon_interval_s or daemon_settings.selfmon_interval
        self.shutdown_deadline_s = shutdown_deadline_s or daemon_settings.shutdown_deadline
        self.stats = DaemonStats()
        self.states: dict[str, DeviceState] = {}
        # The daemon's own shipper (index 0) follows `influxdb:`/`spool:` on reload.
        self._own_shipper = sinks is None
        self.sinks: list[SampleSink] = list(sinks) if sinks is not None else self._default_sinks()
        self.alerting = self._alert_sink()
        self._stop = asyncio.Event()
        self._reload_requested = asyncio.Event()
        self.instance = socket.gethostname()
        settings = self.loaded.settings
        self.scheduler = PollScheduler(self.poll_device, settings.daemon.max_concurrent_polls)
        self.poller: SnmpPoller | None = None
        self.cli_collector: CliCollector | None = None
        self._ssh_problems = RepeatLog(logging.getLogger("lanpulse.ssh"))
        self._tasks_keepalive: set[asyncio.Task[object]] = set()
        self.health: HealthServer | None = None
        self.on_outcome: list[Callable[[Device, Sequence[Sample]], None]] = []

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
        for sink in [*self.sinks, self.alerting]:
            out.update(sink.stats().as_fields())
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
        """Re-read and validate the config; swap it in only when valid.

        Applied: inventory, alerting, profiles (re-read from `profiles_dirs`), `influxdb:`
        and `spool:` (see `timeseries.factory.reconfigure`), label refresh. Read only at
        start: `daemon.http_listen`, `daemon.max_concurrent_polls`, `spool.queue_max`.
        """
        from lanpulse.config.loader import load_config
        from lanpulse.config.profiles import load_profiles

        previous = self.loaded
        try:
            self.loaded = load_config(self.config_path)
            service = self._alert_service()
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
        await self.alerting.replace(service, self.shutdown_deadline_s)
        self._apply_devices(self.loaded.devices)
        self.stats.reloads += 1
        log.info("configuration reloaded: %d devices", len(self.loaded.devices))
        return True

    async def _apply_storage(self, previous: Settings) -> None:
        settings = self.loaded.settings
        if not self._own_shipper:
            return
        if (settings.influxdb, settings.spool) == (previous.influxdb, previous.spool):
            return
        from lanpulse.timeseries.factory import reconfigure
        from lanpulse.timeseries.shipper import Shipper

        shipper = self.sinks[0]
        assert isinstance(shipper, Shipper)
        try:
            self.sinks[0] = await reconfigure(
                shipper,
                (previous.influxdb, previous.spool),
                (settings.influxdb, settings.spool),
                stop_deadline_s=self.shutdown_deadline_s,
                clock_ns=self.clock_ns,
            )
        except LanpulseError as exc:  # the new spool directory cannot be opened, ...
            log.error("influxdb/spool settings not applied, keeping the running ones: %s", exc)
            return
        log.info("influxdb and spool settings applied")

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
        log.info("stopping: waiting up to %ss for in-flight polls", self.shutdown_deadline_s)
        cut = await self.scheduler.shutdown(end - reserve - time.monotonic())
        if cut:
            log.warning("%d polls did not finish before the shutdown deadline", cut)
        self.emit([self_sample(self.all_stats(), self.instance, self.clock_ns())])
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await self.alerting.stop(max((end - time.monotonic()) / 2, 0.0))
        for sink in self.sinks:
            await sink.stop(max(end - time.monotonic(), 0.0))
        if self.health:
            await self.health.stop()

    async def run(self, *, install_signals: bool = True) -> int:
        """Run until stopped; returns the exit code.

        `install_signals=False` leaves the process's signal handlers alone (a daemon run
        inside another program or a test, stopped with `request_stop`).
        """
        from lanpulse.collectors.snmp_auto import make_snmp_client
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
        client = make_snmp_client()
        self.poller = SnmpPoller(
            client,
            load_profiles(settings.profiles_dirs),
            clock_ns=self.clock_ns,
            label_refresh_polls=settings.daemon.label_refresh_polls,
        )
        for sink in [*self.sinks, self.alerting]:
            await sink.start()
        # Start-up is mostly synchronous: let a SIGTERM that came meanwhile reach its handler
        # (the loop reads the signal, then runs the handler: two turns) before any poll.
        for _ in range(2):
            await asyncio.sleep(0)
        if settings.daemon.http_listen and not self._stop.is_set():
            self.health = HealthServer(settings.daemon.http_listen, self.all_stats, self.healthy)
            await self.health.start()
        if not self._stop.is_set():  # a SIGTERM during start-up: no poll ever starts
            self._apply_devices(self.loaded.devices)
            self.scheduler.start()
            self._publish_dashboards()
            log.info("lanpulse running: %d devices", len(self.scheduler.devices))
        background = [
            asyncio.create_task(self._selfmon_loop()),
            asyncio.create_task(self._reload_loop()),
        ]
        await self._stop.wait()
        await self._shut_down(background)
        client.close()
        if self.cli_collector is not None:
            self.cli_collector.close()
        for sig, _ in signals if install_signals else ():
            loop.remove_signal_handler(sig)
        log.info("lanpulse stopped")
        return 0
