"""Per-second rates from consecutive polls: wrap-aware, reset-aware, never impossible.

The one implementation of the rate rule (profiles' `rates:` for SNMP, push mappings for
agents). State is kept per device in memory (the daemon holds one `RateState` per device).
A rate needs two polls; the first poll of a series has none. A counter that went down is a
wrap only for 32-bit counters (a 64-bit counter cannot wrap within a human lifetime at 400
Gbit/s), and only when the device did not restart; otherwise it is a reset and that
interval has no rate. A rate above its ceiling (the link speed, with `CEILING_TOLERANCE`),
or a rate of frames above what its link can carry (`frames_within`), is impossible and
dropped as it is computed (`_limits`).

Rows are rated one at a time, the one form for every table size. A columnar twin (a rule
over all rows at once) was removed: benchmarks/parse_cost.py measured it at 0.11 ms of a
48-port switch's 3.7 ms pipeline poll (3 %; estate.py: ratio 1.59 -> 1.65), under the 5 %
that would justify a second implementation. Made the only form (issue 14), it took 13.5 %
off a switch's parse but added 11 % to a printer's and 19 % to a desktop's (a few rows pay
its per-rule set-up). Under callgrind, replaying parse_cost's switch polls (today's
profiles: six counters a port answered), the row rule takes 1.71 M instructions per 48-port
poll, the frame bounds included (2.06 M before the rounding, exactness and bounds changes
of the tenth session; benchmarks/README.md). The columns also held rate state in less
memory: 25,500 devices take 143 MiB RSS instead of 117 (benchmarks/README.md), far under
the 1 GiB target.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lanpulse.core.profile import RateSpec
from lanpulse.parsers.rows import Row, absent_fields

WRAP_32 = 2**32
# Adding 1.5 * 2**52 to a float below 2**51 leaves no bit below the units, rounded to the
# nearest whole number, ties to even (IEEE 754's default rounding, which Python's floats
# use), and subtracting it again is exact: round(x)'s value as a float, without round()'s
# method lookup, int and int division. 8 % of a 48-port switch's rates (2.06 M -> 1.89 M
# instructions per poll under callgrind); 1d1ebb8's rates rounded the same way.
_ROUNDER = 1.5 * 2.0**52
_ROUNDER_EXACT_BELOW = 2.0**51  # larger values (rates above 2.2e12/s) go through round()
# A rate up to 1 % above its ceiling is kept (the counter and the poll time are not read
# at the same instant, so a saturated link may seem a little faster); above, it is dropped.
CEILING_TOLERANCE = 1.01


def counter_delta(prev: int, cur: int, bits: int | None) -> int | None:
    """The increase from prev to cur, or None when the counter was reset."""
    if cur >= prev:
        return cur - prev
    if bits == 32 and prev < WRAP_32:
        return cur + WRAP_32 - prev
    return None


def to_counter(value: int | float | None) -> int | None:
    """A counter's value when the field holds an integer (rates need exact counters)."""
    return int(value) if isinstance(value, int) else None


class RateRule(NamedTuple):
    """A `RateSpec` as a plain tuple: read once per row, so attribute access stays cheap."""

    counter: str
    rate: str
    scale: float
    max_field: str | None
    util: str | None


# The least a frame takes on an Ethernet link: 64 bytes, 8 of preamble, 12 of gap = 672 bits.
MIN_FRAME_BITS = 672


