"""Thirteen months of generated history of known shape, for the capacity report tests.

Hourly "polls" (at half past each UTC hour, so a daily mean is the value at local noon)
go through the real rollup aggregator; its hourly and daily rollups are written with the
real v1 writer into the `rollups` retention policy of a real InfluxDB 1.6. Every number the
report shows follows from the constants below (see the test for the arithmetic).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lanpulse.config.capacity import RollupSettings
from lanpulse.core.model import Sample
from lanpulse.parsers.rollups import NS, RollupAggregator, field_plans
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol import encode_samples
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.writer_v1 import InfluxV1Writer

ZONE = "Europe/London"
TZ = ZoneInfo(ZONE)
HOUR = 3600 * NS
DAY = 86400 * NS
GB = 10**9


def local(y: int, m: int, d: int) -> int:
    """Local midnight of a date, in ns."""
    return int(datetime(y, m, d, tzinfo=TZ).timestamp()) * NS


PERIOD_START = local(2025, 11, 1)
PERIOD_END = local(2026, 12, 1)
SEED_START = PERIOD_START - DAY  # one earlier poll: the first month's first increase counts
STORAGE_T0 = local(2026, 1, 1) + 6 * HOUR  # the growing volume holds 100 GB, +2 GB a day
TONER_START = local(2026, 6, 1)
TONER_REPLACED = local(2026, 10, 10)
TONER_PER_DAY = 0.5  # % a day
PAGES_PER_HOUR = {"pr-a": 10, "pr-b": 1, "pr-c": 4}
LINK_SPEED = 1_000_000_000
SITE = {"site": "hq"}


def month_index(t: int) -> int:
    """0 for November 2025, 12 for November 2026 (local months)."""
    local_time = datetime.fromtimestamp(t / NS, tz=TZ)
    return (local_time.year - 2025) * 12 + local_time.month - 11


def uplink_peak_bps(m: int) -> float:
    """The uplink's in p95 in month m: 300 Mbit/s + 20 Mbit/s a month (30 % + 2 %/month)."""
    return 300e6 + 20e6 * m


def hours(start: int, end: int) -> Iterator[int]:
    """Every poll time (HH:30 UTC) in [start, end)."""
    first = start - start % HOUR + HOUR // 2
    yield from range(first if first >= start else first + HOUR, end, HOUR)


def polls() -> Iterator[list[Sample]]:
    """Every hourly poll of the estate, oldest first."""
    pages = dict.fromkeys(PAGES_PER_HOUR, 0)
    mono = dict.fromkeys(PAGES_PER_HOUR, 0)
    for n, t in enumerate(hours(SEED_START, PERIOD_END)):
        batch: list[Sample] = []
        m = month_index(t)
        peak = n % 10 == 0  # one hour in ten
        core = {**SITE, "device": "sw-core", "class": "switch", "role": "uplink"}
        batch.append(_if(core, "te1", uplink_peak_bps(m) if peak else 100e6, t, speed=LINK_SPEED))
        batch.append(_if(core, "te2", 100e6, t, speed=LINK_SPEED))  # flat at 10 %
        for device, rate in PAGES_PER_HOUR.items():
            pages[device] += rate
            mono[device] += rate - rate // 5
            tags = {"site": "branch" if device == "pr-c" else "hq", "device": device}
            fields = {"page_count": pages[device]}
            if device == "pr-a":
                fields |= {"page_count_mono": mono[device], "page_count_color": 2 * (n + 1)}
            batch.append(Sample("printer", {**tags, "class": "printer"}, fields, t))
        if t >= TONER_START:
            since = TONER_REPLACED if t >= TONER_REPLACED else TONER_START
            level = 100.0 - TONER_PER_DAY * (t - since) / DAY
            tags = {**SITE, "device": "pr-a", "class": "printer", "supply": "Black Toner"}
            batch.append(
                Sample("printer_supply", {**tags, "supply_type": "toner"}, {"level_pct": level}, t)
            )
        if t >= PERIOD_END - 40 * DAY:
            batch += _recent(n, t)
        yield batch


def _if(tags: dict[str, str], name: str, bps: float, t: int, *, speed: int) -> Sample:
    fields = {"in_bps": bps, "out_bps": bps / 2, "speed_bps": speed, "oper_status": 1}
    return Sample("interface", {**tags, "if_name": name}, fields, t)


def _recent(n: int, t: int) -> list[Sample]:
    """The last 40 days: storage, access ports and desktops."""
    out = []
    nas = {**SITE, "device": "nas1", "class": "storage", "storage_type": "fixed_disk"}
    days = (t - STORAGE_T0) / DAY
    for volume, used in (
        ("/grow", 100 * GB + 2 * GB * days),
        ("/flat", 500 * GB),
        ("/flat-full", 950 * GB),
        ("/shrink", 800 * GB - 1 * GB * days),
    ):
        fields = {"used_bytes": round(used), "size_bytes": 1000 * GB}
        out.append(Sample("storage", {**nas, "volume": volume}, fields, t))
    access = {**SITE, "device": "sw-access1", "class": "switch"}
    for port in range(1, 9):
        status = 1 if port <= 5 and n % port == 0 else 2
        fields = {"oper_status": status}
        out.append(Sample("interface", {**access, "if_name": f"ge{port}"}, fields, t))
    uplink = {**access, "role": "uplink", "if_name": "te1"}
    out.append(Sample("interface", uplink, {"oper_status": 2}, t))  # not an access port
    for i in range(1, 7):
        cid = i <= 3
        cpu = (90.0 if n % 10 == 0 else 20.0) if cid else 30.0
        mem = 60.0 if cid else (85.0 if i == 4 else 40.0)
        tags = {**SITE, "device": f"d{i}", "class": "desktop"}
        out.append(Sample("host", tags, {"cpu_pct": cpu, "mem_used_pct": mem}, t))
    return out


def rollups() -> list[Sample]:
    """The rollups of all polls (hourly ones only where the report reads them)."""
    plans = field_plans(RollupSettings().fields)
    aggregator = RollupAggregator(plans, ZONE)
    out: list[Sample] = []
    for batch in polls():
        out += aggregator.observe(batch)
    out += aggregator.flush(PERIOD_END + DAY, everything=True)
    keep_hourly = ("interface_1h", "host_1h", "storage_1h")
    return [s for s in out if s.measurement.endswith("_1d") or s.measurement in keep_hourly]


async def seed(url: str, database: str) -> int:
    """Write the rollups into `database`'s `rollups` policy; returns how many points."""
    writer = InfluxV1Writer(
        url,
        database,
        retention_policy="rollups",
        retention_policies=(RetentionPolicy("rollups", 730 * 86400.0),),
    )
    samples = rollups()
    for i in range(0, len(samples), 5000):
        batch = encode_samples(samples[i : i + 5000])
        await writer.write(batch.lines, batch.points)
    return len(samples)


DATABASE = "capacity"


@pytest.fixture(scope="session")
def seeded_influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    """A real InfluxDB 1.6 holding the 13 months of rollups in database `capacity`."""
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        assert asyncio.run(seed(server.url, DATABASE)) > 10_000
        yield server
