"""Estate overview: what is up and down, what is firing, and the top-N lists worth a look."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q
from lanpulse.dashboards.ups import with_ups_row

UID = "lanpulse-overview"
SITE = '"site" =~ /^$site$/'
# The last `up` of every device in the range: the estate's current state, one row per device.
LAST_UP = (
    f'SELECT last("up") AS "up" FROM "device" WHERE $timeFilter AND {SITE} '
    'GROUP BY "device", "class", "site"'
)
LAST_ALERT = (  # per alert (alert_id): one series of a rule must not hide another
    'SELECT last("state") AS "state", last("value") AS "value", last("muted") AS "muted" '
    'FROM "alert" WHERE $timeFilter GROUP BY "rule", "severity", "device", "alert_id"'
)
DEVICE_LINK = ("Device detail", "/d/lanpulse-device?var-device=${__value.raw}&${__url_time_range}")
PORT_TAGS = '"device", "if_name", "if_alias"'
# Estate-wide port lists read the last 10 minutes only ("now"), and rank raw points with
# top(field, tags..., N) rather than a GROUP BY per port: over 24,000 interface series a
# per-series subquery costs 2-4 s of InfluxDB 1.6 CPU, this form ~0.7 s
# (benchmarks/dashboard_queries.py, docs/dashboards.md).
NOW = "10m"


def _port_top(field: str, n: int = 10) -> str:
    """The `n` ports with the highest `field` now, with their device, name and alias."""
    where = f"$timeFilter AND {SITE} AND {p.ROLE} AND {p.NOT_VIRTUAL}"
    return f'SELECT top("{field}", {PORT_TAGS}, {n}) AS "{field}" FROM "interface" WHERE {where}'


def _top(fn: str, alias: str, inner: str, tags: tuple[str, ...], n: int = 10) -> str:
    """top()/bottom() of an inner per-series aggregate, with its tags as columns."""
    columns = ", ".join(f'"{t}"' for t in tags)
    return f'SELECT {fn}("{alias}", {n}) AS "{alias}", {columns} FROM ({inner})'


def _port_list(title: str, field: str, unit: str) -> table.Panel:
    """A top-N table of ports by `field` over the last 10 minutes, linking to the device."""
    return p.listing(
        title,
        [Q(_port_top(field), fmt="table")],
        columns={
            field: p.column(unit=unit, cell="color-text"),
            "device": p.column(link=DEVICE_LINK),
        },
        sort_by=field,
        time_from=NOW,
        description="Last 10 minutes; loopbacks and virtual interfaces left out; Role narrows.",
    )


def build() -> dash.Dashboard:
    """The estate overview dashboard."""
    ports = f"$timeFilter AND {SITE} AND {p.ROLE} AND {p.NOT_VIRTUAL}"
    # Down now and not shut by an administrator, ranked by the traffic it carried since the
    # switch started: ports that were up come first, never-used ones (0) last. One row per
    # port (top() keeps distinct tag sets). An `"in_octets" > 0` condition would say "was
    # up" exactly, at a third more InfluxDB CPU (1.0-1.3 s on the generated estate).
    went_down = (
        f'SELECT top("in_octets", {PORT_TAGS}, 100) AS "in_octets" FROM "interface" '
        f'WHERE {ports} AND "oper_status" = 2 AND "admin_status" = 1'
    )
    # Supplies that report no level, only "some remaining" (1) or empty (0): empty first.
    state_only = _top(
        "bottom",
        "some_remaining",
        f'SELECT last("some_remaining") AS "some_remaining" FROM "printer_supply" '
        f'WHERE $timeFilter AND {SITE} GROUP BY "device", "supply"',
        ("device", "supply"),
    )
    lowest_supplies = _top(
        "bottom",
        "level_pct",
        f'SELECT last("level_pct") AS "level_pct" FROM "printer_supply" WHERE $timeFilter '
        f'AND {SITE} GROUP BY "device", "supply", "color"',
        ("device", "supply", "color"),
    )
    fullest = _top(
        "top",
        "used_pct",
        f'SELECT last("used_pct") AS "used_pct" FROM "storage" WHERE $timeFilter AND {SITE} '
        'GROUP BY "device", "volume"',
        ("device", "volume"),
    )
    slowest = _top(
        "top",
        "poll_seconds",
        f'SELECT mean("poll_seconds") AS "poll_seconds" FROM "device" WHERE $timeFilter '
        f'AND {SITE} GROUP BY "device", "class"',
        ("device", "class"),
    )
    board = (
        p.new_dashboard(
            UID, "lanpulse: estate overview", "Devices up and down, active alerts, top-N lists."
        )
        .with_variable(p.site_variable())
        .with_variable(p.role_variable())
        .with_panel(p.single("Devices up", p.SHORT, Q(f'SELECT sum("up") FROM ({LAST_UP})')))
        .with_panel(
            p.single(
                "Devices down",
                p.SHORT,
                Q(f'SELECT count("up") - sum("up") FROM ({LAST_UP})'),
                thresholds=p.steps((None, "green"), (1, "red")),
            )
        )
        .with_panel(
            p.single(
                "Alerts firing",
                p.SHORT,
                Q(f'SELECT count("state") FROM ({LAST_ALERT}) WHERE "state" = 2 AND "muted" <> 1'),
                thresholds=p.steps((None, "green"), (1, "red")),
            )
        )
        .with_panel(
            p.single(
                "Slowest poll",
                p.SECONDS,
                Q(
                    f'SELECT max("poll_seconds") FROM "device" WHERE $timeFilter AND {SITE} '
                    "GROUP BY time($__interval) fill(none)"
                ),
                thresholds=p.high_is_bad(10, 30),
            )
        )
        .with_panel(
            p.listing(
                "Devices by class and site",
                [
                    Q(
                        f'SELECT sum("up") AS "up", count("up") - sum("up") AS "down" '
                        f'FROM ({LAST_UP}) GROUP BY "class", "site"',
                        fmt="table",
                    )
                ],
                columns={
                    "down": p.column(
                        thresholds=p.steps((None, "green"), (1, "red")), cell="color-text"
                    )
                },
                sort_by="down",
            )
        )
        .with_panel(
            p.listing(
                "Devices down",
                [
                    Q(
                        f'SELECT "up" FROM ({LAST_UP}) WHERE "up" = 0 '
                        'GROUP BY "device", "class", "site"',
                        fmt="table",
                    )
                ],
                columns={
                    "up": p.column(mappings=p.UP_DOWN, cell="color-background"),
                    "device": p.column(link=DEVICE_LINK),
                },
            )
        )
        .with_panel(
            p.listing(
                "Active alerts",
                [
                    Q(
                        f'SELECT "state", "value" FROM ({LAST_ALERT}) WHERE "state" = 2 '
                        'GROUP BY "rule", "severity", "device", "alert_id"',
                        fmt="table",
                    )
                ],
                columns={
                    "state": p.column(mappings=p.ALERT_STATE, cell="color-background"),
                    "device": p.column(link=DEVICE_LINK),
                },
                w=24,
            )
        )
        .with_panel(_port_list("Top talkers in", "in_bps", p.BPS))
        .with_panel(_port_list("Top talkers out", "out_bps", p.BPS))
        .with_panel(
            p.listing(
                "Ports down that were up",
                [Q(went_down, fmt="table")],
                columns={"device": p.column(link=DEVICE_LINK)},
                time_from=NOW,
                description="Down now, not shut by an administrator; ranked by traffic since "
                "the switch started, so ports that were up come first (0: never used).",
            )
        )
        .with_panel(_port_list("Top input error rates", "in_errors_ps", p.PER_SECOND))
        .with_panel(_port_list("Top output discard rates", "out_discards_ps", p.PER_SECOND))
        .with_panel(
            p.listing(
                "Lowest supplies",
                [Q(lowest_supplies, fmt="table")],
                columns={
                    "level_pct": p.column(
                        cell="gauge", thresholds=p.low_is_bad(10, 25), unit=p.PERCENT
                    ),
                    "device": p.column(link=DEVICE_LINK),
                },
                sort_by="level_pct",
                descending=False,
            )
        )
        .with_panel(
            p.listing(
                "Supplies with only a state",
                [Q(state_only, fmt="table")],
                columns={
                    "some_remaining": p.column(mappings=p.SUPPLY_STATE, cell="color-background"),
                    "device": p.column(link=DEVICE_LINK),
                },
                sort_by="some_remaining",
                descending=False,
                description="Supplies that report no level, only whether some remains.",
            )
        )
        .with_panel(
            p.listing(
                "Fullest volumes",
                [Q(fullest, fmt="table")],
                columns={
                    "used_pct": p.column(
                        cell="gauge", thresholds=p.high_is_bad(80, 90), unit=p.PERCENT
                    ),
                    "device": p.column(link=DEVICE_LINK),
                },
                sort_by="used_pct",
            )
        )
        .with_panel(
            p.listing(
                "Slowest polls (mean)",
                [Q(slowest, fmt="table")],
                columns={
                    "poll_seconds": p.column(
                        unit=p.SECONDS, thresholds=p.high_is_bad(10, 30), cell="color-text"
                    ),
                    "device": p.column(link=DEVICE_LINK),
                },
                sort_by="poll_seconds",
            )
        )
    )
    return with_ups_row(board)
