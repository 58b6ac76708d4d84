"""`lanpulse report capacity` over 13 months of history of known shape in a real InfluxDB 1.6.

The history (tests/_capacity_seed.py) goes through the real rollup aggregator and the real
v1 writer; the report reads it back through InfluxQL. Every number is asserted against the
construction. The HTML report is opened in Debian's headless chromium (through chromedriver)
and must load without console errors, with its charts present.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lanpulse.config.capacity import ReportSettings
from lanpulse.parsers.rollups import Calendar
from lanpulse.reports.capacity import CapacityReport, build_report
from lanpulse.reports.sections import Period
from lanpulse.reports.source import InfluxQLSource
from lanpulse.sim.servers import InfluxDB16
from tests import _capacity_seed as seed
from tests._capacity_seed import (
    GB,
    PAGES_PER_HOUR,
    PERIOD_END,
    PERIOD_START,
    TZ,
    ZONE,
    seeded_influx,
)

__all__ = ["seeded_influx"]  # the fixture, shared with test_predictive_rules.py

ROOT = Path(__file__).resolve().parent.parent
DB = seed.DATABASE
MONTHS = ["2025-11", "2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
# Hours in each local month of Europe/London: March 2026 loses one, October 2026 gains one.
HOURS = {
    m: 24 * d
    for m, d in zip(MONTHS, (30, 31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30), strict=True)
}
HOURS["2026-03"] -= 1
HOURS["2026-10"] += 1


@pytest.fixture(scope="module")
def config(seeded_influx: InfluxDB16, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "lanpulse.yaml"
    devices = "\n".join(
        f"  - {{name: d{i}, address: 127.0.0.1, group: {'cid' if i <= 3 else 'admin'}}}"
        for i in range(1, 7)
    )
    path.write_text(
        f"influxdb: {{url: '{seeded_influx.url}', api: v1, database: {DB}}}\n"
        f"rollups: {{timezone: {ZONE}}}\n"
        "defaults: {snmp: {community: public}}\ngroups: {cid: {}, admin: {}}\n"
        f"devices:\n{devices}\n"
    )
    return path


@pytest.fixture(scope="module")
def report(config: Path) -> CapacityReport:
    from lanpulse.config.loader import load_config

    loaded = load_config(str(config))
    source = InfluxQLSource(loaded.settings.influxdb, loaded.settings.rollups)  # type: ignore[arg-type]
    groups = {d.name: d.group for d in loaded.devices if d.group}
    period = Period(PERIOD_START, PERIOD_END, Calendar(ZONE))
    return build_report(source, period, ReportSettings(), groups=groups)


def test_uplink_monthly_p95_trend_and_threshold_month(report: CapacityReport) -> None:
    grow, flat = report.links
    assert (grow.device, grow.interface, flat.interface) == ("sw-core", "te1", "te2")
    assert [m.month for m in grow.months] == MONTHS
    for m, month in enumerate(grow.months):
        assert month.in_p95_bps == seed.uplink_peak_bps(m)
        assert month.out_p95_bps == seed.uplink_peak_bps(m) / 2
        assert month.in_p95_pct == pytest.approx(30 + 2 * m)
    assert grow.trend_pct_per_month == pytest.approx(2.0)
    assert grow.fit_r2 == pytest.approx(1.0)
    # 54 % in 2026-11, +2 %/month: 70 % eight months later.
    assert grow.crosses_threshold == "2027-07"
    assert flat.months[-1].in_p95_pct == pytest.approx(10.0)
    assert flat.trend_pct_per_month == pytest.approx(0.0, abs=1e-9)
    assert flat.crosses_threshold is None


def test_access_ports_never_up(report: CapacityReport) -> None:
    (switch,) = [s for s in report.access_ports if s.device == "sw-access1"]
    assert (switch.ports, switch.used, switch.never_up) == (8, 5, ["ge6", "ge7", "ge8"])
    assert switch.spare_pct == pytest.approx(37.5)
    core = [s for s in report.access_ports if s.device == "sw-core"]
    assert core == []  # its interfaces are uplinks


def test_storage_growth_and_fill_dates(report: CapacityReport) -> None:
    vols = {v.volume: v for v in report.storage}
    grow = vols["/grow"]
    assert grow.status == "growing" and grow.fit == "linear"
    assert grow.growth_bytes_per_day == pytest.approx(2 * GB, rel=1e-6)
    assert grow.fit_r2 == pytest.approx(1.0)
    # 100 GB on 2026-01-01 06:00 + 2 GB/day: 900 GB 400 days later, 1000 GB 450 days later.
    t0 = datetime(2026, 1, 1, 6, tzinfo=TZ)
    assert grow.date_90 == (t0 + timedelta(days=400)).date().isoformat() == "2027-02-05"
    assert grow.date_100 == (t0 + timedelta(days=450)).date().isoformat() == "2027-03-27"
    for name in ("/flat", "/shrink"):
        assert vols[name].status == "not growing"
        assert (vols[name].date_90, vols[name].date_100) == (None, None)
    full = vols["/flat-full"]  # 95 % and flat: past 90 %, but never a false "full"
    assert full.status == "not growing" and full.date_100 is None
    assert full.date_90 == "2026-11-30"


def test_printer_pages_per_calendar_month_across_dst(report: CapacityReport) -> None:
    pages = {p.device: p for p in report.printers}
    for device, rate in PAGES_PER_HOUR.items():
        months = pages[device].months
        assert months == {m: rate * h for m, h in HOURS.items()}
    assert pages["pr-a"].months["2026-10"] == 7450  # the night BST ended has 25 hours
    assert pages["pr-a"].mono["2026-03"] == 8 * 743
    assert pages["pr-a"].colour["2026-03"] == 2 * 743
    assert report.busiest_printers[0] == "pr-a" and report.idlest_printers[0] == "pr-b"


def test_toner_use_per_1000_pages_and_days_left(report: CapacityReport) -> None:
    (toner,) = report.supplies
    assert (toner.device, toner.supply, toner.replaced) == ("pr-a", "Black Toner", "2026-10-10")
    # 0.5 % a day for 240 pages a day. The DST night adds an hour of pages and of toner to one
    # day, which the daily means see only in part: within 0.1 %.
    assert toner.pct_per_1000_pages == pytest.approx(1000 * 0.5 / 240, rel=1e-3)
    # At local noon on 2026-11-30 the toner holds 100 - 0.5 * 51.5 = 74.25 %: 148.5 days left.
    assert toner.level_pct == pytest.approx(74.25, abs=0.05)
    assert toner.days_left == pytest.approx(148.5, rel=2e-3)


def test_desktop_groups(report: CapacityReport) -> None:
    groups = {g.group: g for g in report.desktops}
    cid, admin = groups["cid"], groups["admin"]
    assert (cid.hosts, cid.cpu_p95_pct, cid.mem_p95_pct) == (3, 90.0, 60.0)
    assert (cid.cpu_above_pct, cid.mem_above_pct) == (100.0, 0.0)
    assert (admin.hosts, admin.cpu_p95_pct, admin.mem_p95_pct) == (3, 30.0, 85.0)
    assert admin.cpu_above_pct == 0.0 and admin.mem_above_pct == pytest.approx(100 / 3)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", "report", "capacity", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_cli_month_site_and_formats(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    done = _cli(
        "-c",
        str(config),
        "--month",
        "2026-10",
        "--site",
        "hq",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    rows = out.read_text().splitlines()
    assert "printers,pr-a,2026-10,7450,5960,1490" in rows
    assert not any(",pr-c," in r for r in rows)  # another site
    bad = _cli("-c", str(config), "--month", "2026-13")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "--month: expected a month as YYYY-MM, got '2026-13'"
    js = _cli("-c", str(config), "--month", "2026-11", "--format", "json")
    assert js.returncode == 0 and '"crosses_threshold"' in js.stdout


def test_cli_week(config: Path) -> None:
    """An ISO week in the report's zone: 2026-W43 ends on the Sunday British Summer Time
    does, so it has 169 hours: 1,690 pages at pr-a's 10 an hour (8 mono, 2 colour)."""
    done = _cli("-c", str(config), "--week", "2026-W43", "--site", "hq", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "printers,pr-a,2026-10,1690,1352,338" in done.stdout.splitlines()
    bad = _cli("-c", str(config), "--week", "2026-W54")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "--week: expected an ISO week as YYYY-Www (W01..W53), got '2026-W54'"
    )


def test_html_report_opens_in_headless_chromium(config: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    done = _cli("-c", str(config), "--since", "400d", "--out", str(html))
    assert done.returncode == 0, done.stderr
    text = html.read_text()
    assert "<script" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    from tests._chromium import open_page

    with open_page(html) as page:
        assert page.console_errors == []
        assert page.count("svg.chart") == 6
        assert page.count("section") == 7
        assert page.count("svg.chart polyline") >= 2


def test_an_unreachable_database_is_one_line_without_secrets(tmp_path: Path) -> None:
    from lanpulse.sim.servers import free_tcp_port

    config = tmp_path / "c.yaml"
    url = f"http://planner:Report-Secret-7@127.0.0.1:{free_tcp_port()}"
    config.write_text(f"influxdb: {{url: '{url}', api: v1, database: x, password: P-Secret-8}}\n")
    done = _cli("-c", str(config), "--month", "2026-11")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: http://127.0.0.1:")
    assert "Secret" not in done.stderr + done.stdout
