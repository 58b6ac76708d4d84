"""Per-second rates from consecutive polls: wrap-aware, reset-aware, never impossible.

State is kept per device in memory (the daemon holds one `RateState` per device). A rate
needs two polls; the first poll of a series has none. A counter that went down is a wrap
only for 32-bit counters (a 64-bit counter cannot wrap within a human lifetime at 400
Gbit/s), and only when the device did not restart; otherwise it is a reset and that
interval has no rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, ge, gt
from typing import NamedTuple

from lanpulse.core.profile import RateSpec
from lanpulse.parsers.rows import Row

WRAP_32 = 2**32


class RateRule(NamedTuple):
    """A `RateSpec` as a plain tuple: read once per row, so attribute access stays cheap."""

    counter: str
    rate: str
    scale: float
    max_field: str | None
    util: str | None


def rate_rules(specs: Sequence[RateSpec]) -> tuple[RateRule, ...]:
    """The rules of a metric's rate specs, in order (compile once, apply every poll)."""
    return tuple(RateRule(s.counter, s.rate, s.scale, s.max_field, s.util) for s in specs)


@dataclass(slots=True)
class SeriesState:
    """The previous poll of one series: its time, counters, identity and discontinuity.

    `counters` holds one value per rule of `rules` (None where the poll had no integer),
    a tuple rather than a dict: an estate keeps hundreds of thousands of these.
    """

    time_ns: int
    rules: tuple[RateRule, ...]
    counters: tuple[int | None, ...]
    identity: tuple[str, ...]
    discontinuity: object = None

    def previous(self, rules: tuple[RateRule, ...]) -> tuple[int | None, ...]:
        """The previous counters lined up with `rules` (which a profile reload may change)."""
        if rules is self.rules or rules == self.rules:
            return self.counters
        by_name = {r.counter: v for r, v in zip(self.rules, self.counters, strict=True)}
        return tuple(by_name.get(r.counter) for r in rules)


# The fewest rows worth columns: each rule's columns cost a few list comprehensions per
# poll whatever the rows, so below about 7 rows (a printer's one or two ports) row by row
# is cheaper; at 24 rows columns cost about 0.6 of it, at 48 about half.
COLUMN_ROWS = 8


def _identity_key(identity: tuple[str, ...]) -> object:
    """How a table stores an identity: a one-tag identity as its value (no tuple per row)."""
    return identity[0] if len(identity) == 1 else identity


def _identity_tuple(key: object) -> tuple[str, ...]:
    """The identity `_identity_key` stored as `key`."""
    return key if type(key) is tuple else (key,)


@dataclass(slots=True)
class MetricSeries:
    """The series of one metric: the last poll's rows as columns, older series one by one.

    A stable device answers the same rows in the same order every poll, so the rows of the
    last poll are kept column-wise (one list per rule, identity and discontinuity over
    `indexes`, one time): the next poll compares and subtracts whole columns, and an estate
    keeps no object per series. A series missing from the last poll (a port that went away)
    waits in `others` as a `SeriesState`, as does every series of a metric whose rows or
    rules the columns cannot take (see `RatePlan.columnar`). `len()` counts the series.
    """

    time_ns: int = 0
    rules: tuple[RateRule, ...] = ()
    indexes: tuple[str, ...] = ()
    counters: list[list[int | None]] = field(default_factory=list)  # one per rule
    identity: list[object] = field(default_factory=list)  # `_identity_key` of each row
    discontinuity: list[object] | None = None  # None: the metric declares none
    sums: list[int | None] = field(default_factory=list)  # of each column without a None
    others: dict[str, SeriesState] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.indexes) + len(self.others)

    def by_index(self) -> dict[str, SeriesState]:
        """Every series as row index -> `SeriesState`: the columns are emptied into `others`.

        `others` stays this very dict, so a poll whose rows fail midway keeps what they
        updated (as row by row always did), and the next poll starts from it.
        """
        series = self.others
        if self.indexes:
            per_row = (
                list(zip(*self.counters, strict=True))
                if self.counters
                else [()] * len(self.indexes)
            )
            discs = self.discontinuity or [None] * len(self.indexes)
            for index, counters, key, disc in zip(
                self.indexes, per_row, self.identity, discs, strict=True
            ):
                series[index] = SeriesState(
                    self.time_ns, self.rules, counters, _identity_tuple(key), disc
                )
        self.indexes, self.counters, self.identity, self.discontinuity = (), [], [], None
        self.sums = []
        return series

    def keep(
        self,
        series: dict[str, SeriesState],
        indexes: tuple[str, ...],
        plan: RatePlan,
        time_ns: int,
        has_discontinuity: bool,
    ) -> None:
        """Hold `series`, the rows of the poll just done (`indexes`) as columns if they can be.

        Columns need a plan they can compute (`RatePlan.columnar`), unique row indexes, and
        enough rows to pay for themselves (`COLUMN_ROWS`).
        """
        if not plan.columnar or len(indexes) < COLUMN_ROWS or len(set(indexes)) != len(indexes):
            self.others = series
            return
        rows = [series.pop(i) for i in indexes]  # each updated by this poll: time, rules
        self.time_ns, self.rules, self.indexes = time_ns, plan.rules, indexes
        self.counters = [list(c) for c in zip(*[s.counters for s in rows], strict=True)]
        if not self.counters:  # no rules: the columns are an empty list per rule
            self.counters = [[] for _ in plan.rules]
        self.sums = [None if None in c else sum(c) for c in self.counters]  # type: ignore[arg-type]
        self.identity = [_identity_key(s.identity) for s in rows]
        self.discontinuity = [s.discontinuity for s in rows] if has_discontinuity else None
        self.others = series


