"""`lanpulse spool status` and `lanpulse spool replay` end to end into a real InfluxDB 1.6."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lanpulse.core.model import Sample
from lanpulse.sim.servers import InfluxDB16, VictoriaMetrics, free_tcp_port
from lanpulse.timeseries.shipper import Shipper
from lanpulse.timeseries.spool import Spool

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000 * 10**9


def lanpulse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )


async def fill_spool(directory: Path, polls: int, t0: int = T0) -> None:
    """What the daemon does with no `influxdb:` section: keep everything in the spool."""
    shipper = Shipper(Spool(directory), None, flush_interval_s=0.01)
    await shipper.start()
    for p in range(polls):
        samples = [
            Sample("device", {"device": f"d{d}", "class": "printer"}, {"up": 1}, t0 + p * 10**9)
            for d in range(10)
        ]
        await shipper.submit(samples)
        assert await shipper.flush(5)
    await shipper.stop()


async def test_status_then_replay_into_influxdb(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    await fill_spool(spool_dir, polls=12)
    status = lanpulse("spool", "status", "--dir", str(spool_dir), "--json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["pending_points"] == 120 and info["dropped_points"] == 0

    server = InfluxDB16(tmp_path / "influxd", auth_enabled=True).start()
    try:
        server.query("CREATE USER admin WITH PASSWORD 's3cret-pw' WITH ALL PRIVILEGES")
        server.query("CREATE DATABASE lp", auth=("admin", "s3cret-pw"))
        (tmp_path / "pw").write_text("wrong-pw\n")
        denied = lanpulse(
            "spool", "replay", "--dir", str(spool_dir), "--to", server.url, "--database", "lp",
            "--username", "admin", "--password-file", str(tmp_path / "pw"),
            "--give-up-after", "1s",
        )  # fmt: skip
        assert denied.returncode == 1
        assert "authorization failed" in denied.stderr and "wrong-pw" not in denied.stderr
        assert "Traceback" not in denied.stderr

        done = lanpulse(
            "spool", "replay", "--dir", str(spool_dir), "--to", server.url, "--database", "lp",
            "--username", "admin", env={"INFLUX_PASSWORD": "s3cret-pw"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "replayed 120 of 120 points" in done.stdout
        assert "s3cret-pw" not in done.stdout + done.stderr
        res = server.query('SELECT count("up") FROM device', "lp", auth=("admin", "s3cret-pw"))
        assert res["results"][0]["series"][0]["values"][0][1] == 120  # type: ignore[index]
    finally:
        server.cleanup()
    after = json.loads(lanpulse("spool", "status", "--dir", str(spool_dir), "--json").stdout)
    assert after["pending_points"] == 0


async def test_replay_v2_into_victoriametrics(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    # VictoriaMetrics drops samples older than its retention (1 month): use recent times.
    await fill_spool(spool_dir, polls=3, t0=time.time_ns() - 600 * 10**9)
    (tmp_path / "token").write_text("vm-ignores-this-token\n")
    with VictoriaMetrics(tmp_path / "vm") as vm:
        done = lanpulse(
            "spool", "replay", "--dir", str(spool_dir), "--to", vm.url, "--api", "v2",
            "--org", "office", "--bucket", "lanpulse", "--token-file", str(tmp_path / "token"),
            "--gzip",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "replayed 30 of 30 points" in done.stdout
        assert "vm-ignores-this-token" not in done.stdout + done.stderr
        deadline = time.monotonic() + 15
        while len(series := vm.export('{__name__="device_up"}')) < 10:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert all(s["values"] == [1, 1, 1] for s in series)


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    missing = lanpulse("spool", "status", "--dir", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "not a lanpulse spool directory" in missing.stderr
    (tmp_path / "segments").mkdir()
    no_db = lanpulse("spool", "replay", "--dir", str(tmp_path), "--to", "http://127.0.0.1:1")
    assert no_db.returncode == 2 and no_db.stderr.strip() == "--database: --api v1 needs --database"
    bad_url = lanpulse("spool", "replay", "--dir", str(tmp_path), "--to", "influx:8086")
    assert bad_url.returncode == 2 and "--to" in bad_url.stderr
    unreachable = lanpulse(
        "spool", "replay", "--dir", str(tmp_path), "--to", f"http://127.0.0.1:{free_tcp_port()}",
        "--database", "x",
    )  # fmt: skip
    assert unreachable.returncode == 0 and "replayed 0 of 0 points" in unreachable.stdout
