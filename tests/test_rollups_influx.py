"""Rollups through the real pipeline into a real InfluxDB 1.6, checked against InfluxQL.

Polled samples of known values (three days at 5-minute polls across the end of British
Summer Time, so one local day has 25 hours) go through the daemon's own sinks: the raw
shipper (spool + v1 writer) and the rollup stage with its shipper. Every hourly and daily
rollup InfluxDB stores is then compared with InfluxQL's own aggregates over the raw points
(`min`, `mean`, `max`, `percentile(95)`, `count`, `sum(non_negative_difference())`), and the
retention policies lanpulse created are checked.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lanpulse.core.model import Sample
from lanpulse.daemon import Daemon
from lanpulse.sim.servers import InfluxDB16
from tests._daemon import influx_rows, write_config

NS = 1_000_000_000
ZONE = "Europe/London"
DB = "rollups_test"
STEP = 300 * NS
START = int(datetime(2026, 10, 24, tzinfo=ZoneInfo(ZONE)).timestamp()) * NS
END = int(datetime(2026, 10, 27, tzinfo=ZoneInfo(ZONE)).timestamp()) * NS


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def polls() -> Iterator[list[Sample]]:
    """Three days of polls: two interfaces, a volume, a printer whose counter resets once."""
    rnd = random.Random(18)
    pages = 1000
    for i, t in enumerate(range(START, END, STEP)):
        batch = []
        for port in ("1", "2"):
            tags = {"device": "sw1", "class": "switch", "if_index": port, "if_name": f"ge{port}"}
            fields: dict[str, int | float] = {
                "in_bps": round(rnd.uniform(0, 1e6), 3),
                "out_bps": round(rnd.expovariate(1e-5), 3),
                "in_octets": i * 1000 + rnd.randrange(1000),
                "oper_status": 1 if rnd.random() < 0.9 else 2,
            }
            batch.append(Sample("interface", tags, fields, t))
        used = 10**9 + i * 12345 + rnd.randrange(10**6)
        batch.append(
            Sample(
                "storage",
                {"device": "nas1", "class": "storage", "volume": "/data"},
                {"used_bytes": used, "size_bytes": 4 * 10**9, "used_pct": used / 4e7},
                t,
            )
        )
        pages = 5 if i == 400 else pages + rnd.randrange(4)  # a replaced counter
        batch.append(
            Sample("printer", {"device": "pr1", "class": "printer"}, {"page_count": pages}, t)
        )
        yield batch


async def through_sinks(config: Path, now_ns: int, batches: Iterable[list[Sample]]) -> Daemon:
    """The daemon of `config` with its own sinks; each batch handed on as a poll's samples
    are (roles tagged, then emitted); the sinks stopped (flushed) at the end."""
    daemon = Daemon(str(config), clock_ns=lambda: now_ns)
    for sink in daemon.sinks:
        await sink.start()
    assert daemon.roles is not None
    for batch in batches:
        daemon.emit(daemon.roles.apply(batch))  # as Daemon.poll_device does
    for sink in daemon.sinks:
        assert await sink.stop(30)
    return daemon


async def test_rollups_match_influxql_over_the_raw_points(
    influx: InfluxDB16, tmp_path: Path
) -> None:
    influx_section = (
        f"influxdb:\n  url: {influx.url}\n  api: v1\n  database: {DB}\n"
        "  flush_interval: 0.2s\n  backoff: 0.2s\n  max_backoff: 1s\n"
        f"rollups:\n  timezone: {ZONE}\n  raw_retention: 400d\n  grace: 1s"
    )
    config = write_config(tmp_path / "lanpulse.yaml", [], influx=influx_section)
    daemon = await through_sinks(config, END + 3600 * NS, polls())
    stats = daemon.all_stats()  # as /metrics shows them
    assert stats["rollup_points_written"] == stats["rollup_samples"] > 0

    policies = influx_rows(influx, DB, "SHOW RETENTION POLICIES")
    by_name = {p["name"]: p for p in policies}
    assert by_name["autogen"]["duration"] == "9600h0m0s" and by_name["autogen"]["default"]
    assert by_name["rollups"]["duration"] == "17520h0m0s" and not by_name["rollups"]["default"]

    # The pipeline tags interfaces with their role (switch ports: access), raw and rolled up.
    for policy, measurement in (("autogen", "interface"), ("rollups", "interface_1d")):
        roles = influx_rows(
            influx, DB, f'SHOW TAG VALUES FROM "{policy}"."{measurement}" WITH KEY = "role"'
        )
        assert [r["value"] for r in roles] == ["access"]

    hours = _compare(influx, "1h", [(t, t + 3600 * NS) for t in range(START, END, 3600 * NS)])
    assert hours == 72 + 1  # the night BST ended has 25 hours
    zone = ZoneInfo(ZONE)
    days = [
        (
            int(datetime(2026, 10, d, tzinfo=zone).timestamp()) * NS,
            int(datetime(2026, 10, d + 1, tzinfo=zone).timestamp()) * NS,
        )
        for d in (24, 25, 26)
    ]
    assert days[1][1] - days[1][0] == 25 * 3600 * NS
    assert _compare(influx, "1d", days) == 3


def _compare(influx: InfluxDB16, period: str, windows: list[tuple[int, int]]) -> int:
    """Compare every rollup of `period` with InfluxQL over its window; returns how many."""
    checked = 0
    for start, end in windows:
        where = f"time >= {start} AND time < {end}"
        for measurement, fields in (
            ("interface", ("in_bps", "out_bps", "oper_status")),
            ("storage", ("used_bytes", "used_pct")),
        ):
            stored = _stored(influx, measurement, period, start)
            for name in fields:
                expected = _by_series(
                    influx_rows(
                        influx,
                        DB,
                        f'SELECT min("{name}"), mean("{name}"), max("{name}"), '
                        f'percentile("{name}", 95), count("{name}") '
                        f'FROM "autogen"."{measurement}" WHERE {where} GROUP BY *',
                    )
                )
                assert expected and set(expected) == set(stored)
                for key, row in expected.items():
                    got = stored[key]
                    assert got[f"{name}_min"] == row["min"]
                    assert got[f"{name}_max"] == row["max"]
                    if name == "oper_status":  # an extreme: min and max only
                        assert got.get(f"{name}_mean") is None
                        continue
                    assert got[f"{name}_p95"] == row["percentile"]
                    assert got[f"{name}_count"] == row["count"]
                    assert got[f"{name}_mean"] == pytest.approx(row["mean"], rel=1e-12)
        for measurement, name in (("printer", "page_count"), ("interface", "in_octets")):
            stored = _stored(influx, measurement, period, start)
            # One query over the whole range: InfluxDB 1.x pushes an outer time range into a
            # subquery, which would lose the increase across the window's start.
            increases = influx_rows(
                influx,
                DB,
                f'SELECT non_negative_difference("{name}") AS d FROM "autogen"."{measurement}" '
                f"WHERE time >= {START} GROUP BY *",
            )
            expected: dict[Any, dict[str, Any]] = {}
            for row in increases:
                if start <= row["time"] < end:
                    key = _by_series([row]).popitem()[0]
                    expected.setdefault(key, {"sum": 0})["sum"] += row["d"]
            for key, got in stored.items():
                assert got[f"{name}_total"] == expected.get(key, {"sum": 0})["sum"], key
        checked += 1
    return checked


def _stored(influx: InfluxDB16, measurement: str, period: str, start: int) -> dict[Any, Any]:
    """The rollups of `measurement` for the period starting at `start`, by series."""
    query = f'SELECT * FROM "rollups"."{measurement}_{period}" WHERE time = {start} GROUP BY *'
    return _by_series(influx_rows(influx, DB, query))


def _by_series(rows: list[dict[str, Any]]) -> dict[tuple[tuple[str, str], ...], dict[str, Any]]:
    tags = ("device", "if_index", "volume")
    return {tuple((k, str(r.get(k))) for k in tags): r for r in rows}