def frame_bounds(specs: Iterable[RateSpec]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(bits/s field, the frame-rate fields it bounds) of a metric's rate specs: the
    `frame_bounds` of its `RatePlan` (the rule applies them as it rates, see `_limits`)."""
    by_speed: dict[str, list[str]] = {}
    for spec in specs:
        if spec.frames_within:
            by_speed.setdefault(spec.frames_within, []).append(spec.rate)
    return tuple((speed, tuple(rates)) for speed, rates in by_speed.items())


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


@dataclass(slots=True)
class RateState:
    """All series of one device, plus the device's last sysUpTime (for restart detection)."""

    # metric name -> row index -> the series' last poll.
    series: dict[str, dict[str, SeriesState]] = field(default_factory=dict)
    uptime_s: float | None = None
    restarted: bool = False

    def observe_uptime(self, uptime_s: float | None) -> None:
        """Note this poll's uptime; a smaller one than last time means the device restarted."""
        self.restarted = (
            uptime_s is not None and self.uptime_s is not None and uptime_s < self.uptime_s
        )
        if uptime_s is not None:
            self.uptime_s = uptime_s


# A rule as the rule loop of `apply_rates_to_rows` reads it (see `RatePlan.steps`).
_Step = tuple[str, str, float, str | None, str | None, str | None, float]


@dataclass(frozen=True, slots=True)
class RatePlan:
    """A metric's rate rules compiled once for the per-row loop.

    Most counters do not move between two polls (error and discard counters, ports that
    are down), and a row whose counters all stand still gets every rate as one prepared
    dict update. `ceiling` hoists the link-speed lookup (and its `_limits`) out of the rule
    loop when the rules share one ceiling field (`max_field` or `frames_within`) that no
    rule writes (else each rule reads its own, as declared).
    """

    rules: tuple[RateRule, ...]
    counters: tuple[str, ...]  # the counter field of each rule
    # Each rule as the rule loop reads it: counter, rate, scale, max_field, util, the
    # bits/s field bounding it as a rate of frames (`frame_bounds`), and its zero rate.
    steps: tuple[_Step, ...]
    frame_bounds: tuple[tuple[str, tuple[str, ...]], ...]
    shared_ceiling: bool
    ceiling: str | None  # the ceiling field all rules share (when shared_ceiling)
    # The fields of a row whose counters did not move, in the order the rule loop writes
    # them: with the ceiling valid (utilisations too), and without it (rates only).
    idle: dict[str, float]
    idle_no_ceiling: dict[str, float]
    # This plan without the rules of counters a poll did not answer, by those counters
    # (see `answered_by`); few agents differ, so it stays small.
    narrowed: dict[tuple[str, ...], RatePlan] = field(default_factory=dict, compare=False)
    # The shared ceiling's `Bounds` by the ceiling field's value (`bounds`): a switch has a
    # few link speeds, and a dict lookup per row replaced two calls (`_ceiling`,
    # `_limits`): 5 % of a 48-port switch's rates (1.83 M -> 1.73 M instructions a poll).
    known_bounds: dict[object, Bounds] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls,
        rules: tuple[RateRule, ...],
        frame_bounds: tuple[tuple[str, tuple[str, ...]], ...] = (),
    ) -> RatePlan:
        """Compile rules, and the bounds of their rates of frames (see `frame_bounds`)."""
        frames_within = {rate: speed for speed, rates in frame_bounds for rate in rates}
        written = {r.rate for r in rules} | {r.util for r in rules if r.util}
        ceilings = {r.max_field for r in rules if r.max_field}
        ceilings |= {frames_within[r.rate] for r in rules if r.rate in frames_within}
        shared = len(ceilings) <= 1 and not ceilings & written
        idle: dict[str, float] = {}
        idle_no_ceiling: dict[str, float] = {}
        steps = []
        for r in rules:
            zero = 0 * r.scale / 1.0  # a zero delta's rate: the same for any elapsed > 0
            steps.append((*r, frames_within.get(r.rate), zero))
            if r.max_field and r.util:
                idle[r.util] = zero  # min(zero / ceiling * 100, 100.0) is zero too
            idle[r.rate] = idle_no_ceiling[r.rate] = zero
        return cls(
            rules=rules,
            counters=tuple([r.counter for r in rules]),
            steps=tuple(steps),
            frame_bounds=frame_bounds,
            shared_ceiling=shared,
            ceiling=next(iter(ceilings)) if shared and ceilings else None,
            idle=idle,
            idle_no_ceiling=idle_no_ceiling,
        )

    def answered_by(self, absent: Collection[str]) -> RatePlan:
        """This plan without the rules whose counter no row holds (`absent`, see
        `absent_fields`).

        Such a rule only gives None counters, so every row would try and skip it: the
        interface metric's three EtherLike-MIB counters, which most switches do not answer,
        made a 48-port switch's rates 28 % dearer (benchmarks/parse_cost.py), and a row with
        a None counter never takes the idle shortcut. A series rated with fewer rules than
        its last poll lines its counters up by name (`SeriesState.previous`), so the rates
        are the same as with every rule.
        """
        if not absent:
            return self
        missing = tuple([c for c in self.counters if c in absent])
        if not missing or len(missing) == len(self.counters):
            return self  # every counter answered, or no row at all: nothing to drop
        plan = self.narrowed.get(missing)
        if plan is None:
            if len(self.narrowed) >= _NARROWED_LIMIT:
                self.narrowed.clear()
            rules = tuple([r for r in self.rules if r.counter not in missing])
            plan = self.narrowed[missing] = RatePlan.of(rules, self.frame_bounds)
        return plan

    def bounds(self, ceiling: object) -> Bounds:
        """The bounds of the shared ceiling when its field holds `ceiling` (remembered)."""
        cap = _ceiling(ceiling)
        bounds = _UNBOUNDED if cap is None else (cap, *_limits(cap))
        if len(self.known_bounds) >= _BOUNDS_LIMIT:
            self.known_bounds.clear()
        self.known_bounds[ceiling] = bounds
        return bounds


# A ceiling and the largest plausible rate and rate of frames under it (`_limits`).
Bounds = tuple[int | float | None, float, float]
_UNBOUNDED: Bounds = (None, math.inf, math.inf)
_NARROWED_LIMIT = 64  # narrowed plans kept per rate plan (sets of unanswered counters)
_BOUNDS_LIMIT = 256  # ceiling values remembered per rate plan (link speeds)


