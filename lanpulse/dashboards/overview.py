"""Estate overview: what is up and down, what is firing, and the top-N lists worth a look."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

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


def _top(fn: str, alias: str, inner: str, tags: tuple[str, ...], n: int = 10) -> str:
    """top()/bottom() of an inner per-series aggregate, with its tags as columns."""
    columns = ", ".join(f'"{t}"' for t in tags)
    return f'SELECT {fn}("{alias}", {n}) AS "{alias}", {columns} FROM ({inner})'


def build() -> dash.Dashboard:
    """The estate overview dashboard."""
    busiest_in = _top(
        "top",
        "in_util_pct",
        f'SELECT max("in_util_pct") AS "in_util_pct" FROM "interface" WHERE $timeFilter AND {SITE} '
        'GROUP BY "device", "if_name"',
        ("device", "if_name"),
    )
    busiest_out = _top(
        "top",
        "out_util_pct",
        f'SELECT max("out_util_pct") AS "out_util_pct" FROM "interface" WHERE $timeFilter '
        f'AND {SITE} GROUP BY "device", "if_name"',
        ("device", "if_name"),
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
                columns={"state": p.column(mappings=p.ALERT_STATE, cell="color-background")},
                w=24,
            )
        )
        .with_panel(
            p.listing(
                "Busiest links in (peak utilisation)",
                [Q(busiest_in, fmt="table")],
                columns={
                    "in_util_pct": p.column(
                        cell="gauge", thresholds=p.high_is_bad(70, 90), unit=p.PERCENT
                    )
                },
                sort_by="in_util_pct",
            )
        )
        .with_panel(
            p.listing(
                "Busiest links out (peak utilisation)",
                [Q(busiest_out, fmt="table")],
                columns={
                    "out_util_pct": p.column(
                        cell="gauge", thresholds=p.high_is_bad(70, 90), unit=p.PERCENT
                    )
                },
                sort_by="out_util_pct",
            )
        )
        .with_panel(
            p.listing(
                "Lowest supplies",
                [Q(lowest_supplies, fmt="table")],
                columns={
                    "level_pct": p.column(
                        cell="gauge", thresholds=p.low_is_bad(10, 25), unit=p.PERCENT
                    )
                },
                sort_by="level_pct",
                descending=False,
            )
        )
        .with_panel(
            p.listing(
                "Fullest volumes",
                [Q(fullest, fmt="table")],
                columns={
                    "used_pct": p.column(
                        cell="gauge", thresholds=p.high_is_bad(80, 90), unit=p.PERCENT
                    )
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
                w=24,
            )
        )
    )
    return with_ups_row(board)
