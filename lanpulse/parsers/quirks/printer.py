"""Printer-MIB (RFC 3805) and HOST-RESOURCES printer rows: sentinels, percentages, colours.

Supply and tray levels carry sentinels (-1 other/no restriction, -2 unknown, -3 "at
least one unit remains") that are never percentages; a max capacity of -1/-2 means no
percentage can be computed. hrPrinterDetectedErrorState is a BITS value: agents send one
or two octets, bit 0 being the most significant bit of the first octet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lanpulse.core.model import SnmpValue
from lanpulse.core.schema import PRINTER_CONDITIONS
from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_text

SOME_REMAINING = -3
COLORANT_VALUE = "1.3.6.1.2.1.43.12.1.1.4"  # prtMarkerColorantValue ("black", "cyan"...)
MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"  # prtMarkerLifeCount, per marker
COVER_STATUS = "1.3.6.1.2.1.43.6.1.1.3"  # prtCoverStatus
ALERT_SEVERITY = "1.3.6.1.2.1.43.18.1.1.2"  # prtAlertSeverityLevel
COVER_OPEN = {3, 5}  # doorOpen, interlockOpen
ALERT_CRITICAL = {3}  # critical
ALERT_WARNING = {4, 5}  # warning, warningBinaryChangeEvent


class WordTable:
    """Names found in free text by ordered patterns: the first pattern that matches wins.

    Owns its compiled patterns and a memo of the texts it has seen: every poll of every
    printer asks again for the same few hundred descriptions ("Black Cartridge HP CF400A"),
    and up to ten searches per supply row cost more than the rest of its parsing. The memo
    is bounded (`memo_limit` texts; full, it starts again) and lives as long as the table.
    """

    def __init__(self, words: tuple[tuple[str, str], ...], memo_limit: int = 4096) -> None:
        self._patterns = tuple((re.compile(pattern), name) for pattern, name in words)
        self._memo: dict[str, str | None] = {}
        self._memo_limit = memo_limit

    def first(self, text: str) -> str | None:
        """The name of the first pattern found in `text` (case-insensitive), or None."""
        try:
            return self._memo[text]
        except KeyError:
            pass
        low = text.lower()
        name = next((name for pattern, name in self._patterns if pattern.search(low)), None)
        if len(self._memo) >= self._memo_limit:
            self._memo.clear()
        self._memo[text] = name
        return name


# Words of a supply description that name its kind, for agents without prtMarkerSuppliesType
# (Xerox sends none). Order matters: "waste toner" before "toner", "drum" before others.
_TYPE_WORDS = WordTable(
    (
        (r"waste\s*toner", "waste_toner"),
        (r"waste\s*ink", "waste_ink"),
        (r"toner", "toner"),
        (r"\bink\b", "ink"),
        (r"drum|photoconductor|\bopc\b", "opc"),
        (r"fuser|fusing", "fuser"),
        (r"developer", "developer"),
        (r"transfer|belt", "transfer_unit"),
        (r"stapl", "staples"),
        (r"clean", "cleaner_unit"),
    )
)
_COLOUR_WORDS = WordTable(
    (
        (r"matte\s*black", "matte_black"),
        (r"photo\s*black", "photo_black"),
        (r"light\s*cyan", "light_cyan"),
        (r"light\s*magenta", "light_magenta"),
        (r"\bblack\b", "black"),
        (r"\bcyan\b", "cyan"),
        (r"\bmagenta\b", "magenta"),
        (r"\byellow\b", "yellow"),
    )
)


# Sentinel levels (Printer-MIB) -> `level_state`: 0 measured, 1 some remaining (-3),
# 2 unknown (-2), 3 other / no restriction (-1); any other negative value is unknown.
LEVEL_STATES = {SOME_REMAINING: 1, -2: 2, -1: 3}


def _level_fields(row: Row, level: object, max_capacity: object) -> None:
    """level, max_capacity, level_pct and some_remaining per SCHEMA.md's sentinel rules."""
    if isinstance(level, int) and not isinstance(level, bool):
        if level >= 0:
            row.fields["level"] = level
        elif level == SOME_REMAINING:
            row.fields["some_remaining"] = 1
        # The row is reported whatever the level says: an unknown level is a state too.
        row.fields["level_state"] = LEVEL_STATES.get(level, 2) if level < 0 else 0
    if isinstance(max_capacity, int) and not isinstance(max_capacity, bool) and max_capacity >= 0:
        row.fields["max_capacity"] = max_capacity
    lvl, cap = row.fields.get("level"), row.fields.get("max_capacity")
    if lvl is not None and cap:
        row.fields["level_pct"] = round(min(lvl / cap * 100, 100.0), 2)


def _colorant(ctx: RowContext, row_index: str, colorant_index: object) -> str | None:
    """prtMarkerColorantValue for a supply's colorant index (same hrDeviceIndex)."""
    if not isinstance(colorant_index, int) or colorant_index <= 0:
        return None
    device_index = row_index.split(".")[0]
    value = ctx.column(COLORANT_VALUE).get(f"{device_index}.{colorant_index}")
    if value is None:
        return None
    text = as_text(value).strip().lower().replace(" ", "_")
    return text or None


