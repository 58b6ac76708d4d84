"""`lanpulse demo` (the README's first command) end to end into a real InfluxDB 1.6."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lanpulse.demo.estate import ESTATE
from lanpulse.sim.servers import InfluxDB16
from tests._daemon import ROOT, influx_rows


def demo(tmp_path: Path, duration: str, *more: str) -> subprocess.CompletedProcess[str]:
    """`lanpulse demo` for `duration` seconds with its workdir under `tmp_path`."""
    return subprocess.run(
        [
            # 3 s: a poll's deadline is its interval plus 15 %, and snmpsim answering ten
            # devices at once on a loaded 2-core machine has missed 2.3 s.
            *(sys.executable, "-m", "lanpulse", "demo", "--interval", "3"),
            *("--duration", duration, "--workdir", str(tmp_path / "demo"), *more),
        ],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_writes_the_estate_into_influxdb(tmp_path: Path) -> None:
    with InfluxDB16(tmp_path / "influxd") as influx:
        done = demo(tmp_path, "7", "--influx-url", influx.url, "--influx-database", "demo")
        assert done.returncode == 0, done.stderr
        assert f"devices up {len(ESTATE)}/{len(ESTATE)}" in done.stdout
        assert "busiest:" in done.stdout and "Mbit/s" in done.stdout
        assert "status page: http://127.0.0.1:" in done.stdout
        assert "written to InfluxDB" in done.stdout
        up = influx_rows(
            influx, "demo", "SELECT last(up) AS up, count(up) AS n FROM device GROUP BY device"
        )
        assert {r["device"] for r in up} == {name for name, *_ in ESTATE}
        # last(), not min(): on a loaded CI machine one early poll may time out (up=0,
        # rightly written); the estate must end up and have been polled at least twice.
        assert all(r["up"] == 1 and r["n"] >= 2 for r in up), up
        rates = influx_rows(
            influx, "demo", "SELECT max(in_bps) AS bps FROM interface GROUP BY device"
        )
        assert any(r["bps"] and r["bps"] > 0 for r in rates)
        (toner,) = influx_rows(
            influx,
            "demo",
            "SELECT last(level_pct) AS pct FROM printer_supply "
            "WHERE device = 'floor2-printer' AND supply = 'Black Cartridge HP CF400X'",
        )
        assert toner["pct"] == 63


def test_demo_without_influxdb_says_where_the_data_went(tmp_path: Path) -> None:
    """No "written 0": the spool keeps the data, and the summary says where and how to look."""
    done = demo(tmp_path, "5")
    assert done.returncode == 0, done.stderr
    assert "written 0" not in done.stdout
    spool = tmp_path / "demo" / "spool"
    assert "kept in the spool" in done.stdout
    assert f"lanpulse spool status --dir {spool}" in done.stdout
    url = next(line for line in done.stdout.splitlines() if line.startswith("status page: "))
    assert url.startswith("status page: http://127.0.0.1:")
    assert "in a terminal: lanpulse status -c " in done.stdout
