"""Vendor page-counter tables with one row per counter and a type column: the type says
what the row counts (a machine total, black-and-white or colour output of one function).
They are folded into one `printer` row with `page_count_mono` / `page_count_color` (and
`page_count` where the table has a machine total); `vendor_page_counts` then decides,
as for every vendor, whether the total stands (only without prtMarkerLifeCount).

Extra keys per row: `type` (the counter type code), `value`, and `units` where the MIB has
a unit column.

RICOH-Private-MIB ricohEngCounterTable (ricohEngCounterType): 10 machine total; per
function 201 copy, 301 fax, 401 print black & white; 202/203 copy, 402/403 print
single/two-colour and full colour. Mono is the B&W rows of the three functions, colour
the colour rows; the 6xx family counts the same output regrouped (totals per colour
mode, per application and per storage source) and is not added in again.

LEXMARK-MPS-MIB paperGeneralCountTable (paperGeneralCountType): 2 totalSafe (every side
delivered), 3 totalMonoSafe, 4 totalColorSafe. paperGeneralCountUnits is sides(4) or
sheets(5); only sides are read, the unit of prtMarkerLifeCount (impressions), so a
duplex sheet counts twice whichever source gives the total.

KYOCERA KMCOMMON-MIB kmMFPColorModeCounterTable (kmMFPColorModeCounterItem, pages per
function and colour mode): rows are indexed function.mode (print 1, copy 2, fax 4; the
MIB's INDEX clause says hrDeviceIndex where agents put the function), the mode extracted
by the profile as `type`.
Mode 1 is black & white, 2 single colour, 3 full colour (docs/schema.md says how that is
known); mono is mode 1 over every function (print, copy, fax), colour modes 2 and 3, as
Ricoh's single/two-colour and full colour are both colour. Other modes are not added.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.parsers.rows import Row, RowContext

TOTAL, MONO, COLOR = "page_count", "page_count_mono", "page_count_color"

RICOH: Mapping[int, str] = {
    10: TOTAL,
    201: MONO,
    301: MONO,
    401: MONO,
    202: COLOR,
    203: COLOR,
    402: COLOR,
    403: COLOR,
}
LEXMARK: Mapping[int, str] = {2: TOTAL, 3: MONO, 4: COLOR}
KYOCERA: Mapping[int, str] = {1: MONO, 2: COLOR, 3: COLOR}
LEXMARK_SHEETS = 5  # paperGeneralCountUnits sheets(5): not impressions


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _fold(rows: list[Row], kinds: Mapping[int, str], skip_units: int | None = None) -> list[Row]:
    sums: dict[str, int] = {}
    for row in rows:
        kind, value = kinds.get(_int(row.extra.get("type")) or 0), _int(row.extra.get("value"))
        if kind is None or value is None or value < 0:
            continue
        if skip_units is not None and _int(row.extra.get("units")) == skip_units:
            continue
        sums[kind] = sums.get(kind, 0) + value
    if not sums:
        return []
    out = Row(index="0", measurement="printer", widths=rows[0].widths)
    out.fields = dict(sums)
    return [out]


def ricoh(rows: list[Row], ctx: RowContext) -> list[Row]:
    """ricohEngCounterTable rows -> one printer row (see the module text)."""
    return _fold(rows, RICOH)


def lexmark(rows: list[Row], ctx: RowContext) -> list[Row]:
    """paperGeneralCountTable rows -> one printer row, sides only."""
    return _fold(rows, LEXMARK, skip_units=LEXMARK_SHEETS)


def kyocera(rows: list[Row], ctx: RowContext) -> list[Row]:
    """kmMFPColorModeCounterTable rows -> one printer row (see the module text)."""
    return _fold(rows, KYOCERA)
