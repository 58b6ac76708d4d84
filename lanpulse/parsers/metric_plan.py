"""A profile metric compiled once into what building its rows needs on every poll.

Profiles are data (pydantic models); reading them the generic way on every row of every
poll (which group, a source or a list of sources, which conversion applies) costs more than
fetching the values. A `MetricPlan` does that work once per metric: each tag, field and
extra value becomes a tuple of `PlanSource`s in priority order, with the conversion decided
ahead (a source without transforms takes a fast path; the others go through
`values.convert`, unchanged, its results remembered by value for mapping and regex
sources). Per poll, each source's column is looked up once, not once per row. The rows
built are exactly those the generic reading would build (tests/test_metric_plan_rows.py
checks that against a value-by-value reference).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lanpulse.core.model import RawSnmp, SnmpValue
from lanpulse.core.profile import Metric, Source
from lanpulse.parsers.rates import RatePlan, RateRule, rate_rules
from lanpulse.parsers.rows import Row
from lanpulse.parsers.values import as_text, convert

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
    # Results of `convert` by int or bytes value, for a mapping or regex source that
    # reads only the value (enumerations, parsed labels: the same values every poll).
    # An int and a bytes never compare equal, so they share one dict. None: no memo.
    memo: dict[int | bytes, Any] | None = field(default=None, compare=False, hash=False)

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
        return cls(src, src.oid, plain, plain and not src.invalid, src.counter, src.format, memo)


# One named value (tag, field or extra) and its sources in priority order.
Named = tuple[str, tuple[PlanSource, ...]]
# The same, resolved for one poll: each source with its column (None when it has no oid);
# sources whose column the device did not answer are left out.
Candidates = tuple[tuple[Column | None, PlanSource], ...]
Resolved = tuple[str, Candidates]


def _named(group: Mapping[str, Source | list[Source]]) -> tuple[Named, ...]:
    return tuple(
        (name, tuple(PlanSource.of(s) for s in (srcs if isinstance(srcs, list) else [srcs])))
        for name, srcs in group.items()
    )


def _oids(groups: tuple[tuple[Named, ...], ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for _, srcs in group:
            for src in srcs:
                if src.oid:
                    seen[src.oid] = None
    return tuple(seen)


@lru_cache(maxsize=4096)
def sorted_indexes(indexes: tuple[str, ...]) -> tuple[str, ...]:
    """Row indexes in numeric order (`2` before `10`); cached, devices share layouts."""
    return tuple(
        sorted(indexes, key=lambda i: tuple(int(p) if p.isdigit() else 0 for p in i.split(".")))
    )


# Tag texts of OCTET STRINGs seen before. Labels repeat on every poll (two-speed polling
# even hands over the very same cached values), so decoding them once is enough.
_TEXT_LIMIT = 100_000
_texts: dict[bytes, str] = {}
_MEMO_LIMIT = 4096  # entries of one conversion memo or one format's texts
# Formatted tag texts, by format, of int and bytes values (see `_fill_tag_formatted`);
# bounded like the memos: at most 256 formats of 4096 texts each.
_FORMATS_LIMIT = 256
_formatted: dict[str, dict[int | bytes, str]] = {}


def _tag_text(value: SnmpValue, fmt: str | None) -> str | None:
    """A plain source's tag: the value's text (formatted), None when empty."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        cached = _texts.get(value)
        if cached is None:
            if len(_texts) >= _TEXT_LIMIT:
                _texts.clear()
            cached = _texts[value] = as_text(value)
        text = cached
    else:
        text = as_text(value)
    if text and fmt is not None:
        text = fmt.replace("{}", text)
    return text or None


