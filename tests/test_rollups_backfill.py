"""`lanpulse rollups backfill` on a real InfluxDB 1.6: equal to the live rollups.

The live pipeline first writes three days of polls (test_rollups_influx's: 5-minute polls
across the end of British Summer Time, a counter reset) into a real InfluxDB 1.6, raw points
and their rollups; test_rollups_influx proves those rollups equal InfluxQL's aggregates.
The rollups are then recorded and dropped, and the backfill (the real command, as a
process) rebuilds them from the raw points: every point is equal to the live one, field by
field and bit for bit, in one run, in two runs (stopped after a day, resumed with --since)
and run again over the same days (idempotent). In-process, with chunks of 7 points (every
series split across many chunks), the result is the same. Raw points written before roles
existed get their role from the same tagger the daemon uses, the LLDP neighbour rule
included.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.config.loader import load_config
from lanpulse.core.model import Sample
from lanpulse.daemon import Daemon
from lanpulse.parsers.roles import PortNeighbors
from lanpulse.parsers.rollups import field_plans
from lanpulse.pipeline.roles import build_role_tagger
from lanpulse.reports.backfill import Backfill
from lanpulse.reports.source import InfluxQLSource
from lanpulse.sim.servers import InfluxDB16
from tests._daemon import ROOT, influx_rows, write_config
from tests.test_rollups_influx import END, NS, START, ZONE, polls, through_sinks

DB = "backfill"
ROLLUPS = ("interface_1h", "interface_1d", "storage_1h", "storage_1d", "printer_1h", "printer_1d")
Stored = dict[tuple[str, tuple[tuple[str, str], ...], int], dict[str, Any]]


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def _section(influx: InfluxDB16, database: str) -> str:
    return (
        f"influxdb:\n  url: {influx.url}\n  api: v1\n  database: {database}\n"
        "  flush_interval: 0.2s\n  backoff: 0.2s\n  max_backoff: 1s\n"
        f"rollups:\n  timezone: {ZONE}\n  raw_retention: 400d\n  grace: 1s"
    )


@pytest.fixture(scope="module")
def live(influx: InfluxDB16, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Stored]:
    """The config, and the live pipeline's rollups of the three days (then dropped)."""
    tmp = tmp_path_factory.mktemp("live")
    config = write_config(tmp / "lanpulse.yaml", [], influx=_section(influx, DB))
    asyncio.run(through_sinks(config, END + 3600 * NS, polls()))
    stored = _rollups(influx, DB)
    assert len(stored) > 200
    _drop(influx, DB)
    return config, stored


def _rollups(influx: InfluxDB16, database: str) -> Stored:
    out: Stored = {}
    for measurement in ROLLUPS:
        result: Any = influx.query(
            f'SELECT * FROM "rollups"."{measurement}" GROUP BY *', db=database
        )
        for statement in result["results"]:
            for series in statement.get("series", []) or []:
                tags = tuple(sorted((k, v) for k, v in series["tags"].items() if v))
                for row in series["values"]:
                    values = dict(zip(series["columns"], row, strict=True))
                    t = values.pop("time")
                    fields = {k: v for k, v in values.items() if v is not None}
                    out[(measurement, tags, t)] = fields
    return out


def _drop(influx: InfluxDB16, database: str) -> None:
    for measurement in ROLLUPS:
        influx.query(f'DROP MEASUREMENT "{measurement}"', db=database)
    assert not _rollups(influx, database)


