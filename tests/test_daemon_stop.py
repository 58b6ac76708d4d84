"""SIGTERM at any moment: scheduling stops at once, the process exits within the deadline,
unsent data is in the spool, and the log has no traceback.

Real process (`python -m lanpulse run`), real UDP: the devices are 127.0.0.1 ports where no
agent listens (every poll runs to its timeout), and `influxdb.url` points at a free port
where no InfluxDB listens (issue 20: InfluxDB down, a backlog of queued polls).
"""

from __future__ import annotations

import re
import signal
import time
import urllib.request
from pathlib import Path

from lanpulse.sim.servers import free_tcp_port
from lanpulse.timeseries.segment import iter_records, read_segment
from tests._daemon import DaemonProcess, device_line, wait_for, write_config

DEADLINE_S = 5.0  # what write_config sets


def spooled(spool: Path, measurement: str) -> list[str]:
    lines = []
    for path in sorted((spool / "segments").glob("*.seg")):
        for record in iter_records(read_segment(path), 0, 0):
            text = record.payload.decode()
            lines += [ln for ln in text.splitlines() if ln.startswith(measurement + ",")]
    return lines


def metric(http: str, name: str) -> float:
    with urllib.request.urlopen(f"http://{http}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found = re.search(rf"^lanpulse_{name}(?:_total)? (\S+)$", text, re.M)
    assert found, text
    return float(found.group(1))


def config(tmp_path: Path, devices: int, http: str | None = None) -> Path:
    silent = free_tcp_port()  # nothing answers there (UDP): each poll waits for its timeout
    influx = (
        f"influxdb:\n  url: http://127.0.0.1:{free_tcp_port()}\n  api: v1\n  database: x\n"
        "  flush_interval: 0.2s\n  backoff: 0.2s\n  max_backoff: 1s\n  timeout: 2s"
    )
    return write_config(
        tmp_path / "lanpulse.yaml",
        [device_line(f"dev{i:04d}", silent) for i in range(devices)],
        influx=influx,
        interval="1s",
        http_listen=http,
        # One process: these scenarios are the daemon's own stop (a supervisor forwards
        # SIGTERM to its workers, tests/test_cluster_workers.py).
        daemon="max_concurrent_polls: 4\n  workers: 1",
    )


def test_sigterm_with_a_backlog_and_influxdb_down(tmp_path: Path) -> None:
    http = f"127.0.0.1:{free_tcp_port()}"
    daemon = DaemonProcess(config(tmp_path, 200, http)).start()
    try:
        wait_for(lambda: metric(http, "polls") >= 8, 30)  # 200 due each second, 4 at a time
        polls_before = metric(http, "polls")
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(DEADLINE_S + 10) == 0
        took = time.monotonic() - started
    finally:
        daemon.kill()
    log = daemon.log()
    assert took <= DEADLINE_S + 1.5, (took, log[-2000:])
    assert "Traceback" not in log and "CancelledError" not in log, log[-3000:]
    # The last self-monitoring point, written at the stop, is in the spool: only the polls
    # in flight at the SIGTERM (4) finished after it, none of the queued ones started.
    final = spooled(tmp_path / "spool", "lanpulse")[-1]
    polls_final = int(re.search(r"[ ,]polls=(\d+)i", final).group(1))  # type: ignore[union-attr]
    assert polls_final - polls_before <= 4 + 1, (polls_before, polls_final)


def test_sigterm_during_start_up_exits_cleanly(tmp_path: Path) -> None:
    path = config(tmp_path, 2000)
    daemon = DaemonProcess(path)
    # Start without waiting for "lanpulse running": the signal comes while the config and
    # the spool are being opened.
    import os
    import subprocess
    import sys

    from tests._daemon import ROOT

    with daemon.log_path.open("wb") as out:
        daemon.proc = subprocess.Popen(
            [sys.executable, "-m", "lanpulse", "--log-level", "info", "run", "-c", str(path)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
    try:
        wait_for(lambda: (tmp_path / "spool" / "LOCK").exists(), 30, 0.005)
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(DEADLINE_S + 10) == 0, daemon.log()
        assert time.monotonic() - started <= DEADLINE_S + 1.5
    finally:
        daemon.kill()
    log = daemon.log()
    assert "lanpulse stopped" in log and "Traceback" not in log, log[-3000:]
    assert not spooled(tmp_path / "spool", "device")  # no poll was started
