"""The daemon watching itself: the `lanpulse` measurement and the `/metrics` text.

`lanpulse.web` serves `/healthz` (every number as JSON, 503 "degraded" when unhealthy) and
`/metrics`, Prometheus text of the same numbers, typed counter (running totals, see
COUNTERS) or gauge. docs/operations.md lists them.
"""

from __future__ import annotations

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
        "v3_reports_sent",
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
