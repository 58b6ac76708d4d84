"""A profile metric compiled once into what building its rows needs on every poll.

Profiles are data (pydantic models); reading them the generic way on every row of every
poll (which group, a source or a list of sources, which conversion applies) costs more than
fetching the values. A `MetricPlan` does that work once per metric: each tag, field and
extra value becomes a tuple of `PlanSource`s in priority order, with the conversion decided
ahead (a source without transforms takes a fast path; the others go through
`values.convert`, unchanged, its results remembered by value for mapping and regex
sources). Per poll, each source's column is looked up once, not once per row (the fills
are in row_fill.py). The rows built are exactly those the generic reading would build
(tests/test_metric_plan_rows.py checks that against a value-by-value reference).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lanpulse.core.errors import ParseError
from lanpulse.core.model import RawSnmp
from lanpulse.core.profile import Metric, Source
from lanpulse.parsers.derive import DeriveRule, compile_derive
from lanpulse.parsers.rates import RatePlan, RateRule, frame_bounds, rate_rules
from lanpulse.parsers.row_fill import (
    Column,
    Named,
    PlanSource,
    fill_extra,
    fill_field,
    fill_tag,
    has_transform,
    no_widths,
)
from lanpulse.parsers.rows import Row

__all__ = ["MetricPlan", "has_transform", "sorted_indexes"]


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


def sorted_indexes(indexes: tuple[str, ...]) -> tuple[str, ...]:
    """Row indexes in numeric order (`2` before `10`)."""
    return tuple(
        sorted(indexes, key=lambda i: tuple(int(p) if p.isdigit() else 0 for p in i.split(".")))
    )


_EXCLUDE_MEMO_LIMIT = 4096  # tag texts remembered per excluding (or cut) tag of a metric
_ORDERS_LIMIT = 4096  # index layouts remembered per metric (devices share layouts)


@dataclass(frozen=True, slots=True)
class MetricPlan:
    """A metric compiled for row building; see the module docstring."""

    metric: Metric
    # The metric's settings read on every poll, copied: an attribute of a pydantic model
    # (its __getattr__ hook) costs four times one of this dataclass, and a poll reads ten.
    scalar: bool
    measurement: str
    index_tag: str | None
    inventory: bool
    require: tuple[str, ...]
    processors: tuple[str, ...]
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
    # The fields whose absence from every row a poll checks once (`absent_fields`): the
    # unanswerable ones and the rate rules' counters.
    probed: frozenset[str]
    # Per required name sourced from columns only: its columns. A poll that answered none
    # of them has no row that `require` keeps: no rows are built (an ENTITY-MIB agent
    # without ENTITY-SENSOR-MIB would make a row per physical entity, all dropped).
    required_columns: tuple[tuple[str, ...], ...] = ()
    # The metric's `exclude`: per tag, one search of all its patterns, and its verdicts by
    # text (labels repeat every poll; bounded like the other memos).
    exclude: dict[str, tuple[Callable[[str], object], dict[str, bool]]] = field(
        default_factory=dict, compare=False
    )
    # The metric's `cut`: per tag, the pattern's `sub` and its results by text (bounded).
    cut: tuple[tuple[str, Callable[[str, str], str], dict[str, str]], ...] = field(
        default=(), compare=False
    )
    # The metric's `derive`, compiled (see parsers/derive.py); the error of rules that cannot
    # be, raised when the metric is parsed (so only that metric fails).
    derive: tuple[DeriveRule, ...] = ()
    derive_error: ParseError | None = field(default=None, compare=False)
    # Row indexes as answered -> in numeric order: devices of a profile share layouts.
    orders: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, metric: Metric) -> MetricPlan:
        """Compile one metric."""
        tags, fields, extra = _named(metric.tags), _named(metric.fields), _named(metric.extra)
        if fields:
            index_oids, fallback = _oids((fields, tags)), _oids((extra,))
        else:
            index_oids, fallback = _oids((tags, extra)), ()
        rules = rate_rules(metric.rates)
        derive: tuple[DeriveRule, ...] = ()
        derive_error = None
        try:
            derive = compile_derive(metric.derive) if metric.derive else ()
        except ParseError as exc:
            derive_error = exc
        rate_fields = {r.rate for r in rules} | {r.util for r in rules if r.util}
        unanswerable = tuple(
            (f, f"{metric.name}.{f}") for f in metric.declared_fields() if f not in rate_fields
        )
        return cls(
            metric=metric,
            scalar=metric.scalar,
            measurement=metric.measurement,
            index_tag=metric.index_tag,
            inventory=metric.inventory,
            require=tuple(metric.require),
            processors=tuple(metric.processors),
            tags=tags,
            fields=fields,
            extra=extra,
            oids=_oids((tags, fields, extra)),
            index_oids=index_oids,
            fallback_index_oids=fallback,
            rate_rules=rules,
            rates=RatePlan.of(rules, frame_bounds(metric.rates)),
            widths={name: srcs[0].counter for name, srcs in fields if srcs[0].counter},
            identity=tuple(metric.identity),
            unanswerable=unanswerable,
            probed=frozenset([*(f for f, _ in unanswerable), *(r.counter for r in rules)]),
            required_columns=_required_columns(metric.require, (tags, fields, extra)),
            exclude={
                tag: (re.compile("|".join(f"(?:{p})" for p in patterns)).search, {})
                for tag, patterns in metric.exclude.items()
                if patterns
            },
            cut=tuple((tag, re.compile(p).sub, {}) for tag, p in metric.cut.items()),
            derive=derive,
            derive_error=derive_error,
        )

    def answered_any(self, raw: RawSnmp) -> bool:
        """Whether the poll holds any of the metric's OIDs (its fetch columns included):
        an `inventory` metric is parsed only on the polls that fetched it."""
        if self.scalar:
            scalars = raw.scalars
            if any(oid in scalars for oid in self.oids):
                return True
        else:
            columns = raw.columns
            if any(columns.get(oid) for oid in self.oids):
                return True
        return any(raw.columns.get(oid) for oid in self.metric.fetch)

    def rows(self, raw: RawSnmp) -> list[Row]:
        """The metric's rows of one poll, before processors (one row for a scalar group)."""
        if self.scalar:
            # A scalar group is a one-row table whose row index is empty.
            scalars = raw.scalars
            columns: Mapping[str, Column] = {
                oid: {"": scalars[oid]} for oid in self.oids if oid in scalars
            }
            indexes: tuple[str, ...] = ("",)
            for oids in self.required_columns:
                if not any(oid in columns for oid in oids):
                    return []
        else:
            columns = raw.columns
            for oids in self.required_columns:
                if not any(columns.get(oid) for oid in oids):
                    return []
            indexes = self._indexes(columns)
            if not indexes:  # nothing to fill (and nothing the fills below would write)
                return []
        measurement = self.measurement
        widths = self.widths
        rows = Row.empty_rows(indexes, measurement, widths)
        # Column by column: each name's sources are tried in priority order, a source only
        # for the rows that the ones before it left without a value.
        exclude = self.exclude
        for name, srcs in self.tags:
            fill_tag(rows, name, srcs, columns)
            if name in exclude:
                # At once: the rows it excludes get no more tags (most of a Windows host's
                # interfaces are filter layers and pseudo-interfaces).
                rows = self._kept(rows, name)
                if not rows:
                    return []
        if self.cut:
            self._cut(rows)
        missing = [name for name, srcs in self.fields if not fill_field(rows, name, srcs, columns)]
        if widths and missing:
            answered = {name for name, _ in self.fields if name not in missing}
            no_widths(rows, widths.keys() - answered)
        for name, srcs in self.extra:
            fill_extra(rows, name, srcs, columns)
        index_tag = self.index_tag
        if index_tag and not self.scalar:
            for row in rows:
                row.tags[index_tag] = row.index
        return rows

    def _kept(self, rows: list[Row], name: str) -> list[Row]:
        """The rows whose tag `name` (if any) matches none of the metric's `exclude`
        patterns for it; a row is excluded when any of its excluding tags matches."""
        search, verdicts = self.exclude[name]
        kept: list[Row] = []
        for row in rows:
            text = row.tags.get(name)
            if text is not None:
                hit = verdicts.get(text)
                if hit is None:
                    if len(verdicts) >= _EXCLUDE_MEMO_LIMIT:
                        verdicts.clear()
                    hit = verdicts[text] = search(text) is not None
                if hit:
                    continue
            kept.append(row)
        return kept

    def _cut(self, rows: list[Row]) -> None:
        """Apply the metric's `cut` to the rows' tags (an emptied text stays as it was)."""
        for name, cut, results in self.cut:
            for row in rows:
                text = row.tags.get(name)
                if text is None:
                    continue
                result = results.get(text)
                if result is None:
                    if len(results) >= _EXCLUDE_MEMO_LIMIT:
                        results.clear()
                    result = results[text] = cut("", text).strip() or text
                row.tags[name] = result

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
                answered = tuple(seen)
                order = self.orders.get(answered)
                if order is None:
                    if len(self.orders) >= _ORDERS_LIMIT:
                        self.orders.clear()
                    order = self.orders[answered] = sorted_indexes(answered)
                return order
        return ()


def _required_columns(
    required: list[str], groups: tuple[tuple[Named, ...], ...]
) -> tuple[tuple[str, ...], ...]:
    """For each required name whose every source (as a tag, field or extra value) is a
    column: those columns."""
    out: list[tuple[str, ...]] = []
    for name in required:
        srcs = [src for group in groups for n, named in group if n == name for src in named]
        if srcs and all(src.oid for src in srcs):
            out.append(tuple(dict.fromkeys(src.oid for src in srcs if src.oid)))
    return tuple(out)
