"""Filling a metric's rows from one poll's columns: tags, fields and extras, source by source.

The per-poll half of a `MetricPlan` (metric_plan.py compiles; this module fills). Each
name's sources are tried in priority order, a source only for the rows the ones before it
left without a value; plain sources (the value as sent) take loops of their own, the others
go through the source's compiled converter, its results remembered by value for mapping and
regex sources. Every memo belongs to its `PlanSource` (so to the compiled profile that holds
it): bounded, and dropped with the profile on a reload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lanpulse.core.model import SnmpValue
from lanpulse.core.profile import Source
from lanpulse.parsers.rows import Row
from lanpulse.parsers.values import Converter, as_text, compile_converter

Column = Mapping[str, SnmpValue]


def has_transform(src: Source) -> bool:
    """True when the source converts its value (not just: take it as the agent sent it)."""
    return any(
        v is not None for v in (src.map, src.scale, src.regex, src.as_, src.value, src.index)
    )


@dataclass(frozen=True, slots=True)
class PlanSource:
    """One source of a tag, field or extra value, with its conversion decided ahead."""

    source: Source
    oid: str | None  # None: a constant or a piece of the row index, no column
    plain: bool  # no transform: tags are the value's text, extras the value as sent
    plain_number: bool  # plain, no sentinels: an integer is the field value as it is
    counter: int | None
    format: str | None
    convert: Converter = field(compare=False, hash=False)  # (value, row index, want)
    # Results of `convert` by int or bytes value, for a mapping or regex source that
    # reads only the value (enumerations, parsed labels: the same values every poll).
    # An int and a bytes never compare equal, so they share one dict. None: no memo.
    memo: dict[int | bytes, Any] | None = field(default=None, compare=False, hash=False)
    # A plain source's tag texts (formatted when it has a format) of int and bytes values:
    # labels repeat on every poll (two-speed polling even hands over the very same cached
    # values), so decoding them once is enough. Bounded by _TEXT_LIMIT.
    texts: dict[int | bytes, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, src: Source) -> PlanSource:
        """Compile one profile source."""
        plain = not has_transform(src)
        memo: dict[int | bytes, Any] | None = (
            {}
            if (src.map is not None or src.regex is not None)
            and src.index is None
            and src.value is None
            else None
        )
        return cls(
            src,
            src.oid,
            plain,
            plain and not src.invalid,
            src.counter,
            src.format,
            compile_converter(src),
            memo,
        )


# One named value (tag, field or extra) and its sources in priority order.
Named = tuple[str, tuple[PlanSource, ...]]


_TEXT_LIMIT = 100_000  # tag texts remembered per plain source (labels of every device)
_MEMO_LIMIT = 4096  # entries of one conversion memo


def _tag_text(value: SnmpValue, fmt: str | None) -> str | None:
    """A plain source's tag: the value's text (formatted), None when empty."""
    text = value if isinstance(value, str) else as_text(value)
    if text and fmt is not None:
        text = fmt.replace("{}", text)
    return text or None


def source_column(src: PlanSource, columns: Mapping[str, Column]) -> Any:
    """The column `src` reads in this poll, None for a columnless source (a constant, an
    index), or `UNANSWERED` when the poll did not answer its column or answered it empty:
    every row would try that source in vain, so the fills skip it."""
    if src.oid is None:
        return None
    return columns.get(src.oid) or UNANSWERED


UNANSWERED: Any = object()


def fill_tag(
    rows: list[Row], name: str, srcs: tuple[PlanSource, ...], columns: Mapping[str, Column]
) -> None:
    """Tag `name` of each row: the text of the first source that yields one.

    Here and in the other fills, a source whose column the poll did not answer (or answered
    empty) is skipped: every row would try it in vain before the next source.
    """
    pending = rows
    for src in srcs:
        column = source_column(src, columns)
        if column is UNANSWERED:
            continue
        if column is not None and src.plain:
            missed = _fill_tag_plain(pending, name, column, src)
        else:
            missed = _fill_tag_converted(pending, name, column, src)
        if not missed:
            return
        pending = missed


def _fill_tag_plain(rows: list[Row], name: str, column: Column, src: PlanSource) -> list[Row]:
    """The common tag: a column's text as sent (in the source's format, if any); returns
    the rows it left without one. Texts of int and bytes values are remembered by the source
    (the same values come every poll)."""
    missed: list[Row] = []
    get, fmt, texts = column.get, src.format, src.texts
    cached = texts.get
    for row in rows:
        value = get(row.index)
        if value is None:
            missed.append(row)
            continue
        text = cached(value) if type(value) is bytes or type(value) is int else None
        if text is None:
            text = _tag_text(value, fmt)
            if text is None:
                missed.append(row)
                continue
            if type(value) is bytes or type(value) is int:
                if len(texts) >= _TEXT_LIMIT:
                    texts.clear()
                texts[value] = text
        row.tags[name] = text
    return missed


def _fill_tag_converted(
    rows: list[Row], name: str, column: Column | None, src: PlanSource
) -> list[Row]:
    """A tag from a transformed or columnless source (a plain source with a column takes
    `_fill_tag_plain`); returns the rows missed."""
    missed: list[Row] = []
    memo = src.memo
    for row in rows:
        value = None
        if column is not None:
            value = column.get(row.index)
            if value is None:
                missed.append(row)
                continue
        if memo is not None and (type(value) is int or type(value) is bytes):
            text = memo.get(value, _UNSEEN)
            if text is _UNSEEN:
                text = _memoized(memo, src, value, row.index, "tag")
        else:
            text = src.convert(value, row.index, "tag")
        if text is None:
            missed.append(row)
        elif text:
            # A tag conversion yields text; only a constant (`value:`) may be a number.
            row.tags[name] = text if type(text) is str else str(text)
    return missed


def fill_field(
    rows: list[Row], name: str, srcs: tuple[PlanSource, ...], columns: Mapping[str, Column]
) -> bool:
    """Field `name` of each row: the number of the first source that yields one. False
    when the poll answered none of the sources (no row was tried)."""
    pending = rows
    width = rows[0].widths.get(name) if rows and rows[0].widths else None
    tried = False
    for src in srcs:
        column = source_column(src, columns)
        if column is UNANSWERED:
            continue
        tried = True
        if column is not None and src.plain_number:
            missed = _fill_field_plain(pending, name, column, src, width)
        else:
            missed = _fill_field_converted(pending, name, column, src, width)
        if not missed:
            return True
        pending = missed
    if width and tried:  # rows left without the field: no width (a processor may set it)
        no_widths(pending, (name,))
    return tried


def _fill_field_plain(
    rows: list[Row], name: str, column: Column, src: PlanSource, width: int | None
) -> list[Row]:
    """The common field: a column's integers as sent; returns the rows it left without one.

    A row records its counter width only where it differs from the plan's `width`.
    """
    missed: list[Row] = []
    get, counter = column.get, src.counter
    exception = counter != width
    for row in rows:
        value = get(row.index)
        if type(value) is int:
            row.fields[name] = value
        elif value is None:
            missed.append(row)
            continue
        else:  # not an integer: converted like any other source's value
            number = src.convert(value, row.index, "field")
            if number is None:
                missed.append(row)
                continue
            row.fields[name] = number
        if exception:
            row.counter_bits[name] = counter or 0
    return missed


def _fill_field_converted(
    rows: list[Row], name: str, column: Column | None, src: PlanSource, width: int | None
) -> list[Row]:
    """A field from a transformed or columnless source; returns the rows it missed."""
    missed: list[Row] = []
    exception = src.counter != width
    memo = src.memo
    for row in rows:
        value = None
        if column is not None:
            value = column.get(row.index)
            if value is None:
                missed.append(row)
                continue
        if memo is not None and (type(value) is int or type(value) is bytes):
            number = memo.get(value, _UNSEEN)
            if number is _UNSEEN:
                number = _memoized(memo, src, value, row.index, "field")
        else:
            number = src.convert(value, row.index, "field")
        if number is None:
            missed.append(row)
            continue
        row.fields[name] = number
        if exception:
            row.counter_bits[name] = src.counter or 0
    return missed


_UNSEEN: Any = object()


def _memoized(
    memo: dict[int | bytes, Any], src: PlanSource, value: int | bytes, index: str, want: str
) -> Any:
    """`convert` of a value not yet in the source's memo, remembered (the memo bounded)."""
    result = src.convert(value, index, want)
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[value] = result
    return result


