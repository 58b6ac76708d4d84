"""Rollups: hourly and daily aggregates of samples, computed in the pipeline (pure).

Like Telegraf's aggregators, the rollups are made from the samples as they pass, so they
are the same whichever database receives them (InfluxDB 1.x, 2.x/3.x, VictoriaMetrics) and
need no continuous query or task. For each series (measurement + tags) and rolled-up field:

- gauges and rates: `<field>_min`, `_mean`, `_max` and `_p95` (nearest rank, as InfluxQL's
  `percentile(f, 95)`), plus `<field>_count`;
- extremes (states, speeds): `<field>_min` and `_max` only;
- counters: `<field>_total`, the exact sum of the non-negative increases between consecutive
  polls, each increase counted in the period of the later poll (InfluxQL's
  `sum(non_negative_difference(f))`); a decrease (reset, replaced counter) adds nothing.

Rollup samples are named `<measurement>_1h` and `<measurement>_1d`, carry the series' tags
and the period's start as their time. Days begin at local midnight of the configured zone
(parsers/calendar.py), so a day is 23 or 25 hours long on the DST days, and calendar months
are sums of days.

Memory is bounded (figures: docs/capacity.md, benchmarks/rollups.py): an hour keeps count,
sum, min and max per field in flat arrays, and only the largest values its 95th percentile
can need (5 % of the polls it holds at the series' shortest interval seen, plus 2); a day
adds its own largest values and takes the rest from its hours as they close.
"""

from __future__ import annotations

import math
from array import array
from bisect import insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from lanpulse.core.model import Sample, make_sample
from lanpulse.parsers.calendar import NS, Calendar

__all__ = [
    "NS",
    "Calendar",
    "FieldPlan",
    "RollupAggregator",
    "field_plans",
    "percentile_rank",
    "push_top",
]

DEFAULT_INTERVAL_NS = 60 * NS  # until a series' second poll shows its interval
DAY_S = 86400


def percentile_rank(count: int, pct: float = 95.0) -> int:
    """How many of the largest values reach down to the nearest-rank percentile (InfluxQL)."""
    index = math.floor(count * pct / 100.0 + 0.5) - 1
    return count - max(index, 0)


def push_top(top: array[float], cap: int, value: float) -> None:
    """Keep `value` if it is among the `cap` largest seen (`top` ascending)."""
    if len(top) < cap:
        insort(top, value)
    elif value > top[0]:
        del top[0]
        insort(top, value)


def top_percentile(top: array[float], count: int) -> float:
    """The nearest-rank 95th percentile of `count` values whose largest are in `top` (exact
    while the period held no more polls than its cap was sized for; else a slight
    overestimate, the smallest value kept)."""
    need = percentile_rank(count)
    return top[len(top) - need] if need <= len(top) else top[0]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """Which fields of a measurement are gauges, counters and extremes."""

    gauges: tuple[str, ...] = ()
    counters: tuple[str, ...] = ()
    extremes: tuple[str, ...] = ()


class FieldKinds(Protocol):
    """config/capacity.py's RollupFields: a measurement's rolled-up fields by kind."""

    @property
    def gauges(self) -> tuple[str, ...]: ...
    @property
    def counters(self) -> tuple[str, ...]: ...
    @property
    def extremes(self) -> tuple[str, ...]: ...


def field_plans(fields: Mapping[str, FieldKinds]) -> dict[str, FieldPlan]:
    """The aggregator's plans from the `rollups.fields` section (the live stage and the
    backfill read the same)."""
    return {m: FieldPlan(f.gauges, f.counters, f.extremes) for m, f in fields.items()}


class _Plan:
    """A FieldPlan as the hot loop reads it."""

    __slots__ = ("counters", "gauges", "measured", "size", "source")

    def __init__(self, plan: FieldPlan) -> None:
        self.source = plan
        self.gauges = len(plan.gauges)
        self.measured = (*plan.gauges, *plan.extremes)  # count, sum, min, max of each
        self.counters = plan.counters
        self.size = 4 * len(self.measured) + len(plan.counters)


def _stats(plan: _Plan) -> array[float]:
    """A period's numbers in one flat array: count, sum, min, max of each measured field at
    4*i .. 4*i+3, then each counter's total (NaN while the counter was not seen)."""
    return array("d", [0.0, 0.0, math.inf, -math.inf]) * len(plan.measured) + array(
        "d", [math.nan]
    ) * len(plan.counters)


