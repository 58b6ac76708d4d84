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
from operator import attrgetter
from typing import NamedTuple

from lanpulse.core.profile import RateSpec
from lanpulse.parsers.rate_columns import WRAP_32, by_columns, counter_delta, to_counter
from lanpulse.parsers.rows import Row

__all__ = [
    "WRAP_32",
    "MetricSeries",
    "RatePlan",
    "RateRule",
    "RateState",
    "SeriesState",
    "apply_rate_rules",
    "apply_rates",
    "apply_rates_to_rows",
    "bound_frame_rates",
    "counter_delta",
    "rate_rules",
]


class RateRule(NamedTuple):
    """A `RateSpec` as a plain tuple: read once per row, so attribute access stays cheap."""

    counter: str
    rate: str
    scale: float
    max_field: str | None
    util: str | None


# The least a frame takes on an Ethernet link: 64 bytes, 8 of preamble, 12 of gap = 672 bits.
MIN_FRAME_BITS = 672
CEILING_SLACK = 1.01  # as for octet rates: 1 % over the ceiling is timing, more is impossible


def frame_bounds(specs: Iterable[RateSpec]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(bits/s field, the frame-rate fields it bounds) of a metric's rate specs."""
    by_speed: dict[str, list[str]] = {}
    for spec in specs:
        if spec.frames_within:
            by_speed.setdefault(spec.frames_within, []).append(spec.rate)
    return tuple((speed, tuple(rates)) for speed, rates in by_speed.items())


def bound_frame_rates(rows: Iterable[Row], bounds: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
    """Drop a frame rate (errors/s, discards/s) above the link's bits/s / MIN_FRAME_BITS.

    Like an octet rate above the link speed, it can only be a counter reset read as a wrap
    (issue 20: 57 million errors/s after a reset without an uptime change) or a bad agent.
    A row without a positive speed is not bounded.
    """
    for speed_field, rate_fields in bounds:
        for row in rows:
            fields = row.fields
            speed = fields.get(speed_field)
            if not isinstance(speed, int | float) or speed <= 0:
                continue  # no link speed: no bound
            limit = speed / MIN_FRAME_BITS * CEILING_SLACK
            for rate_field in rate_fields:
                rate = fields.get(rate_field)
                if rate is not None and rate > limit:
                    del fields[rate_field]


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
    rates are computed a column at a time (`by_columns`); otherwise row by row.
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
        and by_columns(table, rows, time_ns, plan, identity_tags, discontinuity, state.restarted)
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
        counters = tuple([v if type(v) is int else to_counter(v) for v in map(fields.get, names)])
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
