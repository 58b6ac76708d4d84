"""N worker processes under one supervisor that owns signals, logs and the HTTP endpoint.

The supervisor polls nothing. It starts `python -m lanpulse.cluster.worker` N times, reads
each worker's one-line JSON report (every second, on the worker's stdout), serves
`/healthz` and `/metrics` from the sum of those reports (with a `worker` label where a
per-worker figure matters), forwards SIGHUP (after validating the file, so a bad edit is
reported once) and SIGTERM, and restarts a worker that dies. Workers log to the
supervisor's stderr, each line tagged `worker-K`. The status page and `/api/v1` are the
supervisor's too: it asks its workers over the same pipes (`calls.py`, `status.py`) and
owns the silences (`silences.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanpulse.alerts.receiver_health import merge_reports, prometheus_lines
from lanpulse.cluster.calls import MAX_LINE_BYTES, Caller, CallFailed
from lanpulse.cluster.capacity import estimate
from lanpulse.cluster.silences import ClusterAlertControl
from lanpulse.cluster.status import ClusterStatus, lateness_of, rate
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import Device
from lanpulse.pipeline.selfmon import prometheus_text
from lanpulse.web.server import Endpoints, WebServer

log = logging.getLogger(__name__)

# Figures that are not summed across workers: the worst one is the machine's.
MAXED = frozenset({"uptime_seconds", "spool_age_seconds"})
# Figures also shown per worker (`lanpulse_polls{worker="1"}`).
PER_WORKER = ("devices", "polls", "polls_skipped", "in_flight")
RESTART_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)
# A worker reports every second from its event loop; silence this long means it hangs.
HUNG_AFTER_S = 30.0
RATE_WINDOW = 10  # reports (seconds) over which a worker's polls/s is measured
SILENCE_TICK_S = 5.0
# Its first report comes after Python's start-up and the config load: 25,500 devices on a
# loaded 2-core box took longer than HUNG_AFTER_S, and killing it there restarted it for ever.
STARTING_S = 300.0


def resolve_workers(configured: int | None, devices: Sequence[Device]) -> int:
    """`daemon.workers`, or by default the cores, capped by what the estate needs
    (`lanpulse check` prints the same estimate)."""
    if configured is not None:
        return configured
    return max(1, min(os.cpu_count() or 1, estimate(devices).workers))


def aggregate(reports: Mapping[int, Mapping[str, float]]) -> dict[str, float]:
    """The machine's figures from the workers' latest reports."""
    out: dict[str, float] = {}
    for stats in reports.values():
        for key, value in stats.items():
            if key in MAXED:
                out[key] = max(out.get(key, 0.0), value)
            else:
                out[key] = out.get(key, 0.0) + value
    for k, stats in sorted(reports.items()):
        for key in PER_WORKER:
            if key in stats:
                out[f'{key}{{worker="{k}"}}'] = stats[key]
    return out


@dataclass
class WorkerSlot:
    """One worker: its process, its latest report, its restarts, the pipe to call it."""

    index: int
    proc: asyncio.subprocess.Process | None = None
    report: dict[str, float] = field(default_factory=dict)
    notifiers: dict[str, Any] = field(default_factory=dict)  # its receivers' health
    healthy: bool = False
    ready: bool = False  # its alert state is loaded and it polls: it can answer calls
    restarts: int = 0
    started_at: float = 0.0
    caller: Caller | None = None
    polls: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))

    def take(self, data: Mapping[str, Any]) -> bool:
        """Record one report line; True when the worker just became ready."""
        self.report, self.healthy = dict(data["stats"]), bool(data["healthy"])
        self.notifiers = dict(data.get("notifiers") or {})
        self.polls.append((time.monotonic(), self.report.get("polls", 0.0)))
        was, self.ready = self.ready, bool(data.get("ready", True))
        return self.ready and not was

    def gone(self) -> None:
        """The process exited: nothing to report, nothing to call."""
        self.report, self.healthy, self.ready = {}, False, False
        self.notifiers = {}
        self.polls.clear()
        if self.caller is not None:
            self.caller.close()
            self.caller = None

    def facts(self) -> dict[str, Any]:
        """The self page's row of this worker."""
        running = self.proc is not None and self.proc.returncode is None
        r = self.report
        return {
            "id": self.index,
            "pid": self.proc.pid if running and self.proc is not None else None,
            "state": "up" if running and r else ("starting" if running else "restarting"),
            "restarts": self.restarts,
            "devices": int(r.get("devices", 0)),
            "polls": int(r.get("polls", 0)),
            "polls_per_s": round(rate(self.polls), 2),
            "polls_skipped": int(r.get("polls_skipped", 0)),
            "lateness": lateness_of(r),
            "spool": {k: r.get(k, 0) for k in ("spool_points", "spool_bytes", "spool_age_seconds")},
        }


