"""The daemon watching itself: the `lanpulse` measurement and a loopback HTTP endpoint.

`/healthz` answers 200 with every number as JSON while the daemon runs (the `healthy`
callback can answer 503 "degraded"); `/metrics` is Prometheus text of the same numbers,
typed counter (running totals, see COUNTERS) or gauge. docs/operations.md lists them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping

from lanpulse.core.model import Sample

log = logging.getLogger(__name__)

StatsFn = Callable[[], Mapping[str, float]]

# Running totals since the daemon started (like Telegraf's internal plugin and Prometheus
# counters): never reset by a write, a reload or a reconnect. Readers take differences
# (InfluxQL `non_negative_difference`, PromQL `rate`); a restart starts them at 0 again.
# Everything else in the stats is a gauge (a value now: queue depth, spool bytes, ...).
COUNTERS = frozenset(
    {
        "polls",
        "polls_failed",
        "polls_skipped",
        "poll_errors",
        "deadline_exceeded",
        "samples",
        "reloads",
        "reload_failures",
        "points_submitted",
        "points_spooled",
        "points_written",
        "points_dropped",
        "points_rejected",
        "batches_written",
        "write_errors",
        "alert_samples",
        "traps_received",
        "traps_accepted",
        "traps_malformed",
        "traps_bad_community",
        "traps_v3_rejected",
        "traps_unknown_source",
        "traps_dropped",
        "informs_answered",
        "trap_polls",
        "trap_polls_limited",
        "polls_skipped_total",
        "worker_restarts",
    }
)


HISTOGRAMS = frozenset({"poll_lateness_seconds"})


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


def prometheus_text(stats: Mapping[str, float]) -> str:
    """Prometheus exposition format of the counters.

    A key may carry labels (`polls{worker="1"}`, a supervisor's per-worker series); one
    `# TYPE` line heads each family, whose series keep the order of `stats` (a histogram's
    buckets ascending).
    """
    lines = []
    typed: set[str] = set()
    for key, value in sorted(stats.items(), key=lambda kv: _family(kv[0])):
        family = _family(key)
        if family not in typed:
            typed.add(family)
            kind = (
                "histogram"
                if family in HISTOGRAMS
                else "counter"
                if family in COUNTERS
                else "gauge"
            )
            lines.append(f"# TYPE lanpulse_{family} {kind}")
        lines.append(f"lanpulse_{key} {float(value):.6g}")
    return "\n".join(lines) + "\n"


def _family(key: str) -> str:
    """The metric family of a stats key (its name without labels or histogram suffix)."""
    name = key.partition("{")[0]
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
            return name[: -len(suffix)]
    return name


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