def _merge(day: array[float], hour: array[float], plan: _Plan) -> None:
    """Add a closed hour into its day."""
    for b in range(0, 4 * len(plan.measured), 4):
        if hour[b]:
            day[b] += hour[b]
            day[b + 1] += hour[b + 1]
            day[b + 2] = min(day[b + 2], hour[b + 2])
            day[b + 3] = max(day[b + 3], hour[b + 3])
    for i in range(4 * len(plan.measured), plan.size):
        if not math.isnan(hour[i]):
            day[i] = hour[i] if math.isnan(day[i]) else day[i] + hour[i]


def _caps(interval_ns: int, day_ns: int) -> tuple[int, int]:
    """How many of the largest values an hour and a day keep at this poll interval."""
    interval_s = max((interval_ns or DEFAULT_INTERVAL_NS) // NS, 1)
    return int(0.05 * 3600 / interval_s) + 2, int(0.05 * (day_ns // NS) / interval_s) + 2


class SeriesState:
    """One series: its open hour and day, their largest values, its last counters."""

    __slots__ = (
        "day",
        "day_end",
        "day_start",
        "dcap",
        "hcap",
        "hour",
        "hour_end",
        "hour_start",
        "interval_ns",
        "last",
        "last_ns",
        "tops",
    )

    def __init__(self, counters: int) -> None:
        self.last_ns = 0
        self.interval_ns = 0  # the shortest seen; 0 until the second poll
        self.last: list[float | None] = [None] * counters
        self.hour: array[float] | None = None
        self.day: array[float] | None = None
        self.hour_start = self.hour_end = self.day_start = self.day_end = 0
        # (hour's largest values, day's largest values) of each gauge
        self.tops: list[tuple[array[float], array[float]]] = []
        self.hcap = self.dcap = 0


# A series is its measurement and its tags as the parser ordered them (one code path makes
# each measurement, so the order is stable); the tuple is also kept as the series' tags.
SeriesKey = tuple[str, tuple[tuple[str, str], ...]]


class RollupAggregator:
    """Samples in, finished rollup samples out (pure: time comes from the samples and `now`)."""

    def __init__(self, plans: Mapping[str, FieldPlan], zone: str = "UTC") -> None:
        self.plans = {m: _Plan(p) for m, p in plans.items()}
        self.zone = zone
        self.calendar = Calendar(zone)
        self.series: dict[SeriesKey, SeriesState] = {}

    def replan(self, plans: Mapping[str, FieldPlan], zone: str) -> list[Sample]:
        """New field plans or zone (a reload): the series of a measurement whose plan is
        unchanged keep their open periods; the others (all, when the zone changed) are
        closed as they are, as at a stop, and begin afresh with their next sample. Returns
        the rollups of the periods so closed."""
        out: list[Sample] = []
        same_zone = zone == self.zone
        for key, state in list(self.series.items()):
            old, new = self.plans[key[0]], plans.get(key[0])
            if same_zone and new == old.source:
                continue
            if state.hour is not None:
                self._close_hour(key, state, old, out)
            if state.day is not None:
                self._close_day(key, state, old, out)
            del self.series[key]
        self.plans = {m: _Plan(p) for m, p in plans.items()}
        if not same_zone:
            self.zone, self.calendar = zone, Calendar(zone)
        return [s for s in out if s.fields]

    def observe(self, samples: Iterable[Sample]) -> list[Sample]:
        """Add samples; return the rollups of periods they closed."""
        out: list[Sample] = []
        plans = self.plans
        for sample in samples:
            plan = plans.get(sample.measurement)
            if plan is not None:
                self._observe(sample, plan, out)
        return out

    def _close_hour(
        self, key: SeriesKey, state: SeriesState, plan: _Plan, out: list[Sample]
    ) -> None:
        assert state.hour is not None and state.day is not None
        tops = [h for h, _ in state.tops]
        out.append(self._emit(key, "1h", plan, state.hour, tops, state.hour_start))
        _merge(state.day, state.hour, plan)
        state.hour = None

    def _close_day(
        self, key: SeriesKey, state: SeriesState, plan: _Plan, out: list[Sample]
    ) -> None:
        assert state.day is not None
        tops = [d for _, d in state.tops]
        out.append(self._emit(key, "1d", plan, state.day, tops, state.day_start))
        state.day = None

    def _open(
        self, key: SeriesKey, state: SeriesState, plan: _Plan, now: int, out: list[Sample]
    ) -> array[float]:
        """Close the hour (and day) `now` is past; open the ones it is in."""
        if state.hour is not None:
            self._close_hour(key, state, plan, out)
        if state.day is not None and now >= state.day_end:
            self._close_day(key, state, plan, out)
        if state.day is None:
            state.day_start, state.day_end = self.calendar.day(now)
            state.day = _stats(plan)
            state.tops = [(array("d"), array("d")) for _ in range(plan.gauges)]
        else:
            state.tops = [(array("d"), d) for _, d in state.tops]
        state.hour_start, state.hour_end = self.calendar.hour(now)
        state.hcap, state.dcap = _caps(state.interval_ns, state.day_end - state.day_start)
        hour = state.hour = _stats(plan)
        return hour

    def _observe(self, sample: Sample, plan: _Plan, out: list[Sample]) -> None:
        key = (sample.measurement, tuple(sample.tags.items()))
        state = self.series.get(key)
        if state is None:
            state = self.series[key] = SeriesState(len(plan.counters))
        now = sample.time_ns
        last_ns = state.last_ns
        if now <= last_ns:
            return  # a repeated or late sample would count twice
        if last_ns and (not state.interval_ns or now - last_ns < state.interval_ns):
            # The interval is now known (or shorter): size the kept values to it.
            state.interval_ns = now - last_ns
            state.hcap, state.dcap = _caps(state.interval_ns, state.day_end - state.day_start)
            for htop, dtop in state.tops:
                del htop[: max(len(htop) - state.hcap, 0)]
                del dtop[: max(len(dtop) - state.dcap, 0)]
        state.last_ns = now
        hour = state.hour
        if hour is None or now >= state.hour_end:
            hour = self._open(key, state, plan, now, out)
        fields = sample.fields
        ngauges = plan.gauges
        hcap, dcap, tops = state.hcap, state.dcap, state.tops
        b = 0
        for name in plan.measured:
            value = fields.get(name)
            if value is not None:
                x = float(value)
                hour[b] += 1.0
                hour[b + 1] += x
                if x < hour[b + 2]:
                    hour[b + 2] = x
                if x > hour[b + 3]:
                    hour[b + 3] = x
                if b < 4 * ngauges:
                    htop, dtop = tops[b >> 2]
                    if len(htop) < hcap or x > htop[0]:
                        push_top(htop, hcap, x)
                    if len(dtop) < dcap or x > dtop[0]:
                        push_top(dtop, dcap, x)
            b += 4
        if plan.counters:
            last = state.last
            for i, name in enumerate(plan.counters):
                value = fields.get(name)
                if value is None or isinstance(value, str):  # text fields (events) never roll up
                    continue
                previous = last[i]
                total = hour[b + i]
                if math.isnan(total):
                    total = 0.0
                if previous is not None and value >= previous:
                    total += value - previous
                hour[b + i] = total
                last[i] = value

    def _emit(
        self,
        key: SeriesKey,
        period: str,
        plan: _Plan,
        stats: array[float],
        tops: list[array[float]],
        start: int,
    ) -> Sample:
        fields: dict[str, float | int] = {}
        for i, name in enumerate(plan.measured):
            b = 4 * i
            n = int(stats[b])
            if not n:
                continue
            fields[f"{name}_min"] = stats[b + 2]
            fields[f"{name}_max"] = stats[b + 3]
            if i < plan.gauges:
                fields[f"{name}_mean"] = stats[b + 1] / n
                fields[f"{name}_p95"] = top_percentile(tops[i], n)
                fields[f"{name}_count"] = n
        base = 4 * len(plan.measured)
        for i, name in enumerate(plan.counters):
            total = stats[base + i]
            if math.isnan(total):
                continue
            # Counters are integers (pages, octets): their totals stay integers.
            fields[f"{name}_total"] = int(total) if total.is_integer() else total
        return make_sample(f"{key[0]}_{period}", dict(key[1]), fields, start)

    def flush(self, now_ns: int, grace_ns: int = 0, *, everything: bool = False) -> list[Sample]:
        """Rollups of periods that ended `grace_ns` before `now_ns` (all open ones with
        `everything`, at shutdown); series silent for a day are forgotten."""
        out: list[Sample] = []
        for key, state in list(self.series.items()):
            plan = self.plans[key[0]]
            if state.hour is not None and (everything or state.hour_end + grace_ns <= now_ns):
                self._close_hour(key, state, plan, out)
            day_over = everything or state.day_end + grace_ns <= now_ns
            if state.day is not None and state.hour is None and day_over:
                self._close_day(key, state, plan, out)
            if state.day is None and now_ns - state.last_ns > DAY_S * NS:
                del self.series[key]
        return [s for s in out if s.fields]