@dataclass(frozen=True, slots=True)
class MetricPlan:
    """A metric compiled for row building; see the module docstring."""

    metric: Metric
    tags: tuple[Named, ...]
    fields: tuple[Named, ...]
    extra: tuple[Named, ...]
    oids: tuple[str, ...]  # every source's oid
    index_oids: tuple[str, ...]  # columns whose row indexes make the table's rows
    fallback_index_oids: tuple[str, ...]  # used when none of index_oids was answered
    rate_rules: tuple[RateRule, ...]
    rates: RatePlan
    # Each counter field's width when its first source gives it (Row.widths).
    widths: dict[str, int]
    identity: tuple[str, ...]
    # Declared fields a poll must answer (rates need two polls), and how a miss is named.
    unanswerable: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, metric: Metric) -> MetricPlan:
        """Compile one metric."""
        tags, fields, extra = _named(metric.tags), _named(metric.fields), _named(metric.extra)
        if fields:
            index_oids, fallback = _oids((fields, tags)), _oids((extra,))
        else:
            index_oids, fallback = _oids((tags, extra)), ()
        rules = rate_rules(metric.rates)
        rate_fields = {r.rate for r in rules} | {r.util for r in rules if r.util}
        return cls(
            metric=metric,
            tags=tags,
            fields=fields,
            extra=extra,
            oids=_oids((tags, fields, extra)),
            index_oids=index_oids,
            fallback_index_oids=fallback,
            rate_rules=rules,
            rates=RatePlan.of(rules),
            widths={name: srcs[0].counter for name, srcs in fields if srcs[0].counter},
            identity=tuple(metric.identity),
            unanswerable=tuple(
                (f, f"{metric.name}.{f}") for f in metric.declared_fields() if f not in rate_fields
            ),
        )

    def rows(self, raw: RawSnmp) -> list[Row]:
        """The metric's rows of one poll, before processors (one row for a scalar group)."""
        if self.metric.scalar:
            # A scalar group is a one-row table whose row index is empty.
            scalars = raw.scalars
            columns: Mapping[str, Column] = {
                oid: {"": scalars[oid]} for oid in self.oids if oid in scalars
            }
            indexes: tuple[str, ...] = ("",)
        else:
            columns = raw.columns
            indexes = self._indexes(columns)
            if not indexes:  # nothing to fill (and nothing the fills below would write)
                return []
        measurement = self.metric.measurement
        widths = self.widths
        rows = Row.empty_rows(indexes, measurement, widths)
        # Column by column: each name's sources are tried in priority order, a source only
        # for the rows that the ones before it left without a value.
        for name, candidates in _resolve(self.tags, columns):
            _fill_tag(rows, name, candidates)
        resolved = _resolve(self.fields, columns)
        for name, candidates in resolved:
            _fill_field(rows, name, candidates)
        if widths and len(resolved) < len(self.fields):
            _no_widths(rows, widths.keys() - {name for name, _ in resolved})
        for name, candidates in _resolve(self.extra, columns):
            _fill_extra(rows, name, candidates)
        index_tag = self.metric.index_tag
        if index_tag and not self.metric.scalar:
            for row in rows:
                row.tags[index_tag] = row.index
        return rows

    def _indexes(self, columns: Mapping[str, Column]) -> tuple[str, ...]:
        for oids in (self.index_oids, self.fallback_index_oids):
            seen: dict[str, None] = {}
            known = seen.keys()  # a live view: it follows the updates below
            for oid in oids:
                column = columns.get(oid)
                # Columns of one table mostly have the same rows: a subset adds nothing.
                if column and not known >= column.keys():
                    seen.update(dict.fromkeys(column))
            if seen:
                return sorted_indexes(tuple(seen))
        return ()


def _resolve(named: tuple[Named, ...], columns: Mapping[str, Column]) -> tuple[Resolved, ...]:
    """Each source with its column for this poll; unanswered columns and names left out.

    An empty column (walked, nothing under it) is left out too: it would only try every
    row in vain before the next source gets the same rows.
    """
    out: list[Resolved] = []
    get = columns.get
    for name, srcs in named:
        if len(srcs) == 1:  # the usual name: one source, no list to build
            src = srcs[0]
            if src.oid is None:
                out.append((name, ((None, src),)))
            else:
                column = get(src.oid)
                if column:
                    out.append((name, ((column, src),)))
            continue
        found = [
            (get(src.oid) if src.oid else None, src)
            for src in srcs
            if src.oid is None or get(src.oid)
        ]
        if found:
            out.append((name, tuple(found)))
    return tuple(out)


def _fill_tag(rows: list[Row], name: str, candidates: Candidates) -> None:
    """Tag `name` of each row: the text of the first source that yields one."""
    pending = rows
    for column, src in candidates:
        if column is not None and src.plain and src.format is None:
            missed = _fill_tag_plain(pending, name, column)
        elif column is not None and src.plain and src.format is not None:
            missed = _fill_tag_formatted(pending, name, column, src.format)
        else:
            missed = _fill_tag_converted(pending, name, column, src)
        if not missed:
            return
        pending = missed


