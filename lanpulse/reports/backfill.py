"""Rollups from the raw history already in InfluxDB (`lanpulse rollups backfill`).

The live stage only rolls up what it sees, so history written before it ran has none. The
backfill reads the raw points back through InfluxQL, one local day and one measurement at a
time (a chunked answer: one piece of a series in memory at once), and feeds them to the
same aggregator the live stage uses (parsers/rollups.py), with interface roles from the
same tagger (parsers/roles.py, primed with the day's `neighbor` and `device` rows). There is
one implementation of each aggregate, so a backfilled rollup equals the live one made from
the same raw points.

Each day also reads the `lookback` before its midnight, so a counter's first increase of
the day is counted as the live stage counts it (in the period of the later poll); the
lookback's own periods are not written. A day's rollups therefore depend only on the raw
points of the day and its lookback: running a day again writes the same points, which
InfluxDB stores over the old ones (same series and time), and a run that stopped resumes
with `--since` at the day it was on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from lanpulse.core.model import Sample
from lanpulse.parsers.roles import DEVICE, INTERFACE, NEIGHBOR, RoleTagger
from lanpulse.parsers.rollups import NS, Calendar, FieldPlan, RollupAggregator
from lanpulse.reports.source import Series
from lanpulse.timeseries.retention_v1 import quote_ident

DAY_NS = 86400 * NS
DEFAULT_LOOKBACK_NS = 3600 * NS  # a poll interval up to an hour: one earlier poll is in it


class RawHistory(Protocol):
    """Raw points through InfluxQL (reports/source.py's InfluxQLSource with `raw`)."""

    def stream(self, statement: str, chunk_size: int = 10_000) -> Iterator[Series]:
        """The series of one SELECT in pieces, in order."""
        ...

    def target(self, measurement: str) -> str:
        """The FROM clause naming the raw measurement."""
        ...


@dataclass(slots=True)
class DayCount:
    """What one day took and gave."""

    raw_points: int = 0
    rollups: int = 0


class Backfill:
    """Rollups of whole local days from the raw history."""

    def __init__(
        self,
        history: RawHistory,
        plans: Mapping[str, FieldPlan],
        zone: str = "UTC",
        *,
        tagger: RoleTagger | None = None,
        lookback_ns: int = DEFAULT_LOOKBACK_NS,
        chunk_size: int = 10_000,
    ) -> None:
        self.history = history
        self.plans = dict(plans)
        self.zone = zone
        self.calendar = Calendar(zone)
        self.tagger = tagger
        self.lookback_ns = lookback_ns
        self.chunk_size = chunk_size

    def days(self, start_ns: int, end_ns: int) -> list[tuple[int, int]]:
        """The local days that begin in [start of the day of `start_ns`, `end_ns`) and end
        by `end_ns`: only whole days are rolled up."""
        out: list[tuple[int, int]] = []
        day = self.calendar.day(start_ns)
        while day[1] <= end_ns:
            out.append(day)
            day = self.calendar.day(day[1])
        return out

    def day(self, start_ns: int, end_ns: int, count: DayCount | None = None) -> Iterator[Sample]:
        """The hourly and daily rollups of one local day [start, end), as they close."""
        count = count if count is not None else DayCount()
        if self.tagger is not None and INTERFACE in self.plans:
            self._prime_roles(start_ns, end_ns)
        for measurement, plan in self.plans.items():
            yield from self._measurement(measurement, plan, start_ns, end_ns, count)

    def _measurement(
        self, measurement: str, plan: FieldPlan, start_ns: int, end_ns: int, count: DayCount
    ) -> Iterator[Sample]:
        aggregator = RollupAggregator({measurement: plan}, self.zone)
        fields = (*plan.gauges, *plan.counters, *plan.extremes)
        columns = ", ".join(quote_ident(f) for f in fields)
        statement = (
            f"SELECT {columns} FROM {self.history.target(measurement)} "
            f"WHERE time >= {start_ns - self.lookback_ns} AND time < {end_ns} GROUP BY *"
        )
        tag_role = self.tagger is not None and measurement == INTERFACE
        for piece in self.history.stream(statement, self.chunk_size):
            # GROUP BY * names every tag key of the measurement, "" where a series has none.
            tags = {k: v for k, v in piece.tags.items() if v}
            if tag_role and "role" not in tags:
                assert self.tagger is not None
                role = self.tagger.role(tags)
                if role is not None:
                    tags["role"] = role
            samples = [Sample(measurement, tags, values, t) for t, values in piece.points]
            count.raw_points += len(samples)
            yield from self._kept(aggregator.observe(samples), start_ns, count)
        yield from self._kept(aggregator.flush(end_ns), start_ns, count)

    @staticmethod
    def _kept(rollups: list[Sample], start_ns: int, count: DayCount) -> Iterator[Sample]:
        """The rollups of the day: not the lookback's, not empty ones."""
        for r in rollups:
            if r.time_ns >= start_ns and r.fields:
                count.rollups += 1
                yield r

    def _prime_roles(self, start_ns: int, end_ns: int) -> None:
        """Give the tagger what the live daemon knew that day: each port's neighbours and
        each device's class (their last rows up to the day's end, from the day before on)."""
        assert self.tagger is not None
        since = start_ns - DAY_NS
        samples: list[Sample] = []
        for measurement, field in ((DEVICE, "up"), (NEIGHBOR, "info")):
            statement = (
                f"SELECT last({quote_ident(field)}) FROM {self.history.target(measurement)} "
                f"WHERE time >= {since} AND time < {end_ns} GROUP BY *"
            )
            for piece in self.history.stream(statement, self.chunk_size):
                tags = {k: v for k, v in piece.tags.items() if v}
                samples.extend(Sample(measurement, tags, {field: 1}, t) for t, _ in piece.points)
        self.tagger.neighbors.observe(samples)
