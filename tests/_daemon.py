"""Helpers for the daemon tests: configs, the daemon in-process or as a subprocess, queries.

Everything runs against real components on 127.0.0.1 (snmpsim, influxd 1.6,
victoria-metrics, alertmanager, aiosmtpd) started by the tests themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from lanpulse.core.model import Device, Sample
from lanpulse.daemon import Daemon
from lanpulse.sim.servers import InfluxDB16

ROOT = Path(__file__).resolve().parent.parent


def device_line(
    name: str, port: int, community: str | None = None, snmp: str = "", **extra: Any
) -> str:
    """One inventory entry in YAML flow style (community defaults to the name)."""
    items = [f"name: {name}", "address: 127.0.0.1", f"port: {port}"]
    items += [f"{k}: {v}" for k, v in extra.items()]
    more = f", {snmp}" if snmp else ""
    items.append(f"snmp: {{community: {community or name}{more}}}")
    return "  - {" + ", ".join(items) + "}"


def write_config(
    path: Path,
    devices: list[str],
    *,
    influx: str | None = None,
    interval: str = "2s",
    http_listen: str | None = None,
    extra: str = "",
    fsync: str = "never",
    daemon: str = "",
) -> Path:
    """A complete config file for a test daemon; returns its path."""
    parts = []
    if influx:
        parts.append(influx)
    parts.append(
        f"defaults:\n  interval: {interval}\n  snmp: {{version: 2c, timeout: 1s, retries: 0}}"
    )
    parts.append(f"spool:\n  directory: {path.parent / 'spool'}\n  fsync: {fsync}")
    parts.append(
        "daemon:\n"
        f"  http_listen: {http_listen or 'null'}\n"
        "  selfmon_interval: 1s\n"
        "  shutdown_deadline: 5s" + (f"\n  {daemon}" if daemon else "")
    )
    if extra:
        parts.append(extra.strip("\n"))
    parts.append("devices:\n" + ("\n".join(devices) if devices else "  []"))
    path.write_text("\n".join(parts) + "\n")
    return path


def v1_section(influx: InfluxDB16, database: str) -> str:
    """The `influxdb:` section for InfluxDB 1.6 (v1 API), creating the database first."""
    influx.query(f'CREATE DATABASE "{database}"')
    return (
        f"influxdb:\n  url: {influx.url}\n  api: v1\n  database: {database}\n"
        "  flush_interval: 0.2s\n  backoff: 0.2s\n  max_backoff: 1s"
    )


class Run:
    """A daemon running in-process, and what its polls returned."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.samples: list[Sample] = []
        self.answered: dict[str, int] = {}  # device -> polls with up=1
        self.polled: dict[str, int] = {}  # device -> polls
        self.clean: dict[str, int] = {}  # device -> polls that answered without any error
        daemon.on_outcome.append(self._keep)

    def _keep(self, device: Device, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)
        self.polled[device.name] = self.polled.get(device.name, 0) + 1
        if samples and samples[0].fields.get("up") == 1:
            self.answered[device.name] = self.answered.get(device.name, 0) + 1
            if samples[0].fields.get("poll_errors") == 0:
                self.clean[device.name] = self.clean.get(device.name, 0) + 1

    def all_clean(self, n: int) -> bool:
        """True when every device answered at least `n` polls completely (a loaded machine
        can cut a poll short at its deadline: such a poll answers, with fewer samples)."""
        names = list(self.daemon.scheduler.devices)
        return bool(names) and all(self.clean.get(name, 0) >= n for name in names)

    def all_answered(self, n: int, names: Sequence[str] | None = None) -> bool:
        """True when every device (or each of `names`) answered at least `n` polls."""
        names = names or list(self.daemon.scheduler.devices)
        return bool(names) and all(self.answered.get(name, 0) >= n for name in names)


@contextlib.asynccontextmanager
async def running(config: Path) -> AsyncIterator[Run]:
    """The daemon of `config` running in this event loop (signals left alone)."""
    daemon = Daemon(str(config))
    run = Run(daemon)
    task = asyncio.create_task(daemon.run(install_signals=False))
    try:
        yield run
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(task, 30) == 0


async def until(check: Callable[[], bool], timeout_s: float = 15.0, step_s: float = 0.1) -> None:
    """Wait (without blocking the loop) until `check()` is true; fail after the timeout."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(step_s)


def listening(address: str) -> bool:
    """True when something accepts TCP connections at `host:port` (a server has started)."""
    import socket

    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def wait_for(check: Callable[[], bool], timeout_s: float = 15.0, step_s: float = 0.1) -> None:
    """Blocking variant of `until`, for subprocess tests."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(step_s)


class DaemonProcess:
    """`python -m lanpulse run -c FILE` as a child process with its log in a file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log_path = config.parent / f"daemon-{time.monotonic_ns()}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> DaemonProcess:
        """Start the daemon and wait until it logs that it runs."""
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lanpulse",
                    "--log-level",
                    "info",
                    "run",
                    "-c",
                    str(self.config),
                ],
                cwd=self.config.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(lambda: "lanpulse running" in self.log() or self.proc_done(), timeout_s)
        assert not self.proc_done(), self.log()
        return self

    def proc_done(self) -> bool:
        """True when the child has exited."""
        return self.proc is not None and self.proc.poll() is not None

    def log(self) -> str:
        """The daemon's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the daemon (only to the process started here)."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout_s: float = 30.0) -> int:
        """Wait for exit; returns the exit code."""
        assert self.proc is not None
        return self.proc.wait(timeout_s)

    def kill(self) -> None:
        """Stop it if still running (SIGKILL: used for cleanup and the crash test)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def influx_rows(influx: InfluxDB16, database: str, query: str) -> list[dict[str, Any]]:
    """InfluxQL result rows as dicts (column -> value), tags included, across series."""
    result: Any = influx.query(query, db=database)
    rows: list[dict[str, Any]] = []
    for statement in result.get("results", []):
        for series in statement.get("series", []) or []:
            tags = series.get("tags", {}) or {}
            for values in series["values"]:
                rows.append({**tags, **dict(zip(series["columns"], values, strict=True))})
    return rows
