"""Rollups: hourly and daily aggregates of samples, computed in the pipeline (pure).

Like Telegraf's aggregators, the rollups are made from the samples as they pass, so they
are the same whichever database receives them (InfluxDB 1.x, 2.x/3.x, VictoriaMetrics) and
need no continuous query or task. For each series (measurement + tags) and rolled-up field:

- gauges and rates: `<field>_min`, `_mean`, `_max` and `_p95` (nearest rank, as InfluxQL's
  `percentile(f, 95)`), plus `<field>_count`;
- counters: `<field>_total`, the exact sum of the non-negative increases between consecutive
  polls, each increase counted in the period of the later poll (InfluxQL's
  `sum(non_negative_difference(f))`); a decrease (reset, replaced counter) adds nothing.

Rollup samples are named `<measurement>_1h` and `<measurement>_1d`, carry the series' tags
and the period's start as their time. Days begin at local midnight of the configured zone,
so a day is 23 or 25 hours long on the DST days, and calendar months are sums of days.

Memory is bounded: a period keeps count, sum, min, max and only the largest values that its
95th percentile can need (5 % of the polls the period can hold at the series' observed
interval, plus 2), in a float array. Estate figure: docs/capacity.md.
"""

from __future__ import annotations

import math
from array import array
from bisect import insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lanpulse.core.model import Sample, make_sample

NS = 1_000_000_000
HOUR_NS = 3600 * NS
DEFAULT_INTERVAL_NS = 60 * NS  # until a series' second poll shows its interval
PERIODS: tuple[str, ...] = ("1h", "1d")


def percentile_rank(count: int, pct: float = 95.0) -> int:
    """How many of the largest values reach down to the nearest-rank percentile (InfluxQL)."""
    index = math.floor(count * pct / 100.0 + 0.5) - 1
    return count - max(index, 0)


class Aggregate:
    """One field of one series over one period."""

    __slots__ = ("cap", "count", "high", "low", "top", "total")

    def __init__(self, cap: int) -> None:
        self.count = 0
        self.total = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.top = array("d")  # ascending; the largest `cap` values seen
        self.cap = cap

    def add(self, value: float) -> None:
        """Count one value."""
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        top = self.top
        if len(top) < self.cap:
            insort(top, value)
        elif value > top[0]:
            top.pop(0)
            insort(top, value)

    def p95(self) -> float:
        """The nearest-rank 95th percentile (exact while the period held at most the polls its
        cap was sized for; otherwise the smallest value kept, a slight overestimate)."""
        need = percentile_rank(self.count)
        top = self.top
        return top[len(top) - need] if need <= len(top) else top[0]

    def fields(self, name: str) -> dict[str, float | int]:
        """The rollup fields of this aggregate."""
        return {
            f"{name}_min": self.low,
            f"{name}_mean": self.total / self.count,
            f"{name}_max": self.high,
            f"{name}_p95": self.p95(),
            f"{name}_count": self.count,
        }


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """Which fields of a measurement are gauges and which are counters."""

    gauges: tuple[str, ...]
    counters: tuple[str, ...]


class OpenPeriod:
    """One series' aggregates over one period that has not ended yet."""

    __slots__ = ("cap", "end", "gauges", "start", "totals")

    def __init__(self, start: int, end: int, cap: int) -> None:
        self.start = start
        self.end = end
        self.cap = cap
        self.gauges: dict[str, Aggregate] = {}
        self.totals: dict[str, int | float] = {}


class SeriesState:
    """The open periods of one series, and its last counters (for increases)."""

    __slots__ = ("counters", "interval_ns", "last_ns", "open")

    def __init__(self) -> None:
        self.last_ns = 0
        self.interval_ns = DEFAULT_INTERVAL_NS
        self.counters: dict[str, int | float] = {}
        self.open: dict[str, OpenPeriod] = {}  # by period name


