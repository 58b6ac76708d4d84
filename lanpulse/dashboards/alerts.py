"""Alerts: what is firing now, state timeline and history from the `alert` measurement."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-alerts"
WHERE = '$timeFilter AND "severity" =~ /^$severity$/ AND "rule" =~ /^$rule$/'
# One series per alert (`alert_id`): two interfaces or two supplies of one device under the
# same rule are two alerts, and one must not hide the other (issue 16).
LAST_STATE = (
    'SELECT last("state") AS "state", last("value") AS "value", last("muted") AS "muted", '
    'last("acked") AS "acked" FROM "alert" '
    f'WHERE {WHERE} GROUP BY "rule", "severity", "device", "alert_id"'
)


def build() -> dash.Dashboard:
    """The alerts dashboard."""
    return (
        p.new_dashboard(UID, "lanpulse: alerts", "State and history of lanpulse alert rules.")
        .with_variable(
            p.tag_variable(
                "severity", "Severity", 'SHOW TAG VALUES FROM "alert" WITH KEY = "severity"'
            )
        )
        .with_variable(
            p.tag_variable("rule", "Rule", 'SHOW TAG VALUES FROM "alert" WITH KEY = "rule"')
        )
        .with_panel(
            p.single(
                "Firing",
                p.SHORT,
                Q(f'SELECT count("state") FROM ({LAST_STATE}) WHERE "state" = 2 AND "muted" <> 1'),
                w=8,
                description="Firing and not silenced (muted alerts are counted on the right).",
                thresholds=p.steps((None, "green"), (1, "red")),
            )
        )
        .with_panel(
            p.single(
                "Pending",
                p.SHORT,
                Q(f'SELECT count("state") FROM ({LAST_STATE}) WHERE "state" = 1'),
                w=8,
                thresholds=p.steps((None, "green"), (1, "orange")),
            )
        )
        .with_panel(
            p.single(
                "Muted or acknowledged",
                p.SHORT,
                Q(
                    f'SELECT count("state") FROM ({LAST_STATE}) '
                    'WHERE "state" = 2 AND ("muted" = 1 OR "acked" = 1)'
                ),
                w=8,
                thresholds=p.steps((None, "green"), (1, "blue")),
            )
        )
        .with_panel(
            p.timeline(
                "State timeline",
                [
                    Q(
                        f'SELECT last("state") FROM "alert" WHERE {WHERE} '
                        'GROUP BY time($__interval), "rule", "device", "alert_id" '
                        "fill(previous)",
                        alias="$tag_rule $tag_device $tag_alert_id",
                    )
                ],
                p.ALERT_STATE,
                h=10,
            )
        )
        .with_panel(
            p.listing(
                "Current state",
                [
                    Q(
                        f'SELECT "state", "value", "muted", "acked" FROM ({LAST_STATE}) '
                        'WHERE "state" > 0 GROUP BY "rule", "severity", "device", "alert_id"',
                        fmt="table",
                    )
                ],
                w=24,
                columns={"state": p.column(mappings=p.ALERT_STATE, cell="color-background")},
            )
        )
        .with_panel(
            p.listing(
                "History",
                [
                    Q(
                        'SELECT "state", "value", "rule", "severity", "device" FROM "alert" '
                        f"WHERE {WHERE} ORDER BY time DESC LIMIT 500",
                        fmt="table",
                    )
                ],
                w=24,
                h=12,
                columns={
                    "state": p.column(mappings=p.ALERT_STATE, cell="color-background"),
                },
                show_time=True,
                description="Every state change the alert engine wrote, newest first.",
            )
        )
    )