def _backfill(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", "rollups", "backfill", "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_backfill_equals_the_live_rollups(influx: InfluxDB16, live: tuple[Path, Stored]) -> None:
    config, expected = live
    done = _backfill(config, "--since", "2026-10-24", "--until", "2026-10-27")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["2026-10-24", "2026-10-25", "2026-10-26"]
    assert lines[-1].startswith("backfilled 3 days to influxdb-v1")
    assert _rollups(influx, DB) == expected

    # Run again over the same days: the same points, nothing more.
    assert _backfill(config, "--since", "2026-10-24", "--until", "2026-10-27").returncode == 0
    assert _rollups(influx, DB) == expected

    # Stopped after the first day, resumed with --since the day it stopped at.
    _drop(influx, DB)
    assert _backfill(config, "--since", "2026-10-24", "--until", "2026-10-25").returncode == 0
    assert _backfill(config, "--since", "2026-10-25", "--until", "2026-10-27").returncode == 0
    assert _rollups(influx, DB) == expected


def test_small_chunks_give_the_same_rollups(influx: InfluxDB16, live: tuple[Path, Stored]) -> None:
    config, expected = live
    loaded = load_config(str(config))
    assert loaded.settings.influxdb is not None
    source = InfluxQLSource(loaded.settings.influxdb, loaded.settings.rollups, raw=True)
    backfill = Backfill(
        source,
        field_plans(loaded.settings.rollups.fields),
        ZONE,
        tagger=build_role_tagger(loaded.settings.roles, loaded.devices, PortNeighbors()),
        chunk_size=7,
    )
    days = backfill.days(START, END)
    assert len(days) == 3
    got: Stored = {}
    for start, end in days:
        for r in backfill.day(start, end):
            got[(r.measurement, tuple(sorted(r.tags.items())), r.time_ns)] = dict(r.fields)
    assert got.keys() == expected.keys()
    for key, fields in got.items():
        assert fields == pytest.approx(expected[key], rel=0, abs=0), key


async def test_raw_points_without_roles_get_them(influx: InfluxDB16, tmp_path: Path) -> None:
    """History written before roles existed: the backfill tags it as the daemon would, the
    LLDP neighbour (a switch, by what it advertises) making ge1 an uplink."""
    database = "backfill_roles"
    config = write_config(tmp_path / "lanpulse.yaml", [], influx=_section(influx, database))
    neighbor = Sample(
        "neighbor",
        {"device": "sw1", "class": "switch", "protocol": "lldp", "local_port": "ge1"}
        | {"local_port_index": "1", "remote_name": "dist1", "remote_caps": "bridge,router"},
        {"info": 1},
        START,
    )
    device = Sample("device", {"device": "sw1", "class": "switch"}, {"up": 1}, START)
    daemon = Daemon(str(config), clock_ns=lambda: END + 3600 * NS)
    for sink in daemon.sinks:
        await sink.start()
    for batch in [[neighbor, device], *polls()]:
        daemon.emit(batch)  # raw points as an older lanpulse wrote them: no role
    for sink in daemon.sinks:
        assert await sink.stop(30)
    roles = influx_rows(influx, database, 'SHOW TAG KEYS FROM "interface"')
    assert "role" not in {r["tagKey"] for r in roles}
    _drop(influx, database)

    done = _backfill(config, "--since", "2026-10-25", "--until", "2026-10-26")
    assert done.returncode == 0, done.stderr
    rows = influx_rows(
        influx,
        database,
        'SELECT "in_bps_p95" FROM "rollups"."interface_1d" GROUP BY "if_name", "role"',
    )
    assert {(r["if_name"], r["role"]) for r in rows} == {("ge1", "uplink"), ("ge2", "access")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "soon"), "--since: "),
        (("--since", "2026-02-30"), "--since: expected a date YYYY-MM-DD, got '2026-02-30'"),
        (("--since", "2d", "--until", "3d"), "--since: no whole day between --since and --until"),
        (("--since", "10d", "--lookback", "x"), "--lookback: "),
    ],
)
def test_bad_options_are_one_line(
    live: tuple[Path, Stored], args: tuple[str, ...], message: str
) -> None:
    config, _ = live
    done = _backfill(config, *args)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert message in line


def test_without_influxdb_it_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path / "lanpulse.yaml", [])
    done = _backfill(config, "--since", "10d")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "influxdb: the backfill reads raw history through InfluxQL" in line