class Calendar:
    """Period boundaries in one time zone (hours are UTC hours; days are local days)."""

    def __init__(self, zone: str = "UTC") -> None:
        self.zone = ZoneInfo(zone)
        self._day_cache: tuple[int, int, int] = (0, 0, 0)  # (start, end, unused)

    def bounds(self, period: str, time_ns: int) -> tuple[int, int]:
        """[start, end) in ns of the period containing `time_ns`."""
        if period == "1h":
            start = time_ns - time_ns % HOUR_NS
            return start, start + HOUR_NS
        start, end, _ = self._day_cache
        if start <= time_ns < end:
            return start, end
        start, end = self.day(time_ns)
        self._day_cache = (start, end, 0)
        return start, end

    def day(self, time_ns: int) -> tuple[int, int]:
        """[start, end) of the local day containing `time_ns`."""
        local = datetime.fromtimestamp(time_ns // NS, tz=UTC).astimezone(self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        following = midnight + timedelta(days=1)  # wall-clock arithmetic: 23 or 25 h on DST days
        return _ns(midnight), _ns(following)

    def month(self, year: int, month: int) -> tuple[int, int]:
        """[start, end) in ns of a calendar month in the zone."""
        start = datetime(year, month, 1, tzinfo=self.zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=self.zone)
        return _ns(start), _ns(end)

    def month_of(self, time_ns: int) -> str:
        """`YYYY-MM` of the local month containing `time_ns`."""
        local = datetime.fromtimestamp(time_ns / NS, tz=UTC).astimezone(self.zone)
        return f"{local.year:04d}-{local.month:02d}"


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS


class RollupAggregator:
    """Samples in, finished rollup samples out (pure: time comes from the samples and `now`)."""

    def __init__(
        self,
        plans: Mapping[str, FieldPlan],
        zone: str = "UTC",
        periods: tuple[str, ...] = PERIODS,
    ) -> None:
        self.plans = dict(plans)
        self.calendar = Calendar(zone)
        self.periods = periods
        self.series: dict[tuple[str, frozenset[tuple[str, str]]], SeriesState] = {}

    def observe(self, samples: Iterable[Sample]) -> list[Sample]:
        """Add samples; return the rollups of periods they closed."""
        out: list[Sample] = []
        for sample in samples:
            plan = self.plans.get(sample.measurement)
            if plan is not None:
                self._observe(sample, plan, out)
        return out

    def _observe(self, sample: Sample, plan: FieldPlan, out: list[Sample]) -> None:
        key = (sample.measurement, frozenset(sample.tags.items()))
        state = self.series.get(key)
        if state is None:
            state = self.series[key] = SeriesState()
        now = sample.time_ns
        if now <= state.last_ns:
            return  # a repeated or late sample would count twice
        if state.last_ns:
            state.interval_ns = now - state.last_ns
        fields = sample.fields
        for period in self.periods:
            current = state.open.get(period)
            if current is None or now >= current.end:
                if current is not None and (current.gauges or current.totals):
                    out.append(self._emit(sample.measurement, sample.tags, period, current))
                start, end = self.calendar.bounds(period, now)
                # The largest values p95 can need: 5 % of the polls the period holds.
                cap = int(0.05 * (end - start) / max(state.interval_ns, NS)) + 2
                current = state.open[period] = OpenPeriod(start, end, cap)
            gauges, totals = current.gauges, current.totals
            for name in plan.gauges:
                value = fields.get(name)
                if value is not None:
                    agg = gauges.get(name)
                    if agg is None:
                        agg = gauges[name] = Aggregate(current.cap)
                    agg.add(float(value))
            for name in plan.counters:
                value = fields.get(name)
                previous = state.counters.get(name)
                if value is not None and previous is not None and value >= previous:
                    totals[name] = totals.get(name, 0) + (value - previous)
                elif value is not None:
                    totals.setdefault(name, 0)
        for name in plan.counters:
            value = fields.get(name)
            if value is not None:
                state.counters[name] = value
        state.last_ns = now

    def _emit(
        self,
        measurement: str,
        tags: Mapping[str, str],
        period: str,
        current: OpenPeriod,
    ) -> Sample:
        fields: dict[str, float | int] = {}
        for name, agg in current.gauges.items():
            fields.update(agg.fields(name))
        for name, total in current.totals.items():
            fields[f"{name}_total"] = total
        return make_sample(f"{measurement}_{period}", tags, fields, current.start)

    def flush(self, now_ns: int, grace_ns: int = 0, *, everything: bool = False) -> list[Sample]:
        """Rollups of periods that ended `grace_ns` before `now_ns` (all open ones with
        `everything`, at shutdown); series without an open period are forgotten."""
        out: list[Sample] = []
        for key, state in list(self.series.items()):
            for period, current in list(state.open.items()):
                if everything or current.end + grace_ns <= now_ns:
                    out.append(self._emit(key[0], dict(key[1]), period, current))
                    del state.open[period]
            # A series silent for a whole day (a removed interface) is dropped.
            if not state.open and now_ns - state.last_ns > 86400 * NS:
                del self.series[key]
        return [s for s in out if s.fields]
