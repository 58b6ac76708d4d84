"""Storage: capacity and growth per volume, disk and RAID health."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from lanpulse.dashboards import panels as p
from lanpulse.dashboards.panels import Q

UID = "lanpulse-storage"
WHERE = '$timeFilter AND "site" =~ /^$site$/ AND "device" =~ /^$device$/'


def build() -> dash.Dashboard:
    """The storage dashboard."""
    health = p.column(mappings=p.HEALTH, cell="color-background")
    return (
        p.new_dashboard(
            UID, "lanpulse: storage", "Volume capacity and growth, disk and RAID health."
        )
        .with_variable(p.site_variable("storage"))
        .with_variable(p.device_variable("storage", ".*"))
        .with_panel(
            p.listing(
                "Capacity",
                [
                    Q(
                        'SELECT last("size_bytes") AS "size", last("used_bytes") AS "used", '
                        'last("free_bytes") AS "free", last("used_pct") AS "used %" '
                        f'FROM "storage" WHERE {WHERE} GROUP BY "device", "volume", "storage_type"',
                        fmt="table",
                    )
                ],
                w=24,
                unit=p.BYTES,
                columns={
                    "used %": p.column(
                        unit=p.PERCENT, cell="gauge", thresholds=p.high_is_bad(80, 90)
                    )
                },
                sort_by="used %",
            )
        )
        .with_panel(
            p.graph(
                "Used % per volume",
                p.PERCENT,
                [
                    Q(
                        f'SELECT max("used_pct") FROM "storage" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device", "volume" fill(none)',
                        alias="$tag_device $tag_volume",
                    )
                ],
                minimum=0,
                maximum=100,
                thresholds=p.high_is_bad(80, 90),
            )
        )
        .with_panel(
            p.graph(
                "Used bytes per volume (growth)",
                p.BYTES,
                [
                    Q(
                        f'SELECT last("used_bytes") FROM "storage" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device", "volume" fill(none)',
                        alias="$tag_device $tag_volume",
                    )
                ],
            )
        )
        .with_panel(
            p.listing(
                "Growth over the range",
                [
                    Q(
                        'SELECT last("used_bytes") - first("used_bytes") AS "growth" '
                        f'FROM "storage" WHERE {WHERE} GROUP BY "device", "volume"',
                        fmt="table",
                    )
                ],
                unit=p.BYTES,
                sort_by="growth",
                description="Used bytes at the end of the range minus at its start.",
            )
        )
        .with_panel(
            p.listing(
                "Disks",
                [
                    Q(
                        'SELECT last("health") AS "health", last("state") AS "state", '
                        'last("temperature_c") AS "temperature" '
                        f'FROM "disk" WHERE {WHERE} GROUP BY "device", "disk"',
                        fmt="table",
                    )
                ],
                columns={"health": health, "temperature": p.column(unit="celsius")},
                sort_by="health",
            )
        )
        .with_panel(
            p.listing(
                "RAID arrays and pools",
                [
                    Q(
                        'SELECT last("health") AS "health", last("state") AS "state", '
                        'last("size_bytes") AS "size", last("used_bytes") AS "used" '
                        f'FROM "raid" WHERE {WHERE} GROUP BY "device", "array", "raid_level"',
                        fmt="table",
                    )
                ],
                unit=p.BYTES,
                columns={"health": health, "state": p.column(unit=p.SHORT)},
                sort_by="health",
            )
        )
        .with_panel(
            p.timeline(
                "Disk health",
                [
                    Q(
                        f'SELECT last("health") FROM "disk" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device", "disk" fill(previous)',
                        alias="$tag_device $tag_disk",
                    )
                ],
                p.HEALTH,
                w=12,
            )
        )
        .with_panel(
            p.timeline(
                "RAID health",
                [
                    Q(
                        f'SELECT last("health") FROM "raid" WHERE {WHERE} '
                        'GROUP BY time($__interval), "device", "array" fill(previous)',
                        alias="$tag_device $tag_array",
                    )
                ],
                p.HEALTH,
                w=12,
            )
        )
    )
