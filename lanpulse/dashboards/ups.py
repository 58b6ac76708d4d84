"""The UPS row of the estate overview: every UPS's power state, battery and runtime."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q
from lanpulse.dashboards.styles import low_is_bad, value_map

WHERE = '$timeFilter AND "site" =~ /^$site$/'
ON_BATTERY = value_map({0: ("mains", "green"), 1: ("ON BATTERY", "red")})
REPLACE = value_map({0: ("ok", "green"), 1: ("REPLACE", "orange")})


def with_ups_row(board: dash.Dashboard) -> dash.Dashboard:
    """Add the UPS row (a heading, the current state table, the runtime graph)."""
    return (
        board.with_row(p.row("UPS"))
        .with_panel(
            p.listing(
                "UPS state",
                [
                    Q(
                        'SELECT last("on_battery") AS "power", last("battery_charge_pct") AS '
                        '"charge %", last("runtime_seconds") AS "runtime", last("load_pct") AS '
                        '"load %", last("battery_replace") AS "battery", '
                        f'last("self_test_failed") AS "self-test failed" FROM "ups" WHERE {WHERE} '
                        'GROUP BY "device", "site"',
                        fmt="table",
                    )
                ],
                w=24,
                unit=p.SHORT,
                columns={
                    "power": p.column(mappings=ON_BATTERY, cell="color-background"),
                    "battery": p.column(mappings=REPLACE, cell="color-background"),
                    "charge %": p.column(unit=p.PERCENT, cell="gauge"),
                    "runtime": p.column(unit=p.SECONDS, thresholds=low_is_bad(300, 900)),
                    "load %": p.column(unit=p.PERCENT, thresholds=p.high_is_bad(70, 90)),
                },
                sort_by="power",
                description="On battery, remaining runtime and battery state of every UPS.",
            )
        )
        .with_panel(
            p.graph(
                "UPS runtime remaining",
                p.SECONDS,
                [
                    Q(
                        f'SELECT min("runtime_seconds") FROM "ups" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device" fill(none)',
                        alias="$tag_device",
                    )
                ],
                minimum=0,
            )
        )
    )
