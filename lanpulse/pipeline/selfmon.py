"""The daemon watching itself: the `lanpulse` measurement and a loopback HTTP endpoint.

`/healthz` answers 200 with every number as JSON while the daemon runs (the `healthy`
callback can answer 503 "degraded"); `/metrics` is Prometheus text of the same numbers,
typed counter (running totals, see COUNTERS) or gauge. docs/operations.md lists them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from lanpulse.core.model import Sample

log = logging.getLogger(__name__)

StatsFn = Callable[[], Mapping[str, float]]

# Running totals since the daemon started (like Telegraf's internal plugin and Prometheus
# counters): never reset by a write, a reload or a reconnect. Readers take differences
# (InfluxQL `non_negative_difference`, PromQL `rate`); a restart starts them at 0 again.
# Everything else in the stats is a gauge (a value now: queue depth, spool bytes, ...).
# name -> HELP text; /metrics writes a counter as `lanpulse_<name>_total`.
COUNTER_HELP: dict[str, str] = {
    "polls": "Polls completed (answered or not).",
    "polls_failed": "Polls where the device did not answer (device.up = 0).",
    "polls_skipped": "Due polls skipped because the previous poll of the device still ran.",
    "poll_errors": "Errors inside polls (a refused table, a deadline with partial data).",
    "deadline_exceeded": "Polls cut by the scheduler's safety net.",
    "samples": "Samples handed to the time-series sinks.",
    "reloads": "Configuration reloads applied.",
    "reload_failures": "Configuration reloads rejected (the running configuration stayed).",
    "points_submitted": "Points submitted to the shipper.",
    "points_spooled": "Points appended to the spool (or held in memory when the disk refused).",
    "points_written": "Points the database acknowledged.",
    "points_dropped": "Points lost: queue full, spool bounds, disk refusing beyond the hold.",
    "points_rejected": "Points the database refused for their content (kept in rejected/).",
    "batches_written": "Write requests the database acknowledged.",
    "write_errors": "Failed write requests.",
    "spool_corrupt_bytes": "Damaged spool bytes skipped (torn writes, bit rot).",
    "alert_samples": "Alert state samples produced.",
}
GAUGE_HELP: dict[str, str] = {
    "devices": "Devices scheduled now.",
    "in_flight": "Polls running now.",
    "uptime_seconds": "Seconds since the daemon started.",
    "queue_depth": "Polls waiting in memory to be appended to the spool.",
    "spool_bytes": "Bytes in the spool not yet sent.",
    "spool_points": "Points in the spool not yet sent.",
    "spool_age_seconds": "Age of the oldest point not yet sent.",
    "points_held": "Points held in memory because the spool disk refuses writes.",
    "spool_degraded": "1 while data is held in memory or was dropped in the last 5 minutes.",
    "write_latency_seconds": "Duration of the last successful write request.",
    "alerts_firing": "Alerts firing now.",
}
COUNTERS = frozenset(COUNTER_HELP)


def self_sample(stats: Mapping[str, float], instance: str, time_ns: int) -> Sample:
    """The `lanpulse` measurement from the daemon's counters (schema fields only)."""
    from lanpulse.core.schema import MEASUREMENTS

    allowed = MEASUREMENTS["lanpulse"].fields
    fields: dict[str, int | float] = {}
    for key, value in stats.items():
        if key not in allowed:
            continue
        fields[key] = int(value) if allowed[key].kind == "int" else float(value)
    return Sample("lanpulse", {"instance": instance}, fields, time_ns)


class _Snapshot:
    """A prometheus-client collector over one stats snapshot (a fresh registry per scrape)."""

    def __init__(self, stats: Mapping[str, float]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        from lanpulse import __version__

        yield InfoMetricFamily(
            "lanpulse_build",
            "The lanpulse version and the Python it runs on (always 1).",
            value={"version": __version__, "python": platform.python_version()},
        )
        for key, value in sorted(self.stats.items()):
            name = f"lanpulse_{key}"
            if key in COUNTER_HELP:
                yield CounterMetricFamily(name, COUNTER_HELP[key], value=float(value))
            else:
                help_text = GAUGE_HELP.get(key, f"lanpulse self-monitoring value {key}.")
                yield GaugeMetricFamily(name, help_text, value=float(value))


def prometheus_text(stats: Mapping[str, float]) -> str:
    """The stats in the Prometheus text format (0.0.4), as `promtool check metrics` wants:
    HELP and TYPE for each, counters named `lanpulse_<name>_total`, `lanpulse_build_info`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(stats))
    return generate_latest(registry).decode()


class HealthServer:
    """A minimal HTTP/1.0 server on loopback for `/healthz` and `/metrics`."""

    def __init__(self, listen: str, stats: StatsFn, healthy: Callable[[], bool]) -> None:
        host, _, port = listen.rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = int(port)
        self.stats = stats
        self.healthy = healthy
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen; a port in use is logged, not fatal (the daemon's job is polling)."""
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
            sock = self._server.sockets[0]
            self.port = sock.getsockname()[1]
        except OSError as exc:
            log.error("health endpoint %s:%s not started: %s", self.host, self.port, exc.strerror)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            path = request.decode(errors="replace").split(" ")[1] if b" " in request else "/"
            if path.startswith("/metrics"):
                status, ctype, body = (
                    200,
                    "text/plain; version=0.0.4",
                    prometheus_text(self.stats()),
                )
            elif path.startswith("/healthz"):
                ok = self.healthy()
                status, ctype = (200 if ok else 503), "application/json"
                body = json.dumps({"status": "ok" if ok else "degraded", **self.stats()})
            else:
                status, ctype, body = 404, "text/plain", "not found\n"
            data = body.encode()
            writer.write(
                f"HTTP/1.0 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
