"""Named processors: small modules for what profile data cannot express.

A processor takes the rows one metric produced and the poll context, and returns rows
(changed, filtered, re-routed to another measurement, or added). Profiles name them in a
metric's `processors:` list; this registry is the only place that knows them all.
"""

from __future__ import annotations

from collections.abc import Callable

from lanpulse.parsers.quirks import (
    comware,
    entity_sensor,
    hp_jetdirect,
    hr_storage,
    interface,
    inventory,
    juniper,
    mau,
    memory,
    page_counters,
    printer,
    ricoh,
    ucd_snmp,
    ups,
    volumes,
    windows,
    wireless,
)
from lanpulse.parsers.rows import Row, RowContext

Processor = Callable[[list[Row], RowContext], list[Row]]

PROCESSORS: dict[str, Processor] = {
    "interface_speed": interface.speed,
    "mau_autoneg": mau.autoneg,
    "hr_storage": hr_storage.route,
    "printer_supply": printer.supply,
    "printer_tray": printer.tray,
    "printer_status": printer.status,
    "vendor_page_counts": printer.vendor_pages,
    "ricoh_page_counts": page_counters.ricoh,
    "lexmark_page_counts": page_counters.lexmark,
    "kyocera_page_counts": page_counters.kyocera,
    "hp_supply_descr": hp_jetdirect.supply_descr,
    "ricoh_supply_level": ricoh.supply_level,
    "ucd_memory": ucd_snmp.memory,
    "ucd_disks": ucd_snmp.disks,
    "windows_volume": windows.volume_name,
    "sized_volume": volumes.sized,
    "entity_sensor": entity_sensor.sensors,
    "memory_pools": memory.pools,
    "wlan_ap_by_prefix": wireless.ap_by_prefix,
    "wlan_self_ap": wireless.self_ap,
    "ups_alarms": ups.alarms,
    "juniper_operating": juniper.operating,
    "device_info": inventory.device_info,
    "lldp_neighbors": inventory.lldp_neighbors,
    "cdp_neighbors": inventory.cdp_neighbors,
    "comware_irf_members": comware.irf_members,
}