@dataclass(slots=True)
class RateState:
    """All series of one device, plus the device's last sysUpTime (for restart detection)."""

    # metric name -> its series (`len()` of one is its number of series).
    series: dict[str, MetricSeries] = field(default_factory=dict)
    uptime_s: float | None = None
    restarted: bool = False

    def observe_uptime(self, uptime_s: float | None) -> None:
        """Note this poll's uptime; a smaller one than last time means the device restarted."""
        self.restarted = (
            uptime_s is not None and self.uptime_s is not None and uptime_s < self.uptime_s
        )
        if uptime_s is not None:
            self.uptime_s = uptime_s


def counter_delta(prev: int, cur: int, bits: int | None) -> int | None:
    """The increase from prev to cur, or None when the counter was reset."""
    if cur >= prev:
        return cur - prev
    if bits == 32 and prev < WRAP_32:
        return cur + WRAP_32 - prev
    return None


def apply_rates(
    state: RateState,
    key: tuple[str, str],
    time_ns: int,
    fields: dict[str, int | float],
    counter_bits: dict[str, int],
    specs: Sequence[RateSpec],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """Add rate (and utilisation) fields to `fields` in place and remember this poll."""
    apply_rate_rules(
        state, key, time_ns, fields, counter_bits, rate_rules(specs), identity, discontinuity
    )


@dataclass(frozen=True, slots=True)
class RatePlan:
    """A metric's rate rules compiled once for the per-row loop.

    Most counters do not move between two polls (error and discard counters, ports that
    are down), and a row whose counters all stand still gets every rate as one prepared
    dict update. `ceiling` hoists the link-speed lookup out of the rule loop when the rules
    share one ceiling field that no rule writes (else each rule reads its own, as declared).
    """

    rules: tuple[RateRule, ...]
    counters: tuple[str, ...]  # the counter field of each rule
    zeros: tuple[float, ...]  # each rule's rate (and utilisation) of a zero delta
    shared_ceiling: bool
    ceiling: str | None  # the ceiling field all rules share (when shared_ceiling)
    # The fields of a row whose counters did not move, in the order the rule loop writes
    # them: with the ceiling valid (utilisations too), and without it (rates only).
    idle: dict[str, float]
    idle_no_ceiling: dict[str, float]
    # The rates can be computed a column (a rule over all rows) at a time: the ceiling is
    # shared, read before any rule writes, and every scale is a positive finite number, so
    # a zero delta's rounded rate is `zeros` exactly and needs no case of its own.
    columnar: bool = False

    @classmethod
    def of(cls, rules: tuple[RateRule, ...]) -> RatePlan:
        """Compile rules."""
        written = {r.rate for r in rules} | {r.util for r in rules if r.util}
        ceilings = {r.max_field for r in rules if r.max_field}
        shared = len(ceilings) <= 1 and not ceilings & written
        idle: dict[str, float] = {}
        idle_no_ceiling: dict[str, float] = {}
        # A zero delta's rate, 0 * scale / elapsed: the same for any elapsed > 0.
        zeros = tuple([0 * r.scale / 1.0 for r in rules])
        for r, zero in zip(rules, zeros, strict=True):
            if r.max_field and r.util:
                idle[r.util] = zero  # min(zero / ceiling * 100, 100.0) is zero too
            idle[r.rate] = idle_no_ceiling[r.rate] = zero
        return cls(
            rules=rules,
            counters=tuple([r.counter for r in rules]),
            zeros=zeros,
            shared_ceiling=shared,
            ceiling=next(iter(ceilings)) if shared and ceilings else None,
            idle=idle,
            idle_no_ceiling=idle_no_ceiling,
            columnar=shared and all(_plain_scale(r.scale) for r in rules),
        )


def _plain_scale(scale: object) -> bool:
    """A scale the columns compute as the rows would: a positive finite int or float."""
    return type(scale) in (int, float) and 0 < scale < math.inf  # type: ignore[operator]


def apply_rate_rules(
    state: RateState,
    key: tuple[str, str],
    time_ns: int,
    fields: dict[str, int | float],
    counter_bits: dict[str, int],
    rules: tuple[RateRule, ...],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """`apply_rates` with compiled rules, for one series."""
    # One series is a one-row table; its identity values stand in as tags named by position.
    names = tuple(str(i) for i in range(len(identity)))
    row = Row(key[1], "", dict(zip(names, identity, strict=True)), fields, {}, counter_bits)
    apply_rates_to_rows(
        state, key[0], [row], time_ns, RatePlan.of(rules), names, {key[1]: discontinuity}
    )


_FIELDS = attrgetter("fields")
_TAGS = attrgetter("tags")
_INDEX = attrgetter("index")


def apply_rates_to_rows(
    state: RateState,
    metric: str,
    rows: Iterable[Row],
    time_ns: int,
    plan: RatePlan,
    identity_tags: tuple[str, ...] = (),
    discontinuity: Mapping[str, object] | None = None,
) -> None:
    """Add rate (and utilisation) fields to every row of a metric, and remember this poll.

    A row's series is (metric, row index); its identity is the values of `identity_tags`
    and its discontinuity the row's value in `discontinuity` (row index -> value). When the
    rows are those of the last poll, in the same order (every poll of a stable device), the
    rates are computed a column at a time (`_by_columns`); otherwise row by row.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    table = state.series.get(metric)
    if table is None:
        table = state.series[metric] = MetricSeries()
    indexes = tuple(map(_INDEX, rows))
    if (
        plan.columnar
        and indexes == table.indexes
        and (plan.rules is table.rules or plan.rules == table.rules)
        and _by_columns(table, rows, time_ns, plan, identity_tags, discontinuity, state.restarted)
    ):
        return
    series = table.by_index()
    _by_rows(series, rows, time_ns, plan, identity_tags, discontinuity, state.restarted)
    table.keep(series, indexes, plan, time_ns, discontinuity is not None)


def _by_rows(
    series_of: dict[str, SeriesState],
    rows: list[Row],
    time_ns: int,
    plan: RatePlan,
    identity_tags: tuple[str, ...],
    discontinuity: Mapping[str, object] | None,
    restarted: bool,
) -> None:
    """The rates of `rows` one row at a time, each against its own series in `series_of`."""
    rules, names = plan.rules, plan.counters
    # Most metrics name an entity by one tag (ifName): its identity needs no list.
    one_tag = identity_tags[0] if len(identity_tags) == 1 else None
    for row in rows:
        fields = row.fields
        # Rates need exact counters: an integer, or None (a float or a missing field).
        counters = tuple([v if type(v) is int else _counter(v) for v in map(fields.get, names)])
        tags = row.tags
        if one_tag is not None:
            identity: tuple[str, ...] = (tags.get(one_tag, ""),)
        else:
            identity = tuple([tags.get(t, "") for t in identity_tags])
        disc = discontinuity.get(row.index) if discontinuity is not None else None
        series = series_of.get(row.index)
        if series is None:
            series_of[row.index] = SeriesState(time_ns, rules, counters, identity, disc)
            continue
        # Updated in place: no new object per series and poll for the garbage collector.
        prev_time = series.time_ns
        previous = series.counters if series.rules is rules else series.previous(rules)
        same_entity = series.identity == identity and series.discontinuity == disc
        series.time_ns, series.rules, series.counters = time_ns, rules, counters
        series.identity, series.discontinuity = identity, disc
        if restarted or not same_entity or time_ns <= prev_time:
            continue
        # The link speed, read once per row when the rules share it (see RatePlan).
        cap = None
        if plan.shared_ceiling:
            cap = _ceiling(fields, plan.ceiling)
            if counters == previous and None not in counters:
                fields.update(plan.idle if cap is not None else plan.idle_no_ceiling)
                continue
        _add_rates(row, plan, counters, previous, time_ns - prev_time, cap)


# A rule's column of values to write: one per row, None where the row gets no such field.
Column = list[float | None]


def _by_columns(
    table: MetricSeries,
    rows: list[Row],
    time_ns: int,
    plan: RatePlan,
    identity_tags: tuple[str, ...],
    discontinuity: Mapping[str, object] | None,
    restarted: bool,
) -> bool:
    """The rates of the rows of the last poll (`table`), a rule over all rows at a time.

    Each rule's values are computed for every row before any is written, and written rule
    by rule (utilisation, then rate): each row's fields get the same keys, in the same
    order, as row by row. False, with nothing changed, when a value could not be computed
    (then the rows compute it, failing the same way).
    """
    try:
        fields = list(map(_FIELDS, rows))
        if len(identity_tags) == 1:
            tag = identity_tags[0]
            identity: list[object] = [tags.get(tag, "") for tags in map(_TAGS, rows)]
        else:
            identity = [
                tuple([tags.get(t, "") for t in identity_tags]) for tags in map(_TAGS, rows)
            ]
        discs = None if discontinuity is None else list(map(discontinuity.get, table.indexes))
        counters: list[list[int | None]] = []
        sums: list[int | None] = []  # per rule: the column's sum, None if a row has no integer
        for name in plan.counters:
            column, total = _exact([f.get(name) for f in fields])
            counters.append(column)
            sums.append(total)
        elapsed_ns = time_ns - table.time_ns
        writes: list[Write] = []
        if not restarted and elapsed_ns > 0:
            live = None  # every row is the entity it was: the common case, one compare each
            if identity != table.identity or discs != table.discontinuity:
                none = [None] * len(rows)
                live = [
                    a == b and c == d
                    for a, b, c, d in zip(
                        table.identity,
                        identity,
                        table.discontinuity or none,
                        discs or none,
                        strict=True,
                    )
                ]
            writes = _rate_columns(plan, rows, fields, counters, sums, table, elapsed_ns, live)
    except Exception:  # e.g. an overflow: the rows raise it, after their partial writes
        return False
    _write(fields, writes)
    table.time_ns, table.rules, table.counters, table.sums = time_ns, plan.rules, counters, sums
    table.identity, table.discontinuity = identity, discs
    return True


def _exact(column: list[int | float | None]) -> tuple[list[int | None], int | None]:
    """A counter column as rates need it (integers, None for a float or a missing field),
    and its sum when it holds no None."""
    try:
        # One C loop: an int sum means no float, None or text (whose sum fails) in it.
        total = sum(column)  # type: ignore[arg-type]
        if type(total) is int:
            return column, total  # type: ignore[return-value]
    except (TypeError, OverflowError):  # text, None; a float with a huge int
        pass
    return [v if type(v) is int else _counter(v) for v in column], None


# A field to write into every row: its name, a value per row (None: this row gets none),
# and whether the column holds no None (written without a test per row).
Write = tuple[str, Column, bool]
# Rounding to a whole number the way round() does (half to even), without its call and
# int: adding 1.5 * 2**52 leaves no bit below the units, and subtracting it is exact.
# Exact for 0 <= x < 2**51: x * 1000 of any rate below 2.2e12 (and of every utilisation).
_WHOLE = 6755399441055744.0
_WHOLE_BELOW = 2.2e12  # a rate from which the rounding above is exact


def _write(fields: list[dict[str, int | float]], writes: list[Write]) -> None:
    """Write each field into every row, in order (so each row gets its keys in order).

    Runs of columns without a None are written four (or two) fields per pass over the
    rows: a quarter of the loop's own work per field.
    """
    dense: list[tuple[str, Column]] = []
    for key, values, is_dense in writes:
        if is_dense:
            dense.append((key, values))
            continue
        _write_dense(fields, dense)
        dense = []
        for row_fields, value in zip(fields, values, strict=True):
            if value is not None:
                row_fields[key] = value
    _write_dense(fields, dense)


def _write_dense(fields: list[dict[str, int | float]], dense: list[tuple[str, Column]]) -> None:
    """Write columns without a None into every row, in order."""
    while len(dense) >= 4:
        (k1, c1), (k2, c2), (k3, c3), (k4, c4) = dense[:4]
        for f, v1, v2, v3, v4 in zip(fields, c1, c2, c3, c4, strict=True):
            f[k1] = v1  # type: ignore[assignment]
            f[k2] = v2  # type: ignore[assignment]
            f[k3] = v3  # type: ignore[assignment]
            f[k4] = v4  # type: ignore[assignment]
        dense = dense[4:]
    if len(dense) >= 2:
        (k1, c1), (k2, c2) = dense[:2]
        for f, v1, v2 in zip(fields, c1, c2, strict=True):
            f[k1] = v1  # type: ignore[assignment]
            f[k2] = v2  # type: ignore[assignment]
        dense = dense[2:]
    if dense:
        ((k1, c1),) = dense
        for f, v1 in zip(fields, c1, strict=True):
            f[k1] = v1  # type: ignore[assignment]


def _rate_columns(
    plan: RatePlan,
    rows: list[Row],
    fields: list[dict[str, int | float]],
    counters: list[list[int | None]],
    sums: list[int | None],
    table: MetricSeries,
    elapsed_ns: int,
    live: list[bool] | None,
) -> list[Write]:
    """The fields to write, rule by rule (utilisation, rate); `live`: which rows rate.

    A rule whose counters are all integers, none gone down, none above its ceiling, on
    rows that are all the entities they were, is a few list comprehensions; any other
    rule is computed row by row (`_rule_by_rows`).
    """
    elapsed = elapsed_ns / 1e9
    caps: list[int | float | None] | None = None
    limits: list[float] = []
    all_capped = False
    if plan.ceiling is not None:
        ceiling = plan.ceiling
        caps = [f.get(ceiling) for f in fields]
        try:  # every ceiling a positive integer (the usual link speed): valid as it is
            all_capped = type(sum(caps)) is int and min(caps) > 0  # type: ignore[arg-type,operator,type-var]
        except (TypeError, ValueError, OverflowError):  # text, None, no rows, huge ints
            all_capped = False
        if all_capped:
            limits = [c * 1.01 for c in caps]  # type: ignore[operator]
        else:  # `_ceiling` of each row
            caps = [v if isinstance(v, (int, float)) and v > 0 else None for v in caps]
            all_capped = all(caps)  # a ceiling is a positive number, so true
            # A row without a ceiling has no bound: an infinite one, no rate is above it.
            limits = [math.inf if c is None else c * 1.01 for c in caps]
    n = len(rows)
    out: list[Write] = []
    for (counter, rate, scale, max_field, util), zero, cur, old, total, old_total in zip(
        plan.rules, plan.zeros, counters, table.counters, sums, table.sums, strict=True
    ):
        rule_caps = caps if max_field else None
        if live is None and total is not None:
            if cur == old:  # idle counters: zero rates (and utilisations where capped)
                if util and rule_caps is not None:
                    if all_capped:
                        out.append((util, [zero] * n, True))
                    else:
                        out.append((util, [c and zero for c in rule_caps], False))
                out.append((rate, [zero] * n, True))
                continue
            increase = None if old_total is None else total - old_total
            columns = _moving(
                cur, old, increase, scale, elapsed, rule_caps, limits, all_capped, util
            )
            if columns is not None:
                utils, rates = columns
                if util and utils is not None:
                    out.append((util, utils, all_capped))
                out.append((rate, rates, True))
                continue
            columns = _patched(
                rows, counter, scale, zero, util, cur, old, elapsed, rule_caps, limits, all_capped
            )
            if columns is not None:
                utils, rates = columns
                if util and utils is not None:
                    out.append((util, utils, False))
                out.append((rate, rates, False))
                continue
        utils, rates = _rule_by_rows(
            rows, counter, scale, zero, util, cur, old, elapsed, rule_caps, live
        )
        if util and utils is not None:
            out.append((util, utils, False))
        out.append((rate, rates, False))
    return out


def _moving(
    cur: list[int | None],
    old: list[int | None],
    increase: int | None,
    scale: float,
    elapsed: float,
    caps: list[int | float | None] | None,
    limits: list[float],
    limits_all: bool,
    util: str | None,
) -> tuple[Column | None, Column] | None:
    """A rule's (utilisations, rates) when no counter went down and no rate is above its
    ceiling, else None; `cur` holds only integers, `increase` is their sum's (if known);
    `limits_all`: every row has a ceiling.

    Each value is the one `_add_rates` computes: the same float operations in the same
    order, and `_WHOLE` rounding where it equals round(): below `_WHOLE_BELOW`, which the
    rate of the whole increase bounds (each operation is monotonic), or every rate. The
    constants are floats (1e3, not 1000): a float times an int converts the int first, so
    the result is the same, but float with float is the interpreter's specialised fast op.
    """
    try:
        if not all(map(ge, cur, old)):  # type: ignore[arg-type]
            return None  # a wrap or a reset
    except TypeError:  # a previous counter was missing
        return None
    now: list[int] = cur  # type: ignore[assignment]  # checked just above
    before: list[int] = old  # type: ignore[assignment]
    whole = _WHOLE
    bounded = increase is not None and increase * scale / elapsed < _WHOLE_BELOW
    if caps is None:
        pairs = zip(now, before, strict=True)
        if scale == 1:  # d * 1 / e is d / e: one operation less per row, same float
            rates = [((c - o) / elapsed * 1e3 + whole - whole) / 1e3 for c, o in pairs]
        else:
            rates = [((c - o) * scale / elapsed * 1e3 + whole - whole) / 1e3 for c, o in pairs]
        if not bounded and max(rates, default=0.0) >= _WHOLE_BELOW:
            pairs = zip(now, before, strict=True)
            rates = [round((c - o) * scale / elapsed * 1000) / 1000 for c, o in pairs]
        return None, rates  # type: ignore[return-value]
    raw = [(c - o) * scale / elapsed for c, o in zip(now, before, strict=True)]
    if any(map(gt, raw, limits)):
        return None
    utils: Column | None = None
    if util and limits_all:  # each share is below 101
        utils = [
            (s * 1e3 + whole - whole) / 1e3 if (s := r / c * 1e2) < 100.0 else 100.0  # type: ignore[operator]
            for r, c in zip(raw, caps, strict=True)
        ]
    elif util:  # a row without a ceiling has no utilisation
        utils = [
            c and ((s * 1e3 + whole - whole) / 1e3 if (s := r / c * 1e2) < 100.0 else 100.0)
            for r, c in zip(raw, caps, strict=True)
        ]
    rates = [(r * 1e3 + whole - whole) / 1e3 for r in raw]
    if not bounded and max(rates, default=0.0) >= _WHOLE_BELOW:
        rates = [round(r * 1000) / 1000 for r in raw]
    return utils, rates  # type: ignore[return-value]


def _rule_by_rows(
    rows: list[Row],
    counter: str,
    scale: float,
    zero: float,
    util: str | None,
    cur: list[int | None],
    old: list[int | None],
    elapsed: float,
    caps: list[int | float | None] | None,
    live: list[bool] | None,
) -> tuple[Column | None, Column]:
    """One rule's column row by row (`_one`): missing counters, rows that are another
    entity (not `live`)."""
    n = len(rows)
    rates: Column = [None] * n
    utils: Column | None = [None] * n if util and caps is not None else None
    wants_util = utils is not None
    for i in range(n):
        c, o = cur[i], old[i]
        if c is None or o is None or (live is not None and not live[i]):
            continue
        cap = caps[i] if caps is not None else None
        share, rates[i] = _one(rows[i], counter, c, o, scale, zero, wants_util, cap, elapsed)
        if utils is not None:
            utils[i] = share
    return utils, rates


def _patched(
    rows: list[Row],
    counter: str,
    scale: float,
    zero: float,
    util: str | None,
    cur: list[int | None],
    old: list[int | None],
    elapsed: float,
    caps: list[int | float | None] | None,
    limits: list[float],
    limits_all: bool,
) -> tuple[Column | None, Column] | None:
    """`_moving` for a column where some rows went down (a wrap, a reset) or rate above
    their ceiling: those rows one by one (`_one`), the others as columns. None when a
    previous counter was missing."""
    try:
        odd = [i for i, (c, o) in enumerate(zip(cur, old, strict=True)) if c < o]  # type: ignore[operator]
    except TypeError:
        return None
    steady = list(cur)
    for i in odd:
        steady[i] = old[i]  # a zero increase for now
    if caps is not None:
        raw = [(c - o) * scale / elapsed for c, o in zip(steady, old, strict=True)]  # type: ignore[operator]
        for i, (r, limit) in enumerate(zip(raw, limits, strict=True)):
            if r > limit:
                odd.append(i)
                steady[i] = old[i]
    columns = _moving(steady, old, None, scale, elapsed, caps, limits, limits_all, util)
    if columns is None:  # cannot be: nothing goes down or above its ceiling now
        return None
    utils, rates = columns
    wants_util = utils is not None
    for i in odd:
        cap = caps[i] if caps is not None else None
        now, before = cur[i], old[i]
        assert now is not None and before is not None  # the column has no None (see above)
        share, rates[i] = _one(rows[i], counter, now, before, scale, zero, wants_util, cap, elapsed)
        if utils is not None:
            utils[i] = share
    return utils, rates


def _one(
    row: Row,
    counter: str,
    cur: int,
    old: int,
    scale: float,
    zero: float,
    wants_util: bool,
    cap: int | float | None,
    elapsed: float,
) -> tuple[float | None, float | None]:
    """One row's (utilisation, rate) of one rule, as `_add_rates` computes it (None: none)."""
    if cur == old:  # an idle counter: a zero rate, never above the ceiling, no round()
        return (zero if wants_util and cap is not None else None), zero
    if cur > old:
        delta = cur - old
    else:  # a wrap or a reset
        wrapped = counter_delta(old, cur, row.counter_width(counter))
        if wrapped is None:
            return None, None
        delta = wrapped
    rate = delta * scale / elapsed
    share = None
    if cap is not None:
        if rate > cap * 1.01:
            return None, None  # above the link speed: impossible, dropped
        if wants_util:
            share = rate / cap * 100
            share = round(share * 1000) / 1000 if share < 100.0 else 100.0
    return share, round(rate * 1000) / 1000


def _ceiling(fields: Mapping[str, int | float], name: str | None) -> int | float | None:
    """The value of ceiling field `name` when it can bound a rate (a positive number)."""
    value = fields.get(name) if name else None
    return value if isinstance(value, (int, float)) and value > 0 else None


def _add_rates(
    row: Row,
    plan: RatePlan,
    counters: tuple[int | None, ...],
    previous: tuple[int | None, ...],
    elapsed_ns: int,
    shared_cap: int | float | None,
) -> None:
    """The rate fields of one row from its counters now and `elapsed_ns` before."""
    fields = row.fields
    elapsed = elapsed_ns / 1e9
    shared = plan.shared_ceiling
    for (counter, rate_field, scale, max_field, util), zero, cur, old in zip(
        plan.rules, plan.zeros, counters, previous, strict=True
    ):
        if cur is None or old is None:
            continue
        cap = None
        if max_field:
            cap = shared_cap if shared else _ceiling(fields, max_field)
        if cur == old:  # an idle counter: a zero rate, never above the ceiling, no round()
            if util and cap is not None:
                fields[util] = zero
            fields[rate_field] = zero
            continue
        if cur > old:
            delta = cur - old
        else:  # a wrap or a reset
            wrapped = counter_delta(old, cur, row.counter_width(counter))
            if wrapped is None:
                continue
            delta = wrapped
        rate = delta * scale / elapsed
        if cap is not None:
            # Above the link speed is impossible: a missed reset or a bad agent. Drop it.
            if rate > cap * 1.01:
                continue
            if util:
                share = rate / cap * 100
                # Three decimals: the float nearest to a whole number of thousandths. Not
                # round(x, 3), which decides exact ties on the binary value and costs ~2.5x
                # more on every moving counter of every poll (a tie may go the other way:
                # a thousandth apart, a few times in 10^4 values).
                fields[util] = round(share * 1000) / 1000 if share < 100.0 else 100.0
        fields[rate_field] = round(rate * 1000) / 1000


def _counter(value: int | float | None) -> int | None:
    """A counter's value when the field holds an integer (rates need exact counters)."""
    return int(value) if isinstance(value, int) else None
