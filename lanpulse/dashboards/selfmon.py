"""lanpulse itself: polls, skips, errors, queue, spool and write latency (`lanpulse`)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-self"
WHERE = '$timeFilter AND "instance" =~ /^$instance$/'
BY = 'GROUP BY time($__interval), "instance" fill(none)'
ALIAS = "$tag_instance $col"


def build() -> dash.Dashboard:
    """The lanpulse self-monitoring dashboard.

    The count fields (polls, polls_skipped, poll_errors, points_*) are read as counts per
    self-metrics report, so they are summed per interval, never differentiated.
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
                Q(f'SELECT sum("points_dropped") FROM "lanpulse" WHERE {WHERE}'),
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
                "Polls, skips and errors",
                p.SHORT,
                [
                    Q(
                        'SELECT sum("polls") AS "polls", sum("polls_failed") AS "failed", '
                        'sum("polls_skipped") AS "skipped", sum("poll_errors") AS "errors" '
                        f'FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                description="Skipped: the previous poll of a device was still running.",
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
                "Points written and dropped",
                p.SHORT,
                [
                    Q(
                        'SELECT sum("points_written") AS "written", '
                        'sum("points_dropped") AS "dropped" '
                        f'FROM "lanpulse" WHERE {WHERE} {BY}',
                        alias=ALIAS,
                    )
                ],
                w=24,
            )
        )
    )
