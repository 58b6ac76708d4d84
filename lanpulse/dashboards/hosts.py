"""Desktops and servers: CPU, memory, disk and uptime."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-hosts"
CLASSES = "(desktop|server)"
WHERE = (
    f'$timeFilter AND "class" =~ /^{CLASSES}$/ AND "site" =~ /^$site$/ AND "device" =~ /^$device$/'
)
BY_DEVICE = 'GROUP BY time($__interval), "device" fill(none)'


def build() -> dash.Dashboard:
    """The desktops and servers dashboard."""
    return (
        p.new_dashboard(UID, "lanpulse: desktops and servers", "CPU, memory, disk and uptime.")
        .with_variable(p.site_variable())
        .with_variable(p.device_variable("device", CLASSES))
        .with_panel(
            p.graph(
                "CPU",
                p.PERCENT,
                [
                    Q(
                        f'SELECT mean("cpu_pct") FROM "host" WHERE {WHERE} {BY_DEVICE}',
                        alias="$tag_device",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(80, 95),
            )
        )
        .with_panel(
            p.graph(
                "Memory used",
                p.PERCENT,
                [
                    Q(
                        f'SELECT mean("mem_used_pct") FROM "host" WHERE {WHERE} {BY_DEVICE}',
                        alias="$tag_device",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(85, 95),
            )
        )
        .with_panel(
            p.bars(
                "Disk used",
                p.PERCENT,
                [
                    Q(
                        f'SELECT last("used_pct") FROM "storage" WHERE {WHERE} '
                        'GROUP BY "device", "volume"',
                        alias="$tag_device $tag_volume",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(80, 90),
            )
        )
        .with_panel(
            p.listing(
                "Uptime",
                [
                    Q(
                        'SELECT last("uptime_seconds") AS "uptime", last("up") AS "up" '
                        f'FROM "device" WHERE {WHERE} GROUP BY "device", "class", "site"',
                        fmt="table",
                    )
                ],
                unit=p.SECONDS,
                columns={"up": p.column(unit=p.SHORT, mappings=p.UP_DOWN, cell="color-background")},
                sort_by="uptime",
                descending=False,
                description="A small uptime means a recent restart.",
            )
        )
    )