def supply(rows: list[Row], ctx: RowContext) -> list[Row]:
    """prtMarkerSuppliesTable rows: sentinel-aware levels, canonical type, colour."""
    for row in rows:
        level = row.extra.pop("level", None)
        max_capacity = row.extra.pop("max_capacity", None)
        colorant_index = row.extra.pop("colorant_index", None)
        row.fields.clear()
        _level_fields(row, level, max_capacity)
        descr = row.tags.get("supply", "")
        if row.tags.get("supply_type") in (None, "other", "unknown"):
            row.tags["supply_type"] = _TYPE_WORDS.first(descr) or row.tags.get(
                "supply_type", "other"
            )
        color = _colorant(ctx, row.index, colorant_index) or _COLOUR_WORDS.first(descr)
        if color and color not in ("unknown", "other", "none"):
            row.tags["color"] = color
        if not row.tags.get("supply"):
            row.tags["supply"] = row.tags["supply_type"]
    return [r for r in rows if r.fields]


def tray(rows: list[Row], ctx: RowContext) -> list[Row]:
    """prtInputTable rows: the same sentinel rules; a tray with no name uses its index."""
    for row in rows:
        level = row.extra.pop("level", None)
        max_capacity = row.extra.pop("max_capacity", None)
        row.fields.clear()
        _level_fields(row, level, max_capacity)
        row.fields.pop("some_remaining", None)  # not a printer_tray field
        if not row.tags.get("tray"):
            row.tags["tray"] = f"Tray {row.index.split('.')[-1]}"
    return [r for r in rows if r.fields]


def decode_error_state(value: SnmpValue | None) -> dict[str, int]:
    """Every hrPrinterDetectedErrorState condition as 0/1 (bit 0 = MSB of octet 1).

    An empty or absent value means no condition is known: nothing is reported. Agents
    send one octet (bits 0-7) or two (bits 0-15); missing bits are 0.
    """
    if isinstance(value, str):
        value = value.encode("latin-1", errors="replace")
    if not isinstance(value, bytes) or not value:
        return {}
    bits = int.from_bytes(value[:2].ljust(2, b"\x00"), "big")
    return {name: (bits >> (15 - i)) & 1 for i, name in enumerate(PRINTER_CONDITIONS)}


def _per_device(column: Mapping[str, SnmpValue], device_index: str) -> list[SnmpValue]:
    """Values of a table indexed hrDeviceIndex.N that belong to one device."""
    prefix = device_index + "."
    return [v for k, v in column.items() if k.startswith(prefix)]


def status(rows: list[Row], ctx: RowContext) -> list[Row]:
    """hrPrinterTable rows: error bits decoded, page count, open covers, alert counts.

    The `printer` measurement has no per-printer tag: a device with two printer entries
    (rare; print servers) reports the first, with conditions OR-ed over all.
    """
    # hrDeviceStatus has a row per hrDevice (network card, disk...): only the rows that
    # hrPrinterTable also answers are printers.
    rows = [r for r in rows if "error_state" in r.extra or "status" in r.fields]
    if not rows:
        return rows
    first = rows[0]
    flags: dict[str, int] = {}
    for row in rows:
        for name, bit in decode_error_state(row.extra.pop("error_state", None)).items():
            flags[name] = flags.get(name, 0) | bit
    first.fields.update(flags)
    device_index = first.index
    counts = [
        v for v in _per_device(ctx.column(MARKER_LIFE_COUNT), device_index) if isinstance(v, int)
    ]
    if counts:
        first.fields["page_count"] = sum(counts)
    covers = _per_device(ctx.column(COVER_STATUS), device_index)
    if covers and any(isinstance(c, int) and c in COVER_OPEN for c in covers):
        first.fields["door_open"] = 1
    elif covers and "door_open" not in first.fields:
        first.fields["door_open"] = 0
    # An empty alert table cannot be told from an absent one over SNMP: counts are
    # reported only when the agent returned alert rows for this printer.
    alerts = [
        a for a in _per_device(ctx.column(ALERT_SEVERITY), device_index) if isinstance(a, int)
    ]
    if alerts:
        first.fields["alerts_critical"] = sum(1 for a in alerts if a in ALERT_CRITICAL)
        first.fields["alerts_warning"] = sum(1 for a in alerts if a in ALERT_WARNING)
    return [first]


def vendor_pages(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Page counters of a vendor MIB, on the scalar `printer` row: `page_count` only when
    the Printer-MIB has no prtMarkerLifeCount (some HP models), else that one stands;
    the total is mono + colour when the vendor gives only those."""
    has_life_count = bool(ctx.column(MARKER_LIFE_COUNT))
    for row in rows:
        fields = row.fields
        mono, color = fields.get("page_count_mono"), fields.get("page_count_color")
        if "page_count" not in fields and mono is not None and color is not None:
            fields["page_count"] = mono + color
        if has_life_count:
            fields.pop("page_count", None)
    return [r for r in rows if r.fields]
