"""Ricoh: besides the RFC 3805 sentinels, Ricoh agents report a supply level of -100 for
"near end" (almost empty, amount not measured). Read as a percentage it would be nonsense;
it is the same information as -3 "some remaining", so it is reported that way."""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext

NEAR_END = -100
SOME_REMAINING = -3


def supply_level(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Map Ricoh's -100 "near end" level to the standard "some remaining" sentinel."""
    for row in rows:
        if row.extra.get("level") == NEAR_END:
            row.extra["level"] = SOME_REMAINING
    return rows