def no_widths(rows: list[Row], names: Iterable[str]) -> None:
    """Mark counter fields no source answered: no width, whatever a processor writes."""
    for name in names:
        for row in rows:
            row.counter_bits[name] = 0


def fill_extra(
    rows: list[Row], name: str, srcs: tuple[PlanSource, ...], columns: Mapping[str, Column]
) -> None:
    """Extra value `name` of each row, for the processors: as sent, or converted."""
    pending = rows
    for src in srcs:
        column = source_column(src, columns)
        if column is UNANSWERED:
            continue
        missed: list[Row] = []
        if column is not None and src.plain:  # the common extra: the column's value as sent
            get = column.get
            for row in pending:
                value = get(row.index)
                if value is None:
                    missed.append(row)
                else:
                    row.extra[name] = value
            if not missed:
                return
            pending = missed
            continue
        for row in pending:
            value = None
            if column is not None:
                value = column.get(row.index)
                if value is None:
                    missed.append(row)
                    continue
            if src.plain:  # the value as the agent sent it (none for an empty source)
                if value is not None:
                    row.extra[name] = value
                continue
            picked = src.convert(value, row.index, "field")
            if picked is None:
                missed.append(row)
            else:
                row.extra[name] = picked
        if not missed:
            return
        pending = missed
