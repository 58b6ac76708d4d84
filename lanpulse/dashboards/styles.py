"""Units, thresholds and value mappings shared by every dashboard: one look everywhere."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as model

# Grafana unit ids.
BPS = "bps"
PERCENT = "percent"
BYTES = "bytes"
SECONDS = "s"
PER_SECOND = "pps"  # events per second; errors and discards are packets
SHORT = "short"


def steps(*pairs: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds; the first pair's value is None (the base colour)."""
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=v, color=c) for v, c in pairs])
    )


def high_is_bad(warn: float, crit: float) -> dash.ThresholdsConfig:
    """Green below `warn`, orange to `crit`, red above (utilisation, fullness, latency)."""
    return steps((None, "green"), (warn, "orange"), (crit, "red"))


def low_is_bad(crit: float, warn: float) -> dash.ThresholdsConfig:
    """Red below `crit`, orange to `warn`, green above (supply and tray levels)."""
    return steps((None, "red"), (crit, "orange"), (warn, "green"))


def value_map(codes: dict[int, tuple[str, str]]) -> list[model.ValueMapping]:
    """Value mappings from a code table {code: (text, colour)}."""
    options = {
        str(code): model.ValueMappingResult(text=text, color=color, index=i)
        for i, (code, (text, color)) in enumerate(sorted(codes.items()))
    }
    return [model.ValueMap(options=options)]


HEALTH = value_map(
    {0: ("ok", "green"), 1: ("warning", "orange"), 2: ("critical", "red"), 3: ("unknown", "text")}
)
UP_DOWN = value_map({0: ("down", "red"), 1: ("up", "green")})
FLAG = value_map({0: ("no", "green"), 1: ("yes", "red")})
ALERT_STATE = value_map({0: ("resolved", "green"), 1: ("pending", "orange"), 2: ("firing", "red")})
# Printer-MIB supplies without a percentage: -3 "some remaining" (1), or empty (0).
SUPPLY_STATE = value_map({0: ("empty", "red"), 1: ("some remaining", "green")})
# IF-MIB ifOperStatus / ifAdminStatus.
OPER_STATUS = value_map(
    {
        1: ("up", "green"),
        2: ("down", "red"),
        3: ("testing", "blue"),
        4: ("unknown", "text"),
        5: ("dormant", "orange"),
        6: ("notPresent", "text"),
        7: ("lowerLayerDown", "red"),
    }
)
ADMIN_STATUS = value_map({1: ("up", "green"), 2: ("down", "text"), 3: ("testing", "blue")})
# HOST-RESOURCES-MIB hrPrinterStatus and hrDeviceStatus.
PRINTER_STATUS = value_map(
    {
        1: ("other", "text"),
        2: ("unknown", "text"),
        3: ("idle", "green"),
        4: ("printing", "blue"),
        5: ("warmup", "orange"),
    }
)
DEVICE_STATUS = value_map(
    {
        1: ("unknown", "text"),
        2: ("running", "green"),
        3: ("warning", "orange"),
        4: ("testing", "blue"),
        5: ("down", "red"),
    }
)