def _fill_tag_plain(rows: list[Row], name: str, column: Column) -> list[Row]:
    """The common tag: a column's text as sent; returns the rows it left without one."""
    missed: list[Row] = []
    get, cached = column.get, _texts.get
    for row in rows:
        value = get(row.index)
        if value is None:
            missed.append(row)
            continue
        # The text cache inline: no call for a label seen before (the usual case).
        text = cached(value) if type(value) is bytes else None
        if not text:  # not cached yet, or empty (no tag: _tag_text says None)
            text = _tag_text(value, None)
            if text is None:
                missed.append(row)
                continue
        row.tags[name] = text
    return missed


def _fill_tag_formatted(rows: list[Row], name: str, column: Column, fmt: str) -> list[Row]:
    """A formatted tag (`Fan {}`): a column's text in the format; returns the rows missed.

    The texts are cached per format for int and bytes values (they never compare equal to
    each other), as `_fill_tag_plain` caches labels: the same values come every poll.
    """
    missed: list[Row] = []
    get = column.get
    cache = _formatted.get(fmt)
    if cache is None:
        if len(_formatted) >= _FORMATS_LIMIT:
            _formatted.clear()
        cache = _formatted[fmt] = {}
    cached = cache.get
    for row in rows:
        value = get(row.index)
        if value is None:
            missed.append(row)
            continue
        if type(value) is int or type(value) is bytes:
            text = cached(value)
            if text is None:
                text = _tag_text(value, fmt)
                if text is None:
                    missed.append(row)
                    continue
                if len(cache) >= _MEMO_LIMIT:
                    cache.clear()
                cache[value] = text
        else:
            text = _tag_text(value, fmt)
            if text is None:
                missed.append(row)
                continue
        row.tags[name] = text
    return missed


def _fill_tag_converted(
    rows: list[Row], name: str, column: Column | None, src: PlanSource
) -> list[Row]:
    """A tag from a formatted, transformed or columnless source; returns the rows missed."""
    missed: list[Row] = []
    memo = src.memo
    for row in rows:
        value = None
        if column is not None:
            value = column.get(row.index)
            if value is None:
                missed.append(row)
                continue
        if src.plain and value is not None:
            text = _tag_text(value, src.format)
        elif memo is not None and (type(value) is int or type(value) is bytes):
            text = memo.get(value, _UNSEEN)
            if text is _UNSEEN:
                text = _memoized(memo, src, value, row.index, "tag")
        else:
            text = convert(src.source, value, row.index, "tag")
        if text is None:
            missed.append(row)
        elif text:
            row.tags[name] = str(text)
    return missed


def _fill_field(rows: list[Row], name: str, candidates: Candidates) -> None:
    """Field `name` of each row: the number of the first source that yields one."""
    pending = rows
    width = rows[0].widths.get(name) if rows and rows[0].widths else None
    for column, src in candidates:
        if column is not None and src.plain_number:
            missed = _fill_field_plain(pending, name, column, src, width)
        else:
            missed = _fill_field_converted(pending, name, column, src, width)
        if not missed:
            return
        pending = missed
    if width:  # rows left without the field: no width (a processor may set it)
        _no_widths(pending, (name,))


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
            number = convert(src.source, value, row.index, "field")
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
            number = convert(src.source, value, row.index, "field")
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
    result = convert(src.source, value, index, want)
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[value] = result
    return result


def _no_widths(rows: list[Row], names: Iterable[str]) -> None:
    """Mark counter fields no source answered: no width, whatever a processor writes."""
    for name in names:
        for row in rows:
            row.counter_bits[name] = 0


def _fill_extra(rows: list[Row], name: str, candidates: Candidates) -> None:
    """Extra value `name` of each row, for the processors: as sent, or converted."""
    pending = rows
    for column, src in candidates:
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
            picked = convert(src.source, value, row.index, "field")
            if picked is None:
                missed.append(row)
            else:
                row.extra[name] = picked
        if not missed:
            return
        pending = missed


_PLANS: dict[int, tuple[Metric, MetricPlan]] = {}
_PLANS_LIMIT = 4096  # profile reloads make new metrics; old plans go with a reset


def plan_of(metric: Metric) -> MetricPlan:
    """The metric's compiled plan, built on first use (profiles are immutable)."""
    # Keyed by identity (the models are not hashable); the entry holds the metric itself,
    # so its id cannot be reused by another object while the entry exists.
    entry = _PLANS.get(id(metric))
    if entry is not None and entry[0] is metric:
        return entry[1]
    if len(_PLANS) >= _PLANS_LIMIT:
        _PLANS.clear()
    plan = MetricPlan.of(metric)
    _PLANS[id(metric)] = (metric, plan)
    return plan
