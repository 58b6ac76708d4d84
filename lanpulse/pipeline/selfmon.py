"""The daemon watching itself: the `lanpulse` measurement and the `/metrics` text.

`lanpulse.web` serves `/healthz` (every number as JSON, 503 "degraded" when unhealthy) and
`/metrics`, Prometheus text of the same numbers: each family typed and described once by
`describe` (COUNTER_HELP: running totals, GAUGE_HELP, HISTOGRAM_HELP). docs/operations.md
lists them.
"""

from __future__ import annotations

import logging
import platform
import re
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
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
    "traps_received": "SNMP notifications received (any kind, any source).",
    "traps_accepted": "Notifications accepted and turned into event samples.",
    "traps_malformed": "Datagrams on the trap port that were not SNMP notifications.",
    "traps_bad_community": "v1/v2c notifications with a community not configured.",
    "traps_v3_rejected": "SNMPv3 notifications refused (user, keys, time window, level).",
    "traps_unknown_source": "Notifications from an address that is no configured device.",
    "traps_dropped": "Notifications dropped before they became samples.",
    "informs_answered": "Informs answered with a Response.",
    "v3_reports_sent": "SNMPv3 Report PDUs sent (engine discovery, time window, usmStats).",
    "trap_polls": "Extra polls started by a trap.",
    "trap_polls_limited": "Extra polls a trap would have started, held back by the rate limit.",
    "polls_skipped_by_reason": "Due polls skipped, per reason.",
    "worker_restarts": "Worker processes restarted by the supervisor.",
    "push_requests": "Agents' push requests received.",
    "push_lines_accepted": "Agents' pushed lines accepted.",
    "push_lines_refused": "Agents' pushed lines refused (malformed, unauthorised, too large).",
    "rollup_samples": "Rollup samples made (hourly and daily aggregates).",
    "zk_rebalances": "Views of its poller group this member applied (docs/scaling.md).",
    "zk_sessions_lost": "ZooKeeper sessions this member lost (it registered again).",
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
    "rollup_series": "Series with an open rollup period.",
    "zk_connected": "1 while connected to ZooKeeper.",
    "zk_stale": "1 while polling on the outage lease (every ZooKeeper server refuses).",
    "zk_fenced": "1 while no lease proves that polling is safe (polls are skipped).",
    "zk_members": "Members of this poller group in the applied view.",
    "zk_view": "Version (members znode cversion) of the applied view; -1 before one.",
    "zk_held": "Devices held back until their previous owners acknowledge the view.",
}

# name -> HELP text of the histograms (stats keys `name_bucket{le=...}`, `name_sum`, `name_count`)
HISTOGRAM_HELP: dict[str, str] = {
    "poll_lateness_seconds": "Start time of a poll minus the time it was due.",
}


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
    """A prometheus-client collector over one stats snapshot (a fresh registry per scrape).

    A stats key may carry labels (`polls{worker="1"}`: a supervisor's per-worker series;
    `polls_skipped_by_reason{reason="late"}`), and a histogram comes as its
    `name_bucket{le=...}`, `name_sum` and `name_count` keys.
    """

    def __init__(self, stats: Mapping[str, float]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        from lanpulse import __version__

        yield InfoMetricFamily(
            "lanpulse_build",
            "The lanpulse version and the Python it runs on (always 1).",
            value={"version": __version__, "python": platform.python_version()},
        )
        families: dict[str, list[tuple[str, dict[str, str], float]]] = {}
        for key, value in self.stats.items():
            if not isinstance(value, int | float):
                continue  # a nested report (the notifiers' health) is /healthz's only
            name, labels = _split_key(key)
            family = _family(name)
            families.setdefault(family, []).append((name, labels, float(value)))
        for family, series in sorted(families.items()):
            yield from _metric(family, series)


def _split_key(key: str) -> tuple[str, dict[str, str]]:
    """`polls{worker="1"}` -> ("polls", {"worker": "1"})."""
    name, brace, rest = key.partition("{")
    if not brace:
        return key, {}
    return name, dict(_LABEL.findall(rest))


def _metric(family: str, series: list[tuple[str, dict[str, str], float]]) -> Iterator[Metric]:
    """One family's metric: a histogram, a counter (`_total`) or a gauge."""
    name = f"lanpulse_{family}"
    label_names = sorted({k for _, labels, _ in series for k in labels if k != "le"})

    def values(labels: dict[str, str]) -> list[str]:
        return [labels.get(k, "") for k in label_names]

    kind, help_text = describe(family) or ("gauge", f"lanpulse self-monitoring value {family}.")
    if kind == "histogram":
        histogram = HistogramMetricFamily(name, help_text, labels=label_names)
        groups: dict[tuple[str, ...], dict[str, object]] = {}
        for key, labels, value in series:
            group = groups.setdefault(tuple(values(labels)), {"buckets": [], "sum": 0.0})
            if key.endswith("_bucket"):
                group["buckets"].append((labels["le"], value))  # type: ignore[attr-defined]
            elif key.endswith("_sum"):
                group["sum"] = value
        for label_values, group in groups.items():
            buckets = sorted(group["buckets"], key=lambda b: float(b[0]))  # type: ignore[call-overload]
            histogram.add_metric(list(label_values), buckets, group["sum"])  # type: ignore[arg-type]
        yield histogram
        return
    metric = (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
        name, help_text, labels=label_names
    )
    for _, labels, value in series:
        metric.add_metric(values(labels), value)
    yield metric


# A stage with a shipper of its own reports that shipper's figures under a prefix.
_PREFIXED = {"rollup_": "The rollup stage's shipper: "}


def describe(family: str) -> tuple[str, str] | None:
    """(histogram | counter | gauge, HELP text) of a metric family; None when unknown."""
    if family in HISTOGRAM_HELP:
        return "histogram", HISTOGRAM_HELP[family]
    if family in COUNTER_HELP:
        return "counter", COUNTER_HELP[family]
    if family in GAUGE_HELP:
        return "gauge", GAUGE_HELP[family]
    for prefix, lead in _PREFIXED.items():
        inner = describe(family.removeprefix(prefix)) if family.startswith(prefix) else None
        if inner is not None:
            return inner[0], lead + inner[1][0].lower() + inner[1][1:]
    return None


def prometheus_text(stats: Mapping[str, float]) -> str:
    """The stats in the Prometheus text format (0.0.4), as `promtool check metrics` wants:
    HELP and TYPE for each, counters named `lanpulse_<name>_total`, `lanpulse_build_info`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(stats))
    return generate_latest(registry).decode()


_LABEL = re.compile(r'(\w+)="([^"]*)"')


def _family(name: str) -> str:
    """The metric family of a stats key's name (without a histogram suffix)."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAM_HELP:
            return name[: -len(suffix)]
    return name
