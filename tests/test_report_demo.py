"""`lanpulse demo` without InfluxDB, then `lanpulse report capacity` from its rollup spool."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests._daemon import ROOT


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_demo_can_show_a_capacity_report(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    done = _run("demo", "--interval", "3", "--duration", "8", "--workdir", str(workdir))
    assert done.returncode == 0, done.stderr
    config = str(workdir / "lanpulse-demo.yaml")
    report = _run("report", "capacity", "-c", config, "--since", "1d", "--format", "csv")
    assert report.returncode == 0, report.stderr
    rows = list(csv.reader(report.stdout.splitlines()))
    sections = {r[0] for r in rows}
    assert {"links", "access_ports", "storage", "printers", "supplies", "desktops"} <= sections
    # The recording's uplink is named so in its alias: the built-in role rule finds it.
    assert any(r[:3] == ["links", "core-sw1", "Gi0/1"] for r in rows)
    (ports,) = [r for r in rows if r[:2] == ["access_ports", "floor2-sw1"]]
    assert int(ports[2]) == 26 and int(ports[4]) >= 1  # 26 ports, some never up
    html = _run("report", "capacity", "-c", config, "--since", "1d")
    assert html.returncode == 0 and html.stdout.count('<svg class="chart"') == 6
