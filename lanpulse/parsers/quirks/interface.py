"""IF-MIB speed: ifSpeed saturates at 4,294,967,295 bit/s, so fast links use ifHighSpeed."""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext

IF_SPEED_MAX = 4_294_967_295
_NUMBER = (int, float)


def speed(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Set `speed_bps` from ifHighSpeed (Mbit/s) where ifSpeed is absent or saturated.

    ifSpeed is kept below saturation because ifHighSpeed rounds sub-megabit links to 0.
    A speed of 0 means the agent does not know it: the field is left out, so no utilisation.
    """
    for row in rows:
        fields = row.fields
        high = row.extra.pop("high_speed_mbps", None)
        current = fields.get("speed_bps")
        if current is None:
            if type(high) is int and high > 0:
                fields["speed_bps"] = high * 1_000_000  # the usual gigabit port, no ifSpeed
                continue
        elif 0 < current < IF_SPEED_MAX:
            continue  # the usual case: ifSpeed is right as it is
        # Absent, saturated, 0 (or odd): ifHighSpeed when it has a speed; 0 is left out.
        if (
            (current is None or current >= IF_SPEED_MAX or current == 0)
            and isinstance(high, _NUMBER)
            and high > 0
        ):
            fields["speed_bps"] = int(high * 1_000_000)
        if fields.get("speed_bps") == 0:
            del fields["speed_bps"]
    return rows
