"""UPS-MIB (RFC 1628) alarms: "battery needs replacing" is a row of the alarm table.

The standard MIB has no replace-battery flag; the agent lists upsAlarmBatteryBad
(upsWellKnownAlarms.1) in upsAlarmTable while the battery needs replacing. The alarm
table is read only when upsAlarmsPresent was answered, so an agent without the alarm group
reports no `battery_replace` at all rather than a false 0.
"""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_text

ALARM_DESCR = "1.3.6.1.2.1.33.1.6.2.1.2"  # upsAlarmDescr: a upsWellKnownAlarms OID per alarm
BATTERY_BAD = "1.3.6.1.2.1.33.1.6.3.1"  # upsAlarmBatteryBad


def alarms(rows: list[Row], ctx: RowContext) -> list[Row]:
    """`battery_replace` from the alarm table, on the scalar `ups` row."""
    column = ctx.column(ALARM_DESCR)
    for row in rows:
        if "alarms" not in row.fields:
            continue
        bad = any(as_text(v).lstrip(".") == BATTERY_BAD for v in column.values())
        row.fields["battery_replace"] = int(bad)
    return rows
