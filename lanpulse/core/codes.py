"""What the schema's integer codes mean, in words and a colour: one table for every view.

The dashboards' value mappings, the status page and `poll --format table` all read these,
so `oper_status 2` is "down" everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

Codes = Mapping[int, tuple[str, str]]  # code -> (word, colour)

HEALTH: Codes = {
    0: ("ok", "green"),
    1: ("warning", "orange"),
    2: ("critical", "red"),
    3: ("unknown", "text"),
}
UP_DOWN: Codes = {0: ("down", "red"), 1: ("up", "green")}
FLAG: Codes = {0: ("no", "green"), 1: ("yes", "red")}
ALERT_STATE: Codes = {0: ("resolved", "green"), 1: ("pending", "orange"), 2: ("firing", "red")}
# Printer-MIB supplies without a percentage: -3 "some remaining" (1), or empty (0).
SUPPLY_STATE: Codes = {0: ("empty", "red"), 1: ("some remaining", "green")}
# IF-MIB ifOperStatus / ifAdminStatus.
OPER_STATUS: Codes = {
    1: ("up", "green"),
    2: ("down", "red"),
    3: ("testing", "blue"),
    4: ("unknown", "text"),
    5: ("dormant", "orange"),
    6: ("notPresent", "text"),
    7: ("lowerLayerDown", "red"),
}
ADMIN_STATUS: Codes = {1: ("up", "green"), 2: ("down", "text"), 3: ("testing", "blue")}
# HOST-RESOURCES-MIB hrPrinterStatus and hrDeviceStatus.
PRINTER_STATUS: Codes = {
    1: ("other", "text"),
    2: ("unknown", "text"),
    3: ("idle", "green"),
    4: ("printing", "blue"),
    5: ("warmup", "orange"),
}
DEVICE_STATUS: Codes = {
    1: ("unknown", "text"),
    2: ("running", "green"),
    3: ("warning", "orange"),
    4: ("testing", "blue"),
    5: ("down", "red"),
}
# POWER-ETHERNET-MIB pethMainPseOperStatus (a PoE power source).
POE_STATUS: Codes = {1: ("on", "green"), 2: ("off", "text"), 3: ("faulty", "red")}
# EtherLike-MIB dot3StatsDuplexStatus.
DUPLEX: Codes = {1: ("unknown", "text"), 2: ("half", "red"), 3: ("full", "green")}

# (measurement or "*", field) -> its code table.
FIELD_CODES: dict[tuple[str, str], Codes] = {
    ("*", "oper_status"): OPER_STATUS,
    ("*", "admin_status"): ADMIN_STATUS,
    ("*", "health"): HEALTH,
    ("device", "up"): UP_DOWN,
    ("printer", "status"): PRINTER_STATUS,
    ("printer", "device_status"): DEVICE_STATUS,
    ("printer_supply", "some_remaining"): SUPPLY_STATE,
    ("alert", "state"): ALERT_STATE,
    ("poe", "status"): POE_STATUS,
    ("interface", "duplex"): DUPLEX,
    ("interface", "slower_than_capable"): FLAG,
}


def codes_of(measurement: str, field: str) -> Codes | None:
    """The code table of a field, if its integers are codes."""
    return FIELD_CODES.get((measurement, field)) or FIELD_CODES.get(("*", field))


def in_words(measurement: str, field: str, value: object) -> str | None:
    """`down` for interface oper_status 2; None when the value is not a known code."""
    table = codes_of(measurement, field)
    if table is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    entry = table.get(int(value)) if float(value).is_integer() else None
    return entry[0] if entry else None
