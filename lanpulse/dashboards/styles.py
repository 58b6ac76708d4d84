"""Units, thresholds and value mappings shared by every dashboard: one look everywhere."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as model

from lanpulse.core import codes

# Grafana unit ids.
BPS = "bps"
PERCENT = "percent"
BYTES = "bytes"
SECONDS = "s"
PER_SECOND = "pps"  # events per second; errors and discards are packets
SHORT = "short"
WATT = "watt"


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


def value_map(table: codes.Codes) -> list[model.ValueMapping]:
    """Value mappings from a code table {code: (text, colour)}."""
    options = {
        str(code): model.ValueMappingResult(text=text, color=color, index=i)
        for i, (code, (text, color)) in enumerate(sorted(table.items()))
    }
    return [model.ValueMap(options=options)]


HEALTH = value_map(codes.HEALTH)
UP_DOWN = value_map(codes.UP_DOWN)
FLAG = value_map(codes.FLAG)
ALERT_STATE = value_map(codes.ALERT_STATE)
SUPPLY_STATE = value_map(codes.SUPPLY_STATE)
OPER_STATUS = value_map(codes.OPER_STATUS)
ADMIN_STATUS = value_map(codes.ADMIN_STATUS)
PRINTER_STATUS = value_map(codes.PRINTER_STATUS)
DEVICE_STATUS = value_map(codes.DEVICE_STATUS)
POE_STATUS = value_map(codes.POE_STATUS)
