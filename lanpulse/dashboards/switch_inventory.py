"""The switches dashboard's lower rows: what each switch is connected to (LLDP/CDP
neighbours), what it is built from (stack or virtual-chassis members) and its PoE budget.

`neighbor` rows are written on inventory polls only (every `label_refresh_polls` polls),
`stack_member` and `poe` on every poll; see docs/schema.md.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import statetimeline, table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

WHERE = '$timeFilter AND "class" = \'switch\' AND "site" =~ /^$site$/ AND "device" =~ /^$device$/'
# InfluxQL gives one selector's row the time of its point: the last inventory poll that saw
# the neighbour, shown as "last seen" (a neighbour unplugged keeps its old time).
LAST_SEEN = [model.DynamicConfigValue(id_val="displayName", value="last seen")]
HIDDEN = [model.DynamicConfigValue(id_val="custom.hidden", value=True)]


def with_switch_inventory_rows(board: dash.Dashboard) -> dash.Dashboard:
    """Add the neighbours, stack members and PoE rows."""
    return (
        board.with_row(p.row("Neighbours"))
        .with_panel(_neighbours())
        .with_row(p.row("Stacks and virtual chassis"))
        .with_panel(_stack_members())
        .with_panel(_stack_health())
        .with_row(p.row("Power over Ethernet"))
        .with_panel(_poe_budget())
        .with_panel(_poe_drawn())
    )


def _neighbours() -> table.Panel:
    return p.listing(
        "Neighbours (LLDP/CDP)",
        [
            Q(
                f'SELECT last("info") AS "info" FROM "neighbor" WHERE {WHERE} '
                'AND "local_port" =~ /^$interface$/ GROUP BY "device", "local_port", '
                '"protocol", "remote_name", "remote_port", "remote_address", "remote_chassis", '
                '"remote_platform"',
                fmt="table",
            )
        ],
        w=24,
        h=10,
        show_time=True,
        columns={"Time": LAST_SEEN, "info": HIDDEN},
        sort_by="device",
        descending=False,
        description="One row per neighbour a switch port hears (LLDP lldpRemTable, Cisco CDP "
        "cache), from the inventory polls. Empty columns: the neighbour does not send that "
        "TLV (many phones and PCs send no system name or management address).",
    )


def _stack_members() -> table.Panel:
    return p.listing(
        "Stack members",
        [
            Q(
                'SELECT last("health") AS "health", last("state") AS "state", '
                'last("priority") AS "priority", last("uptime_seconds") AS "uptime" '
                f'FROM "stack_member" WHERE {WHERE} '
                'GROUP BY "device", "member", "role", "model", "serial", "firmware"',
                fmt="table",
            )
        ],
        w=14,
        h=8,
        columns={
            "health": p.column(mappings=p.HEALTH, cell="color-background"),
            "uptime": p.column(unit=p.SECONDS),
        },
        sort_by="health",
        description="Members of Cisco StackWise, Juniper Virtual Chassis, HPE Comware IRF and "
        "Aruba VSF stacks. A member whose role changed in the time range (a switchover) is "
        "listed under each role it had; the health timeline shows when. Juniper members "
        "have no health: one that leaves the virtual chassis stops being reported.",
    )


def _stack_health() -> statetimeline.Panel:
    return p.timeline(
        "Stack member health",
        [
            Q(
                f'SELECT last("health") FROM "stack_member" WHERE {WHERE} '
                'GROUP BY time($__interval), "device", "member" fill(previous)',
                alias="$tag_device member $tag_member",
            )
        ],
        p.HEALTH,
        w=10,
        h=8,
    )


def _poe_budget() -> table.Panel:
    return p.listing(
        "PoE budget",
        [
            Q(
                'SELECT last("status") AS "status", last("budget_w") AS "budget", '
                'last("used_w") AS "drawn", last("remaining_w") AS "remaining", '
                'last("used_w") / last("budget_w") * 100 AS "used %" '
                f'FROM "poe" WHERE {WHERE} GROUP BY "device", "module"',
                fmt="table",
            )
        ],
        w=12,
        h=8,
        unit=p.WATT,
        columns={
            "status": p.column(mappings=p.POE_STATUS, cell="color-text"),
            "used %": p.column(unit=p.PERCENT, cell="gauge", thresholds=p.high_is_bad(80, 95)),
        },
        sort_by="used %",
        description="Per power source (a switch, or each stack member or line card: "
        "`module`): POWER-ETHERNET-MIB budget and power drawn. Near 100 % a new phone or "
        "access point gets no power.",
    )


def _poe_drawn() -> timeseries.Panel:
    return p.graph(
        "PoE power drawn",
        p.WATT,
        [
            Q(
                'SELECT mean("used_w") AS "drawn", mean("budget_w") AS "budget" '
                f'FROM "poe" WHERE {WHERE} '
                'GROUP BY time($__interval), "device", "module" fill(none)',
                alias="$tag_device module $tag_module $col",
            )
        ],
        minimum=0,
    )
