"""Wi-Fi: clients by site, APs down, busiest APs, channel utilisation, controller totals."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-wireless"
WHERE = '$timeFilter AND "site" =~ /^$site$/ AND "device" =~ /^$device$/'
# Radio rows (no `ssid` tag): the per-SSID rows of standalone APs count the same clients.
RADIOS = f"{WHERE} AND \"ssid\" = ''"


def build() -> dash.Dashboard:
    """The Wi-Fi dashboard."""
    return (
        p.new_dashboard(
            UID,
            "lanpulse: wireless",
            "Where the tablets are: clients by site, access points down, busiest APs.",
        )
        .with_variable(p.site_variable("wireless_ap"))
        .with_variable(p.device_variable("wireless_ap", ".*"))
        .with_panel(
            p.graph(
                "Clients by site",
                p.SHORT,
                [
                    Q(
                        'SELECT sum("clients") AS "clients" FROM (SELECT mean("clients") AS '
                        f'"clients" FROM "wireless_ap" WHERE {RADIOS} GROUP BY time($__interval), '
                        '"site", "device", "ap", "radio") WHERE $timeFilter '
                        'GROUP BY time($__interval), "site" fill(none)',
                        alias="$tag_site",
                    )
                ],
                w=16,
                minimum=0,
                description="Clients associated per site (the controller's `site` label), "
                "summed over every AP radio.",
            )
        )
        .with_panel(
            p.single(
                "Access points up",
                p.SHORT,
                Q(
                    'SELECT sum("up") FROM (SELECT last("up") AS "up" FROM "wireless_ap" '
                    f'WHERE {WHERE} GROUP BY "device", "ap", "radio")'
                ),
                w=8,
                description="APs (or radios, where the controller reports them) up now.",
            )
        )
        .with_panel(
            p.listing(
                "APs down",
                [
                    Q(
                        'SELECT last("up") AS "up" FROM "wireless_ap" '
                        f'WHERE {WHERE} GROUP BY "device", "ap_group", "ap"',
                        fmt="table",
                    )
                ],
                columns={"up": p.column(mappings=p.UP_DOWN, cell="color-background")},
                sort_by="up",
                descending=False,
                description="Every AP the controllers report, the down ones first.",
            )
        )
        .with_panel(
            p.listing(
                "Busiest APs",
                [
                    Q(
                        'SELECT last("clients") AS "clients", last("util_pct") AS "channel %", '
                        'last("channel") AS "channel" FROM "wireless_ap" '
                        f'WHERE {RADIOS} GROUP BY "device", "ap", "band", "radio"',
                        fmt="table",
                    )
                ],
                columns={"channel %": p.column(unit=p.PERCENT, thresholds=p.high_is_bad(60, 80))},
                sort_by="clients",
                description="Radios by associated clients; channel % is the busy airtime.",
            )
        )
        .with_panel(
            p.graph(
                "Channel utilisation (highest radios)",
                p.PERCENT,
                [
                    Q(
                        f'SELECT max("util_pct") FROM "wireless_ap" WHERE {RADIOS} '
                        'GROUP BY time($__interval), "device", "ap", "band" fill(none)',
                        alias="$tag_ap $tag_band",
                    )
                ],
                w=24,
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(60, 80),
            )
        )
        .with_panel(
            p.graph(
                "Controller totals",
                p.SHORT,
                [
                    Q(
                        'SELECT last("clients") AS "clients", last("aps") AS "aps", '
                        'last("aps_up") AS "aps up" FROM "wireless_controller" '
                        f"WHERE {WHERE} AND \"ssid\" = '' "
                        'GROUP BY time($__interval), "device" fill(none)',
                        alias="$tag_device $col",
                    )
                ],
                w=24,
                minimum=0,
            )
        )
    )
