"""Switches: traffic, utilisation, errors and discards, and status per device and interface;
neighbours, stack members and PoE below (`switch_inventory`)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table

from lanpulse.core import codes
from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q
from lanpulse.dashboards.switch_inventory import with_switch_inventory_rows

UID = "lanpulse-switches"
WHERE = (
    '$timeFilter AND "class" = \'switch\' AND "site" =~ /^$site$/ AND "device" =~ /^$device$/ '
    f'AND "if_name" =~ /^$interface$/ AND {p.ROLE} AND {p.NOT_VIRTUAL}'
)
BY_PORT = 'GROUP BY time($__interval), "device", "if_name" fill(none)'
ALIAS = "$tag_device $tag_if_name $col"


def _rates(fields: tuple[str, str], names: tuple[str, str]) -> Q:
    """Mean of two stored rate fields (in, out) per port and interval."""
    a, b = fields
    return Q(
        f'SELECT mean("{a}") AS "{names[0]}", mean("{b}") AS "{names[1]}" FROM "interface" '
        f"WHERE {WHERE} {BY_PORT}",
        alias=ALIAS,
    )


def build() -> dash.Dashboard:
    """The switches dashboard."""
    interface_var = p.tag_variable(
        "interface",
        "Interface",
        'SHOW TAG VALUES FROM "interface" WITH KEY = "if_name" WHERE "device" =~ /^$device$/ '
        f"AND {p.ROLE} AND {p.NOT_VIRTUAL}",
    )
    board = (
        p.new_dashboard(
            UID,
            "lanpulse: switches",
            "Traffic, utilisation, errors and port status; neighbours, stacks and PoE.",
        )
        .with_variable(p.site_variable("interface"))
        # From `device`: a switch answering no IF-MIB (PoE or stack data only) is listed too.
        .with_variable(p.device_variable("device", "switch"))
        .with_variable(p.role_variable())
        .with_variable(interface_var)
        .with_panel(
            p.graph(
                "Traffic (out below the axis)",
                p.BPS,
                [_rates(("in_bps", "out_bps"), ("in", "out"))],
                w=24,
                negative_y=".* out$",
            )
        )
        .with_panel(
            p.graph(
                "Utilisation",
                p.PERCENT,
                [
                    Q(
                        f'SELECT max("in_util_pct") AS "in", max("out_util_pct") AS "out" '
                        f'FROM "interface" WHERE {WHERE} {BY_PORT}',
                        alias=ALIAS,
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(70, 90),
                description="Peak of the stored utilisation per interval; 100 % is the link speed.",
            )
        )
        .with_panel(
            p.graph(
                "Errors per second",
                p.PER_SECOND,
                [_rates(("in_errors_ps", "out_errors_ps"), ("in", "out"))],
                thresholds=p.high_is_bad(1, 10),
            )
        )
        .with_panel(
            p.graph(
                "Discards per second",
                p.PER_SECOND,
                [_rates(("in_discards_ps", "out_discards_ps"), ("in", "out"))],
                thresholds=p.high_is_bad(1, 10),
            )
        )
        .with_panel(
            p.timeline(
                "Operational status",
                [
                    Q(
                        f'SELECT last("oper_status") FROM "interface" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device", "if_name" fill(previous)',
                        alias="$tag_device $tag_if_name",
                    )
                ],
                p.OPER_STATUS,
                w=12,
            )
        )
        .with_panel(
            p.listing(
                "Ports",
                [
                    Q(
                        'SELECT last("oper_status") AS "oper", last("admin_status") AS "admin", '
                        'last("speed_bps") AS "speed", last("in_bps") AS "in", '
                        'last("out_bps") AS "out", last("in_util_pct") AS "in util", '
                        'last("out_util_pct") AS "out util", last("in_errors_ps") AS "in errors/s" '
                        f'FROM "interface" WHERE {WHERE} GROUP BY "device", "if_name", "if_alias"',
                        fmt="table",
                    )
                ],
                w=24,
                h=10,
                columns={
                    "oper": p.column(mappings=p.OPER_STATUS, cell="color-text"),
                    "admin": p.column(mappings=p.ADMIN_STATUS, cell="color-text"),
                    "speed": p.column(unit=p.BPS),
                    "in": p.column(unit=p.BPS),
                    "out": p.column(unit=p.BPS),
                    "in util": p.column(
                        unit=p.PERCENT, cell="gauge", thresholds=p.high_is_bad(70, 90)
                    ),
                    "out util": p.column(
                        unit=p.PERCENT, cell="gauge", thresholds=p.high_is_bad(70, 90)
                    ),
                    "in errors/s": p.column(unit=p.PER_SECOND),
                },
            )
        )
        .with_panel(_desktop_link_health())
        .with_panel(_desktops_by_port())
    )
    return with_switch_inventory_rows(board)


# EtherLike-MIB dot3StatsDuplexStatus (the one code table, core/codes.py).
DUPLEX = p.value_map(codes.DUPLEX)


def _desktop_link_health() -> table.Panel:
    """Access ports as the desktops see them: duplex, speed, FCS/alignment errors."""
    return p.listing(
        "Desktop link health",
        [
            Q(
                'SELECT last("duplex") AS "duplex", last("speed_bps") AS "speed", '
                'last("fcs_errors_ps") AS "FCS/s", last("alignment_errors_ps") AS "alignment/s", '
                'last("late_collisions_ps") AS "late collisions/s", '
                'last("capable_bps") AS "both can do", '
                'last("slower_than_capable") AS "slower than capable", '
                'last("link_losses_ps") AS "link losses/s", '
                'last("oper_status") AS "oper" '
                f'FROM "interface" WHERE {WHERE} AND "duplex" > 0 '
                'GROUP BY "device", "if_name", "if_alias"',
                fmt="table",
            )
        ],
        w=24,
        h=10,
        columns={
            "duplex": p.column(mappings=DUPLEX, cell="color-background"),
            "speed": p.column(unit=p.BPS, thresholds=p.low_is_bad(1e8, 1e9), cell="color-text"),
            "FCS/s": p.column(unit=p.PER_SECOND, thresholds=p.high_is_bad(0.1, 1)),
            "alignment/s": p.column(unit=p.PER_SECOND, thresholds=p.high_is_bad(0.1, 1)),
            "late collisions/s": p.column(unit=p.PER_SECOND, thresholds=p.high_is_bad(0.01, 1)),
            "both can do": p.column(unit=p.BPS),
            "slower than capable": p.column(mappings=p.FLAG, cell="color-background"),
            "link losses/s": p.column(unit=p.PER_SECOND, thresholds=p.high_is_bad(0.002, 0.01)),
            "oper": p.column(mappings=p.OPER_STATUS, cell="color-text"),
        },
        sort_by="duplex",
        descending=False,
        description="Half duplex on an up port is the switch side of a duplex mismatch "
        "(rule interface_duplex_mismatch); 100 Mb/s on a gigabit access port is the classic "
        'slow-PC ticket; "slower than capable" (MAU-MIB, rule interface_slower_than_capable) '
        "says the link runs below what both ends advertise, link losses/s a flapping link. "
        'Ports whose agent has no EtherLike-MIB are not listed; "Desktops by switch port" '
        "names who is on each.",
    )


def _desktops_by_port() -> table.Panel:
    """Who is on which port: `device_port` (discovery's endpoint table x device names)."""
    return p.listing(
        "Desktops by switch port",
        [
            Q(
                'SELECT last("info") AS "info" FROM "device_port" WHERE $timeFilter '
                'AND "switch" =~ /^$device$/ GROUP BY "switch", "port", "device", "vlan"',
                fmt="table",
            )
        ],
        w=24,
        h=8,
        columns={"info": p.column(hidden=True)},
        sort_by="switch",
        descending=False,
        description="The device (desktop, printer, agent host) whose MAC the switch learnt on "
        "each edge port, from discovery's endpoint table (docs/agents.md, \"Which switch "
        'port"); read it beside the link health table above.',
    )
