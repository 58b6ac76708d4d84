"""Printers: supply levels by colour, trays, status and error conditions, pages per day."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.models import dashboard as model

from lanpulse.core.schema import PRINTER_CONDITIONS
from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-printers"
WHERE = '$timeFilter AND "site" =~ /^$site$/ AND "device" =~ /^$device$/'
# Toner colours as people expect to see them; the `color` tag is the Printer-MIB colorant.
COLOUR_OF = {"black": "#3d3d3d", "cyan": "#00a3d9", "magenta": "#d9008d", "yellow": "#e6c300"}


def _supply_levels_graph() -> timeseries.Panel:
    """Levels over time, each line in its toner's colour."""
    panel = p.graph(
        "Supply levels by colour",
        p.PERCENT,
        [
            Q(
                f'SELECT mean("level_pct") FROM "printer_supply" WHERE {WHERE} '
                'GROUP BY time($__interval), "device", "color", "supply" fill(none)',
                alias="$tag_device $tag_color ($tag_supply)",
            )
        ],
        minimum=0,
        maximum=100,
        thresholds=p.low_is_bad(10, 25),
    )
    for colour, hex_colour in COLOUR_OF.items():
        panel = panel.override_by_regexp(
            f".* {colour} .*",
            [
                model.DynamicConfigValue(
                    id_val="color", value={"mode": "fixed", "fixedColor": hex_colour}
                )
            ],
        )
    return panel


def build() -> dash.Dashboard:
    """The printers dashboard."""
    flag_columns = {
        c: p.column(mappings=p.FLAG, cell="color-background") for c in PRINTER_CONDITIONS
    }
    conditions = ", ".join(f'last("{c}") AS "{c}"' for c in PRINTER_CONDITIONS)
    return (
        p.new_dashboard(
            UID, "lanpulse: printers", "Supplies, trays, status, errors and pages per day."
        )
        .with_variable(p.site_variable("printer"))
        .with_variable(p.device_variable("printer", "printer"))
        .with_panel(
            p.bars(
                "Supply levels",
                p.PERCENT,
                [
                    Q(
                        f'SELECT last("level_pct") FROM "printer_supply" WHERE {WHERE} '
                        'GROUP BY "device", "supply", "color"',
                        alias="$tag_device $tag_supply",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.low_is_bad(10, 25),
                description="Supplies reported only as 'some remaining' have no percentage.",
            )
        )
        .with_panel(_supply_levels_graph())
        .with_panel(
            p.listing(
                "Supplies by state",
                [
                    Q(
                        'SELECT last("level_pct") AS "level %", '
                        'last("some_remaining") AS "state", last("level") AS "level" '
                        f'FROM "printer_supply" WHERE {WHERE} '
                        'GROUP BY "device", "supply", "supply_type"',
                        fmt="table",
                    )
                ],
                w=24,
                columns={"state": p.column(mappings=p.SUPPLY_STATE, cell="color-background")},
                description=(
                    "Every supply, also those that report no percentage (capacity unknown, or "
                    "only 'some remaining'): their state shows here, and the printer's own "
                    "low/no toner flags page (printer_toner_low, printer_toner_empty)."
                ),
            )
        )
        .with_panel(
            p.bars(
                "Paper trays",
                p.PERCENT,
                [
                    Q(
                        f'SELECT last("level_pct") FROM "printer_tray" WHERE {WHERE} '
                        'GROUP BY "device", "tray"',
                        alias="$tag_device $tag_tray",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.low_is_bad(5, 15),
            )
        )
        .with_panel(
            p.graph(
                "Pages per day",
                p.SHORT,
                [
                    Q(
                        'SELECT non_negative_difference(last("page_count")) FROM "printer" '
                        f'WHERE {WHERE} GROUP BY time(1d), "device" fill(none)',
                        alias="$tag_device",
                    )
                ],
                bars=True,
                time_from="7d",
                description="Page counter difference between days (a reset counts 0).",
            )
        )
        .with_panel(
            p.listing(
                "Status",
                [
                    Q(
                        'SELECT last("status") AS "status", '
                        'last("device_status") AS "device status", '
                        'last("page_count") AS "pages", '
                        'last("alerts_critical") AS "critical alerts", '
                        'last("alerts_warning") AS "warning alerts" '
                        f'FROM "printer" WHERE {WHERE} GROUP BY "device", "site"',
                        fmt="table",
                    )
                ],
                w=24,
                h=6,
                columns={
                    "status": p.column(mappings=p.PRINTER_STATUS, cell="color-text"),
                    "device status": p.column(mappings=p.DEVICE_STATUS, cell="color-background"),
                    "critical alerts": p.column(
                        thresholds=p.steps((None, "green"), (1, "red")), cell="color-text"
                    ),
                    "warning alerts": p.column(
                        thresholds=p.steps((None, "green"), (1, "orange")), cell="color-text"
                    ),
                },
            )
        )
        .with_panel(
            p.listing(
                "Error conditions",
                [
                    Q(
                        f'SELECT {conditions} FROM "printer" WHERE {WHERE} GROUP BY "device"',
                        fmt="table",
                    )
                ],
                w=24,
                h=6,
                columns=flag_columns,
                description="hrPrinterDetectedErrorState, one column per condition (yes = active).",
            )
        )
        .with_panel(
            p.timeline(
                "Device status over time",
                [
                    Q(
                        f'SELECT last("device_status") FROM "printer" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device" fill(previous)',
                        alias="$tag_device",
                    )
                ],
                p.DEVICE_STATUS,
            )
        )
    )
