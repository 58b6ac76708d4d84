"""ENTITY-SENSOR-MIB (RFC 3433) entPhySensorTable: scaled values, typed, named.

entPhySensorValue is an integer to be multiplied by 10^(3*(scale-9)) (scale 9 = units,
8 = milli, 10 = kilo...) and divided by 10^precision. The sensor is named by the
entPhysicalName of the same entPhysicalIndex (tags `sensor`, resolved by the profile).
Types without a canonical sensor_type (hertz, cmm, truthvalue, other) are left out.
"""

from __future__ import annotations

from collections import Counter

from lanpulse.parsers.rows import Row, RowContext

SENSOR_TYPES = {
    3: "voltage",  # voltsAC
    4: "voltage",  # voltsDC
    5: "current",  # amperes
    6: "power",  # watts
    8: "temperature",  # celsius
    9: "humidity",  # percentRH
    10: "fan",  # rpm
}
HEALTH = {1: 0, 2: 3, 3: 2}  # ok, unavailable, nonoperational
UNITS_SCALE = 9


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sensors(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Apply scale and precision, map the type, turn oper status into health."""
    out: list[Row] = []
    for row in rows:
        extra = row.extra
        # A plain int is the common value: checked inline, _int only for anything else.
        v = extra.pop("type", None)
        kind = SENSOR_TYPES.get((v if type(v) is int else _int(v)) or 0)
        if kind is None:
            continue  # the row is dropped: its other values do not matter
        v = extra.pop("scale", None)
        scale = (v if type(v) is int else _int(v)) or UNITS_SCALE
        v = extra.pop("precision", None)
        precision = (v if type(v) is int else _int(v)) or 0
        v = extra.pop("value", None)
        raw = v if type(v) is int else _int(v)
        v = extra.pop("status", None)
        status = v if type(v) is int else _int(v)
        tags = row.tags
        tags["sensor_type"] = kind
        if "sensor" not in tags:  # not setdefault: the default name is made only when needed
            tags["sensor"] = f"Sensor {row.index}"
        if raw is not None and status != 2:  # an unavailable sensor's value is stale
            if scale == UNITS_SCALE and precision == 0:
                value = raw * 1.0  # the usual units (x 1.0 / 1.0 below, exactly)
            else:
                value = raw * 10.0 ** (3 * (scale - UNITS_SCALE)) / 10.0**precision
            row.fields["value"] = int(value) if value.is_integer() else round(value, 6)
        if status is not None:
            row.fields["state"] = status
            if status in HEALTH:
                row.fields["health"] = HEALTH[status]
        if row.fields:
            out.append(row)
    # Two sensors with the same entPhysicalName (e.g. "1/1" on every stack member) would
    # be one series: the entity index tells them apart.
    names = [r.tags["sensor"] for r in out]
    if len(set(names)) < len(names):
        counts = Counter(names)
        for row in out:
            if counts[row.tags["sensor"]] > 1:
                row.tags["sensor"] = f"{row.tags['sensor']} ({row.index})"
    return out