def apply_rates_to_rows(
    state: RateState,
    metric: str,
    rows: Sequence[Row],
    time_ns: int,
    plan: RatePlan,
    identity_tags: tuple[str, ...] = (),
    discontinuity: Mapping[str, object] | None = None,
    absent: Collection[str] | None = None,
) -> None:
    """Add rate (and utilisation) fields to every row of a metric, and remember this poll.

    A row's series is (metric, row index); its identity is the values of `identity_tags`
    and its discontinuity the row's value in `discontinuity` (row index -> value).
    `absent`: the counters no row holds, when the caller knows them (`absent_fields`).
    """
    series_of = state.series.get(metric)
    if series_of is None:
        series_of = state.series[metric] = {}
    restarted = state.restarted
    plan = plan.answered_by(
        absent_fields(frozenset(plan.counters), rows) if absent is None else absent
    )
    rules, names, steps = plan.rules, plan.counters, plan.steps
    shared, ceiling, known_bounds = plan.shared_ceiling, plan.ceiling or "", plan.known_bounds
    # Most metrics name an entity by one tag (ifName): its identity needs no list.
    one_tag = identity_tags[0] if len(identity_tags) == 1 else None
    for row in rows:
        fields = row.fields
        # Rates need exact counters: an integer, or None (a float or a missing field). The
        # counters are integers but in odd polls, and their sum tells it at C speed: an int
        # only when every one is (a None fails). A test of each value instead cost 3 % of a
        # 48-port switch's rates (1.83 M against 1.89 M instructions per poll, callgrind).
        values = tuple(map(fields.get, names))
        try:
            exact = type(sum(values)) is int  # type: ignore[arg-type]  # None: TypeError
        except TypeError:
            exact = False
        # (Exact: every value is an int, so the tuple is the counters as they are.)
        counters: tuple[int | None, ...] = (
            values if exact else tuple(map(to_counter, values))  # type: ignore[assignment]
        )
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
        bounds = _UNBOUNDED
        if shared:
            speed = fields.get(ceiling)
            bounds = known_bounds.get(speed) or plan.bounds(speed)
            if counters == previous and None not in counters:
                fields.update(plan.idle if bounds[0] is not None else plan.idle_no_ceiling)
                continue
        # The rule, counter by counter (written here, not in a function of its own: a call
        # per row was 2.3 % of a 48-port switch's rates). Not zip(strict=True): the plan's
        # steps, this poll's counters and the last one's (`SeriesState.previous`) are lined
        # up by construction.
        elapsed = (time_ns - prev_time) / 1e9
        cap, limit, frame_limit = bounds
        for (counter, rate_field, scale, max_field, util, frames_within, zero), cur, old in zip(  # noqa: B905
            steps, counters, previous
        ):
            if cur is None or old is None:
                continue
            if not shared:  # each rule reads its own ceilings
                cap = _ceiling(fields.get(max_field)) if max_field else None
                if cap is not None:
                    limit = _limits(cap)[0]
            if cur > old:  # first: most counters of a poll that rates moved
                delta = cur - old
            elif cur == old:  # an idle counter: a zero rate, never above a ceiling, no round()
                if util and max_field and cap is not None:
                    fields[util] = zero
                fields[rate_field] = zero
                continue
            else:  # a wrap or a reset
                wrapped = counter_delta(old, cur, row.counter_width(counter))
                if wrapped is None:
                    continue
                delta = wrapped
            # A float operand first, and float literals: Python's float-by-float fast paths
            # (the same values: an int operand becomes the same float either way). ~4 % of a
            # switch's rates.
            rate = scale * delta / elapsed
            if max_field and cap is not None:
                if not rate <= limit:
                    continue
                if util:
                    share = rate / cap * 100.0
                    # Three decimals: the float nearest to a whole number of thousandths,
                    # round(share * 1000) / 1000 by `_ROUNDER` (a share below 100 is exact).
                    # Not round(x, 3), which decides exact ties on the binary value and costs
                    # ~2.5x more (a tie may go the other way: a thousandth apart, a few times
                    # in 10^4 values).
                    if share < 100.0:
                        thousandths = share * 1000.0
                        fields[util] = (thousandths + _ROUNDER - _ROUNDER) / 1000.0
                    else:
                        fields[util] = 100.0
            # The rate to three decimals, the same way (round() itself above `_ROUNDER`'s range).
            thousandths = rate * 1000.0
            if thousandths < _ROUNDER_EXACT_BELOW:
                value = (thousandths + _ROUNDER - _ROUNDER) / 1000.0
            else:
                value = round(thousandths) / 1000
            if frames_within:
                if not shared:
                    speed = _ceiling(fields.get(frames_within))
                    frame_limit = _limits(speed)[1] if speed is not None else math.inf
                if value > frame_limit:
                    continue
            fields[rate_field] = value


def _ceiling(value: object) -> int | float | None:
    """A ceiling field's value when it can bound a rate (a positive number), else None."""
    return value if isinstance(value, (int, float)) and value > 0 else None


def _limits(cap: int | float) -> tuple[float, float]:
    """The largest plausible rate under ceiling `cap`, and the largest plausible rate of
    frames under a link speed `cap` (bits/s, in frames of MIN_FRAME_BITS); above, it is a
    missed reset or a bad agent (issue 20: 57 million errors/s after a reset without an
    uptime change). Every bound on a rate's value belongs here, so a new bound is one edit.
    A rate is checked against the first, a rate of frames (as written) against the second."""
    return cap * CEILING_TOLERANCE, cap / MIN_FRAME_BITS * CEILING_TOLERANCE
