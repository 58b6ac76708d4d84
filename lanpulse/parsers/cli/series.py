"""What makes two samples the same series: measurement plus identity tags.

Descriptive tags (an interface's alias, a device's model) may be known to one source or
one command and not another; they never split a series. Interface names compare in their
canonical long form, so "Gi1/0/1" (SNMP ifName) and "GigabitEthernet1/0/1" (CLI) meet.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.parsers.cli.ifname import if_name_key

DESCRIPTIVE_TAGS = frozenset({"if_alias", "if_type", "vendor", "model", "profile", "error"})
SeriesKey = tuple[str, tuple[tuple[str, str], ...]]


def series_key(measurement: str, tags: Mapping[str, str], *, join: bool = False) -> SeriesKey:
    """The identity of a series; with `join`, the cross-source key (see docs/cli-collection.md).

    For the cross-source join an interface is identified by its canonical name, not by
    `if_index`: the CLI of most platforms does not show the SNMP ifIndex.
    """
    items = {k: v for k, v in tags.items() if k not in DESCRIPTIVE_TAGS}
    if join and measurement == "interface":
        items.pop("if_index", None)
        if "if_name" in items:
            items["if_name"] = if_name_key(items["if_name"])
    if join and measurement == "poe" and "port" in items:
        items["port"] = if_name_key(items["port"])
    return measurement, tuple(sorted(items.items()))
