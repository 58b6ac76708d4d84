"""Device detail: one device's health, traffic, storage, supplies and sensors."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-device"
DEV = '"device" =~ /^$device$/'
WHERE = f"$timeFilter AND {DEV}"
IF_WHERE = f'{WHERE} AND "if_name" =~ /^$interface$/ AND {p.ROLE} AND {p.NOT_VIRTUAL}'


def _health(measurement: str, component: str) -> Q:
    """The last health code of each component of one kind."""
    return Q(
        f'SELECT last("health") AS "health" FROM "{measurement}" WHERE {WHERE} '
        f'GROUP BY "{component}"',
        fmt="table",
    )


def build() -> dash.Dashboard:
    """The device detail dashboard, with `site`, `class`, `device` and `interface` variables."""
    class_var = p.tag_variable(
        "class",
        "Class",
        'SHOW TAG VALUES FROM "device" WITH KEY = "class" WHERE "site" =~ /^$site$/',
    )
    interface_var = p.tag_variable(
        "interface",
        "Interface",
        f'SHOW TAG VALUES FROM "interface" WITH KEY = "if_name" WHERE {DEV} AND {p.ROLE} '
        f"AND {p.NOT_VIRTUAL}",
    )
    by = 'GROUP BY time($__interval), "device"'
    return (
        p.new_dashboard(
            UID, "lanpulse: device detail", "Everything lanpulse knows about one device."
        )
        .with_variable(p.site_variable())
        .with_variable(class_var)
        .with_variable(p.device_variable(multi=False))
        .with_variable(p.role_variable())
        .with_variable(interface_var)
        .with_panel(
            p.single(
                "Reachable",
                p.SHORT,
                Q(f'SELECT last("up") FROM "device" WHERE {WHERE}'),
                w=4,
                mappings=p.UP_DOWN,
                thresholds=p.steps((None, "red"), (1, "green")),
            )
        )
        .with_panel(
            p.single(
                "Uptime",
                p.SECONDS,
                Q(f'SELECT last("uptime_seconds") FROM "device" WHERE {WHERE}'),
                w=4,
            )
        )
        .with_panel(
            p.single(
                "Poll time",
                p.SECONDS,
                Q(f'SELECT mean("poll_seconds") FROM "device" WHERE {WHERE} {by} fill(none)'),
                w=4,
                thresholds=p.high_is_bad(10, 30),
            )
        )
        .with_panel(
            p.single(
                "CPU",
                p.PERCENT,
                Q(f'SELECT mean("cpu_pct") FROM "host" WHERE {WHERE} {by} fill(none)'),
                w=4,
                thresholds=p.high_is_bad(80, 95),
            )
        )
        .with_panel(
            p.single(
                "Memory used",
                p.PERCENT,
                Q(f'SELECT mean("mem_used_pct") FROM "host" WHERE {WHERE} {by} fill(none)'),
                w=4,
                thresholds=p.high_is_bad(85, 95),
            )
        )
        .with_panel(
            p.single(
                "Poll errors",
                p.SHORT,
                Q(f'SELECT sum("poll_errors") FROM "device" WHERE {WHERE}'),
                w=4,
                thresholds=p.steps((None, "green"), (1, "orange")),
            )
        )
        .with_panel(
            p.graph(
                "Traffic (out below the axis)",
                p.BPS,
                [
                    Q(
                        'SELECT mean("in_bps") AS "in", mean("out_bps") AS "out" FROM "interface" '
                        f'WHERE {IF_WHERE} GROUP BY time($__interval), "if_name" fill(none)',
                        alias="$tag_if_name $col",
                    )
                ],
                negative_y=".* out$",
            )
        )
        .with_panel(
            p.graph(
                "Interface errors and discards per second",
                p.PER_SECOND,
                [
                    Q(
                        'SELECT mean("in_errors_ps") AS "in errors", '
                        'mean("out_errors_ps") AS "out errors", '
                        'mean("in_discards_ps") AS "in discards", '
                        'mean("out_discards_ps") AS "out discards" '
                        f'FROM "interface" WHERE {IF_WHERE} '
                        'GROUP BY time($__interval), "if_name" fill(none)',
                        alias="$tag_if_name $col",
                    )
                ],
            )
        )
        .with_panel(
            p.graph(
                "Poll time",
                p.SECONDS,
                [
                    Q(
                        f'SELECT mean("poll_seconds") FROM "device" WHERE {WHERE} {by} fill(none)',
                        alias="poll",
                    )
                ],
                thresholds=p.high_is_bad(10, 30),
            )
        )
        .with_panel(
            p.graph(
                "Sensors",
                p.SHORT,
                [
                    Q(
                        f'SELECT mean("value") FROM "sensor" WHERE {WHERE} '
                        'GROUP BY time($__interval), "sensor", "sensor_type" fill(none)',
                        alias="$tag_sensor_type $tag_sensor",
                    )
                ],
                description="Temperature in °C, fans in rpm, voltage in V, power in W.",
            )
        )
        .with_panel(
            p.bars(
                "Volumes used",
                p.PERCENT,
                [
                    Q(
                        f'SELECT last("used_pct") FROM "storage" WHERE {WHERE} GROUP BY "volume"',
                        alias="$tag_volume",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(80, 90),
            )
        )
        .with_panel(
            p.bars(
                "Supplies",
                p.PERCENT,
                [
                    Q(
                        f'SELECT last("level_pct") FROM "printer_supply" WHERE {WHERE} '
                        'GROUP BY "supply"',
                        alias="$tag_supply",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.low_is_bad(10, 25),
            )
        )
        .with_panel(
            p.listing(
                "Component health",
                [
                    _health("disk", "disk"),
                    _health("raid", "array"),
                    _health("sensor", "sensor"),
                ],
                w=24,
                columns={"health": p.column(mappings=p.HEALTH, cell="color-background")},
            )
        )
    )