class Supervisor:
    """Runs and watches the workers of one machine."""

    def __init__(
        self, config_path: str, count: int, log_level: str = "warning", http: bool = True
    ) -> None:
        from lanpulse.config.loader import load_config

        self.config_path = config_path
        self.loaded = load_config(config_path)
        self.count = count
        self.log_level = log_level
        self.http = http  # False: `lanpulse run --no-http`
        self.slots = [WorkerSlot(k) for k in range(count)]
        self.reload_failures = 0
        self._stopping = asyncio.Event()
        self.started_at = time.monotonic()
        self.web: WebServer | None = None
        self.control = ClusterAlertControl(self.ask_all, *self._silence_settings())
        self._tasks: set[asyncio.Task[Any]] = set()

    def _silence_settings(self) -> tuple[Path | None, Any]:
        """Where the silences are kept (the one-process state file) and their mirror."""
        from lanpulse.alerts.configsrc import load_alerting_config
        from lanpulse.alerts.mirror import silence_mirror

        cfg = load_alerting_config(self.config_path)
        state_file = cfg.settings.state_file
        path = None if not state_file else cfg.base_dir / state_file
        return path, silence_mirror(cfg.settings)

    async def ask_all(self, op: str, args: Mapping[str, Any]) -> list[Any]:
        """Call `op` on every ready worker at once; the answers of those that answered."""
        slots = [s for s in self.slots if s.ready and s.caller is not None]
        answers = await asyncio.gather(
            *(s.caller.call(op, args) for s in slots if s.caller is not None),
            return_exceptions=True,
        )
        out = []
        for slot, answer in zip(slots, answers, strict=True):
            if isinstance(answer, CallFailed):
                log.warning("worker-%d: %s", slot.index, answer)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                out.append(answer)
        return out

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_silences(self, slot: WorkerSlot) -> None:
        """A worker that (re)started adopts the machine's silences."""
        if slot.caller is None:
            return
        try:
            await slot.caller.call("silences", self.control.snapshot())
        except CallFailed as exc:
            log.warning("worker-%d did not take the silences: %s", slot.index, exc)

    async def _silence_loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SILENCE_TICK_S)
            if not self._stopping.is_set():
                await self.control.tick()

    def stats(self) -> dict[str, float]:
        """Summed figures, per-worker figures, and the supervisor's own."""
        out = aggregate({s.index: s.report for s in self.slots if s.report})
        out["workers"] = self.count
        out["workers_reporting"] = sum(1 for s in self.slots if s.report)
        out["worker_restarts"] = sum(s.restarts for s in self.slots)
        out["reload_failures"] = out.get("reload_failures", 0.0) + self.reload_failures
        out["uptime_seconds"] = time.monotonic() - self.started_at
        return out

    def notifier_health(self) -> dict[str, dict[str, object]]:
        """Per receiver, over the workers (each notifies for the alerts of its shard)."""
        return merge_reports(s.notifiers for s in self.slots if s.report)

    def status_stats(self) -> dict[str, object]:
        """`/healthz` and the status page: the figures, and the receivers' health."""
        return {**self.stats(), "notifiers": self.notifier_health()}

    def metrics_text(self) -> str:
        """`/metrics`: the machine's figures, then the receivers' over the workers."""
        return prometheus_text(self.stats()) + prometheus_lines(self.notifier_health())

    def healthy(self) -> bool:
        """Every worker running and healthy."""
        return all(s.report and s.healthy for s in self.slots)

    async def _spawn(self, slot: WorkerSlot) -> asyncio.subprocess.Process:
        args = ["-c", self.config_path, "--index", str(slot.index), "--count", str(self.count)]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lanpulse.cluster.worker",
            *args,
            "--log-level",
            self.log_level,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=MAX_LINE_BYTES,
        )
        slot.proc, slot.started_at = proc, time.monotonic()
        assert proc.stdin is not None
        slot.caller = Caller(proc.stdin)
        log.info("worker-%d started (pid %d)", slot.index, proc.pid)
        return proc

    async def _keep(self, slot: WorkerSlot) -> None:
        """Run one worker for the supervisor's life; restart it when it dies."""
        failures = 0
        while not self._stopping.is_set():
            proc = await self._spawn(slot)
            assert proc.stdout is not None
            wait_s = STARTING_S
            while True:
                try:
                    line = await asyncio.wait_for(proc.stdout.readline(), wait_s)
                except TimeoutError:
                    log.error("worker-%d silent for %ss: killing it", slot.index, wait_s)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    break
                if not line:
                    break
                wait_s = HUNG_AFTER_S
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    data = json.loads(line)
                    if "reply" in data:
                        if slot.caller is not None:
                            slot.caller.deliver(data)
                    elif slot.take(data):
                        self._background(self._push_silences(slot))
            code = await proc.wait()
            slot.gone()
            if self._stopping.is_set():
                return
            slot.restarts += 1
            lived = time.monotonic() - slot.started_at
            failures = 0 if lived > 60 else failures + 1
            delay = RESTART_BACKOFF_S[min(failures, len(RESTART_BACKOFF_S) - 1)]
            log.error("worker-%d exited with %s; restarting in %ss", slot.index, code, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    def _signal_all(self, sig: int) -> None:
        for slot in self.slots:
            if slot.proc is not None and slot.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.proc.send_signal(sig)

    async def reload(self) -> bool:
        """Validate the file, then have every worker reload it (each applies its shard)."""
        from lanpulse.config.loader import load_config

        try:
            loaded = await asyncio.to_thread(load_config, self.config_path)
            state_file, mirror = await asyncio.to_thread(self._silence_settings)
        except ConfigErrors as exc:
            reason = exc.errors[0].one_line() if exc.errors else str(exc)
        except ConfigError as exc:
            reason = exc.one_line()
        else:
            self.loaded = loaded
            self.control.follow(state_file, mirror)
            self._signal_all(signal.SIGHUP)
            return True
        self.reload_failures += 1
        log.error("reload rejected, keeping the running config: %s", reason)
        return False

    def request_stop(self) -> None:
        """SIGTERM/SIGINT: stop the workers (each drains and flushes), then exit."""
        self._stopping.set()
        self._signal_all(signal.SIGTERM)

    async def run(self, *, install_signals: bool = True) -> int:
        """Run until stopped; returns the exit code."""
        loop = asyncio.get_running_loop()
        reloads: set[asyncio.Task[bool]] = set()

        def on_hup() -> None:
            task = asyncio.create_task(self.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        signals: tuple[tuple[signal.Signals, Callable[[], None]], ...] = (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, on_hup),
        )
        for sig, handler in signals if install_signals else ():
            loop.add_signal_handler(sig, handler)
        listen = self.loaded.settings.daemon.http_listen
        if listen and self.http:
            # The one endpoint of the machine: workers run without one.
            status = ClusterStatus(
                self.ask_all, self.control, self.status_stats, self.healthy, self.slots
            )
            endpoints = Endpoints(
                stats=self.status_stats,
                healthy=self.healthy,
                metrics_text=self.metrics_text,
                control=self.control,
                status=status,
            )
            self.web = WebServer(listen, endpoints, self.loaded.settings.web, self.loaded.base_dir)
            await self.web.start()
        self.control.load()
        log.info("lanpulse supervisor running %d workers", self.count)
        keepers = [asyncio.create_task(self._keep(slot)) for slot in self.slots]
        silences = asyncio.create_task(self._silence_loop())
        await self._stopping.wait()
        await silences
        deadline = self.loaded.settings.daemon.shutdown_deadline + 10
        _, late = await asyncio.wait(keepers, timeout=deadline)
        if late:
            log.error("%d workers did not stop within %ss; killing them", len(late), deadline)
            self._signal_all(signal.SIGKILL)
            await asyncio.wait(late, timeout=5)
        if self.web is not None:
            await self.web.stop()
        for sig, _ in signals if install_signals else ():
            loop.remove_signal_handler(sig)
        log.info("lanpulse supervisor stopped")
        return 0
