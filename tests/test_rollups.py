"""The rollup aggregator (pure): percentiles, totals, local days, bounded memory."""

from __future__ import annotations

import math
from array import array
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from lanpulse.config.capacity import DEFAULT_ROLLUP_FIELDS
from lanpulse.core.model import Sample
from lanpulse.core.schema import MEASUREMENTS
from lanpulse.parsers.rollups import (
    NS,
    Calendar,
    FieldPlan,
    RollupAggregator,
    push_top,
    top_percentile,
)


def nearest_rank(values: list[float], pct: float = 95.0) -> float:
    """InfluxQL's percentile(): sorted, index floor(n * p / 100 + 0.5) - 1."""
    ordered = sorted(values)
    return ordered[max(math.floor(len(ordered) * pct / 100 + 0.5) - 1, 0)]


@given(st.lists(st.floats(-1e12, 1e12), min_size=1, max_size=200))
def test_p95_is_influxql_nearest_rank_while_within_the_cap(values: list[float]) -> None:
    top: array[float] = array("d")
    for v in values:
        push_top(top, int(0.05 * 200) + 2, v)
    assert top_percentile(top, len(values)) == nearest_rank(values)
    assert len(top) <= 12


def test_a_local_day_is_25_hours_when_summer_time_ends() -> None:
    zone = ZoneInfo("Europe/London")
    noon = int(datetime(2026, 10, 25, 12, tzinfo=zone).timestamp()) * NS
    start, end = Calendar("Europe/London").day(noon)
    assert (end - start) // NS == 25 * 3600
    assert start == int(datetime(2026, 10, 25, tzinfo=zone).timestamp()) * NS


def test_counter_increase_counts_in_the_period_of_the_later_poll() -> None:
    agg = RollupAggregator({"printer": FieldPlan((), ("page_count",))})
    tags = {"device": "p"}
    hour = 3600 * NS
    out = []
    for t, pages in ((hour - 60 * NS, 100), (hour + 60 * NS, 130), (2 * hour + NS, 10)):
        out += agg.observe([Sample("printer", tags, {"page_count": pages}, t)])
    out += agg.flush(3 * hour, everything=True)
    hourly = {s.time_ns: s.fields["page_count_total"] for s in out if s.measurement.endswith("1h")}
    # 100 -> 130 counts in hour 1; the reset to 10 adds nothing.
    assert hourly == {0: 0, hour: 30, 2 * hour: 0}


ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@given(st.integers(1_500_000_000, 2_000_000_000), st.sampled_from(ZONES))
def test_hours_lie_within_local_days_that_tile_time(seconds: int, zone: str) -> None:
    calendar = Calendar(zone)
    t = seconds * NS
    start, end = calendar.day(t)
    assert start <= t < end
    assert calendar.day(end)[0] == end  # the next day begins where this one ends
    local = datetime.fromtimestamp(start // NS, tz=ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)
    assert 23 * 3600 <= (end - start) // NS <= 25 * 3600
    h_start, h_end = calendar.hour(t)
    assert start <= h_start <= t < h_end <= end


def test_replan_keeps_unchanged_measurements_and_closes_the_others() -> None:
    """A reload's new `rollups.fields`: only the changed measurement's open hour is written."""
    hour = 3600 * 10**9
    plans = {"host": FieldPlan(gauges=("cpu_pct",)), "storage": FieldPlan(gauges=("used_pct",))}
    agg = RollupAggregator(plans, "UTC")
    for t in (hour, hour + 60 * 10**9):
        agg.observe(
            [
                Sample("host", {"device": "pc1"}, {"cpu_pct": 10.0}, t),
                Sample("storage", {"device": "nas1"}, {"used_pct": 50.0}, t),
            ]
        )
    closed = agg.replan({**plans, "host": FieldPlan(gauges=("mem_used_pct",))}, "UTC")
    assert {(s.measurement, s.fields["cpu_pct_count"]) for s in closed} == {
        ("host_1h", 2),
        ("host_1d", 2),
    }
    assert [k[0] for k in agg.series] == ["storage"]  # its open hour goes on
    # Another zone: days begin elsewhere, every open period is written.
    closed = agg.replan(plans, "Europe/London")
    assert {s.measurement for s in closed} == {"storage_1h", "storage_1d"}
    assert not agg.series and agg.zone == "Europe/London"


def test_default_rollup_fields_are_schema_fields() -> None:
    """Every rolled-up name is a field its measurement writes: a misspelt one (the
    `page_count_colour` rollup of a `page_count_color` field) would roll up nothing."""
    for measurement, rollup in DEFAULT_ROLLUP_FIELDS.items():
        names = (*rollup.gauges, *rollup.counters, *rollup.extremes)
        assert set(names) <= set(MEASUREMENTS[measurement].fields), measurement
