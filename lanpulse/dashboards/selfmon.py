"""lanpulse itself: polls, skips, errors, queue, spool and write latency (`lanpulse`)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-self"
WHERE = '$timeFilter AND "instance" =~ /^$instance$/'
BY = 'GROUP BY time($__interval), "instance" fill(none)'
ALIAS = "$tag_instance $col"
# The daemon writes running totals (like Telegraf's internal plugin); a panel shows their
# rate per minute. A derivative, not a per-bucket difference, so the scale does not change
# with the zoom ($__interval) or the self-monitoring interval; non-negative, so the reset
# to zero when the daemon restarts is skipped instead of drawn as a dip.
PER_MINUTE = "cpm"  # Grafana's "counts/min"


def per_minute(field: str, alias: str) -> str:
    """The per-minute rate of one running-total field, for a GROUP BY time() query."""
    return f'non_negative_derivative(last("{field}"), 1m) AS "{alias}"'


def increase(field: str) -> str:
    """How much a running total grew over the range, per instance, summed.

    Differences of consecutive raw reports, so a restart (counter back to 0) loses only
    what was counted between the restart and its first report.
    """
    return (
        'SELECT sum("increase") FROM ('
        f'SELECT non_negative_difference("{field}") AS "increase" FROM "lanpulse" '
        f'WHERE {WHERE} GROUP BY "instance")'
    )


def build() -> dash.Dashboard:
    """The lanpulse self-monitoring dashboard.

    The count fields (polls, polls_failed, polls_skipped, poll_errors, points_written,
    points_dropped) are running totals since the daemon started: graphs show their rate per
    minute, the "points dropped" stat their increase over the range.
    """
    return (
        p.new_dashboard(UID, "lanpulse: self-monitoring", "Polls, skips, errors, spool and writes.")
        .with_variable(
            p.tag_variable(
                "instance", "Instance", 'SHOW TAG VALUES FROM "lanpulse" WITH KEY = "instance"'
            )
        )
        .with_panel(
            p.single(
                "Devices", p.SHORT, Q(f'SELECT last("devices") FROM "lanpulse" WHERE {WHERE}'), w=6
            )
        )
        .with_panel(
            p.single(
                "Points dropped",
                p.SHORT,
                Q(increase("points_dropped")),
                w=6,
                thresholds=p.steps((None, "green"), (1, "red")),
            )
        )
        .with_panel(
            p.single(
                "Spool age",
                p.SECONDS,
                Q(f'SELECT max("spool_age_seconds") FROM "lanpulse" WHERE {WHERE} {BY}'),
                w=6,
                thresholds=p.high_is_bad(300, 3600),
            )
        )
        .with_panel(
            p.single(
                "Write latency",
                p.SECONDS,
                Q(f'SELECT mean("write_latency_seconds") FROM "lanpulse" WHERE {WHERE} {BY}'),
                w=6,
                thresholds=p.high_is_bad(1, 5),
            )
        )
        .with_panel(
            p.graph(
                "Polls, skips and errors per minute",
                PER_MINUTE,
                [
                    Q(
                        f"SELECT {per_minute('polls', 'polls')}, "
                        f"{per_minute('polls_failed', 'failed')}, "
                        f"{per_minute('polls_skipped', 'skipped')}, "
                        f"{per_minute('poll_errors', 'errors')} "
                        f'FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                description="Skipped: the previous poll of a device was still running. "
                "Rates of the daemon's running totals.",
            )
        )
        .with_panel(
            p.graph(
                "Queue depth",
                p.SHORT,
                [
                    Q(
                        f'SELECT max("queue_depth") AS "queue" FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
            )
        )
        .with_panel(
            p.graph(
                "Spool size",
                p.BYTES,
                [
                    Q(
                        f'SELECT max("spool_bytes") AS "spool" FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                description="Points waiting on disk because InfluxDB is slow or away.",
            )
        )
        .with_panel(
            p.graph(
                "Write latency",
                p.SECONDS,
                [
                    Q(
                        'SELECT mean("write_latency_seconds") AS "mean", '
                        'max("write_latency_seconds") AS "max" '
                        f'FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                thresholds=p.high_is_bad(1, 5),
            )
        )
        .with_panel(
            p.graph(
                "Points written and dropped per minute",
                PER_MINUTE,
                [
                    Q(
                        f"SELECT {per_minute('points_written', 'written')}, "
                        f"{per_minute('points_dropped', 'dropped')} "
                        f'FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                description="Rates of the daemon's running totals.",
                w=24,
            )
        )
    )
