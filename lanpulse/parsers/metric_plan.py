"""A profile metric compiled once into what building its rows needs on every poll.

Profiles are data (pydantic models); reading them the generic way on every row of every
poll (which group, a source or a list of sources, which conversion applies) costs more than
fetching the values. A `MetricPlan` does that work once per metric: each tag, field and
extra value becomes a tuple of `PlanSource`s in priority order, with the conversion decided
ahead (a source without transforms takes a fast path; the others go through
`values.convert`, unchanged). Per poll, each source's column is looked up once, not once
per row. The rows built are exactly those the generic reading would build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lanpulse.core.model import RawSnmp, SnmpValue
from lanpulse.core.profile import Metric, Source
from lanpulse.parsers.rates import RateRule, rate_rules
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

    @classmethod
    def of(cls, src: Source) -> PlanSource:
        """Compile one profile source."""
        plain = not has_transform(src)
        return cls(src, src.oid, plain, plain and not src.invalid, src.counter, src.format)


# One named value (tag, field or extra) and its sources in priority order.
Named = tuple[str, tuple[PlanSource, ...]]
# The same, resolved for one poll: each source with its column (None when it has no oid);
# sources whose column the device did not answer are left out.
Resolved = tuple[str, tuple[tuple[Column | None, PlanSource], ...]]


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


def _tag_text(value: SnmpValue, fmt: str | None) -> str | None:
    """A plain source's tag: the value's text (formatted), None when empty."""
    text = value if isinstance(value, str) else as_text(value)
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
    identity: tuple[str, ...]
    unanswerable: tuple[str, ...]  # declared fields that a poll must answer (not rates)

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
            identity=tuple(metric.identity),
            unanswerable=tuple(f for f in metric.declared_fields() if f not in rate_fields),
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
        tags = _resolve(self.tags, columns)
        fields = _resolve(self.fields, columns)
        extra = _resolve(self.extra, columns)
        index_tag = self.metric.index_tag if not self.metric.scalar else None
        measurement = self.metric.measurement
        return [_build_row(index, measurement, tags, fields, extra, index_tag) for index in indexes]

    def _indexes(self, columns: Mapping[str, Column]) -> tuple[str, ...]:
        for oids in (self.index_oids, self.fallback_index_oids):
            seen: dict[str, None] = {}
            for oid in oids:
                column = columns.get(oid)
                if column:
                    seen.update(dict.fromkeys(column))
            if seen:
                return sorted_indexes(tuple(seen))
        return ()


def _resolve(named: tuple[Named, ...], columns: Mapping[str, Column]) -> tuple[Resolved, ...]:
    """Each source with its column for this poll; unanswered columns and names left out."""
    out: list[Resolved] = []
    for name, srcs in named:
        found = tuple(
            (columns[src.oid] if src.oid else None, src)
            for src in srcs
            if src.oid is None or src.oid in columns
        )
        if found:
            out.append((name, found))
    return tuple(out)


def _build_row(
    index: str,
    measurement: str,
    tags: tuple[Resolved, ...],
    fields: tuple[Resolved, ...],
    extra: tuple[Resolved, ...],
    index_tag: str | None,
) -> Row:
    """One row: for each name, the first source in priority order that yields a value."""
    row_tags: dict[str, str] = {}
    for name, candidates in tags:
        for column, src in candidates:
            value = None
            if column is not None:
                value = column.get(index)
                if value is None:
                    continue
            if src.plain and value is not None:
                text = _tag_text(value, src.format)
            else:
                text = convert(src.source, value, index, "tag")
            if text is not None:
                if text:
                    row_tags[name] = str(text)
                break
    row_fields: dict[str, int | float] = {}
    counter_bits: dict[str, int] = {}
    for name, candidates in fields:
        for column, src in candidates:
            value = None
            if column is not None:
                value = column.get(index)
                if value is None:
                    continue
            number: Any = value
            if not (src.plain_number and type(value) is int):
                number = convert(src.source, value, index, "field")
                if number is None:
                    continue
            row_fields[name] = number
            if src.counter:
                counter_bits[name] = src.counter
            break
    row_extra: dict[str, Any] = {}
    for name, candidates in extra:
        for column, src in candidates:
            value = None
            if column is not None:
                value = column.get(index)
                if value is None:
                    continue
            if src.plain:  # the value as the agent sent it, for the processors
                if value is not None:
                    row_extra[name] = value
                break
            picked = convert(src.source, value, index, "field")
            if picked is not None:
                row_extra[name] = picked
                break
    if index_tag:
        row_tags[index_tag] = index
    return Row(index, measurement, row_tags, row_fields, row_extra, counter_bits)


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
