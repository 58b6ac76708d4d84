"""The same rollups through the InfluxDB v2 API into a real VictoriaMetrics.

Rollups are made in the pipeline, so any database gets the same numbers: two days of polls
go through the daemon's sinks with `api: v2` into VictoriaMetrics, and every stored daily
and hourly rollup value equals what the aggregator computes in-process from the same polls.
(The days end at the last local midnight: VictoriaMetrics' default retention is a month.)
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from lanpulse.config.capacity import RollupSettings
from lanpulse.core.model import Sample
from lanpulse.parsers.calendar import NS, Calendar
from lanpulse.parsers.rollups import RollupAggregator, field_plans
from lanpulse.sim.servers import VictoriaMetrics
from tests._daemon import write_config
from tests.test_rollups_influx import through_sinks

ZONE = "Europe/London"


def polls(start: int, end: int) -> list[list[Sample]]:
    """5-minute polls of a volume and a printer over [start, end)."""
    out = []
    for i, t in enumerate(range(start, end, 300 * NS)):
        vol = {"device": "nas1", "class": "storage", "volume": "/data"}
        used = {"used_bytes": 10**9 + 7919 * i % 10**6, "size_bytes": 2 * 10**9}
        out.append(
            [
                Sample("storage", vol, used, t),
                Sample("printer", {"device": "pr1", "class": "printer"}, {"page_count": 3 * i}, t),
            ]
        )
    return out


async def test_rollups_reach_victoriametrics_unchanged(tmp_path: Path) -> None:
    calendar = Calendar(ZONE)
    end = calendar.day(time.time_ns())[0]
    start = calendar.day(calendar.day(end - 1)[0] - 1)[0]  # two local days (DST-proof)
    batches = polls(start, end)
    expected = RollupAggregator(field_plans(RollupSettings().fields), ZONE)
    rollups = [s for b in batches for s in expected.observe(b)]
    rollups += expected.flush(end + 86400 * NS, everything=True)
    with VictoriaMetrics(tmp_path / "vm") as vm:
        section = (
            f"influxdb:\n  url: {vm.url}\n  api: v2\n  org: lanpulse\n  bucket: lanpulse\n"
            "  token: not-checked-by-victoriametrics\n  flush_interval: 0.2s\n"
            f"rollups: {{timezone: {ZONE}}}"
        )
        config = write_config(tmp_path / "lanpulse.yaml", [], influx=section)
        await through_sinks(config, end + 3600 * NS, batches)
        for _ in range(100):
            if vm.export('{__name__="printer_1d_page_count_total"}'):
                break
            await asyncio.sleep(0.2)
        checked = 0
        for sample in rollups:
            for name, value in sample.fields.items():
                (series,) = vm.export(
                    f'{{__name__="{sample.measurement}_{name}", device="{sample.tags["device"]}"}}'
                )
                stored = dict(zip(series["timestamps"], series["values"], strict=True))  # type: ignore[call-overload]
                # VictoriaMetrics' own float parser may land one ulp away from the text.
                got = stored[sample.time_ns // 1_000_000]
                assert got == pytest.approx(value, rel=1e-15), (sample, name)
                checked += 1
    # Every hour and the 2 days, each with 2 gauges x 5 fields (volume), 1 total (printer).
    assert checked == ((end - start) // (3600 * NS) + 2) * 11
