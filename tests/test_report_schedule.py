"""Scheduled and mailed capacity reports: when they are due, what they cover, and the mail
itself through a real SMTP server (aiosmtpd) from a real InfluxDB 1.6 (the seeded history)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from lanpulse.config.capacity import ScheduleSettings
from lanpulse.config.loader import load_config
from lanpulse.parsers.calendar import Calendar
from lanpulse.reports.schedule import next_run, period_before
from lanpulse.reports.scheduled import make_scheduled_report
from lanpulse.sim.alerting import SmtpSink
from lanpulse.sim.servers import InfluxDB16
from tests._capacity_seed import DATABASE, NS, TZ, ZONE, seeded_influx

__all__ = ["seeded_influx"]
ROOT = Path(__file__).resolve().parent.parent
CAL = Calendar(ZONE)


def local(*args: int) -> int:
    return int(datetime(*args, tzinfo=TZ).timestamp()) * NS  # type: ignore[misc]


def test_monthly_on_the_first_at_seven_local_time_for_the_previous_month() -> None:
    monthly = ScheduleSettings(every="month", day=1, at="07:00")
    assert next_run(monthly, CAL, local(2026, 11, 15)) == local(2026, 12, 1, 7)
    # Summer time: 07:00 BST is 06:00 UTC.
    run = next_run(monthly, CAL, local(2026, 3, 15))
    assert run == local(2026, 4, 1, 7) == int(datetime(2026, 4, 1, 6).timestamp()) * NS
    assert next_run(monthly, CAL, local(2026, 12, 1, 7)) == local(2027, 1, 1, 7)
    assert period_before(monthly, CAL, local(2026, 12, 1, 7)) == (
        local(2026, 11, 1),
        local(2026, 12, 1),
    )
    assert period_before(monthly, CAL, local(2027, 1, 1, 7)) == (
        local(2026, 12, 1),
        local(2027, 1, 1),
    )


def test_weekly_and_daily() -> None:
    weekly = ScheduleSettings(every="week", day=1, at="06:30")  # Mondays
    run = next_run(weekly, CAL, local(2026, 12, 2))
    assert run == local(2026, 12, 7, 6, 30)
    assert period_before(weekly, CAL, run) == (local(2026, 11, 30), local(2026, 12, 7))
    daily = ScheduleSettings(every="day", at="00:15")
    run = next_run(daily, CAL, local(2026, 10, 25, 0, 30))  # the 25-hour day
    assert period_before(daily, CAL, run) == (local(2026, 10, 25), local(2026, 10, 26))


def _config(tmp_path: Path, influx: InfluxDB16, smtp_port: int) -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(
        f"influxdb: {{url: '{influx.url}', api: v1, database: {DATABASE}}}\n"
        f"rollups: {{timezone: {ZONE}}}\n"
        "reports:\n  email_to: [planners@example.org]\n  out_dir: reports\n"
        "  schedule: {every: month, day: 1, at: '07:00'}\n"
        "alerting:\n"
        f"  email: {{host: 127.0.0.1, port: {smtp_port}, from: lanpulse@example.org,\n"
        "           to: [oncall@example.org]}\n"
    )
    return path


def test_scheduled_report_is_written_and_mailed(seeded_influx: InfluxDB16, tmp_path: Path) -> None:
    with SmtpSink() as smtp:
        config = _config(tmp_path, seeded_influx, smtp.port)
        path = make_scheduled_report(load_config(str(config)), local(2026, 12, 1, 7))
        assert path == tmp_path / "reports" / "capacity-2026-11-01.html"
        assert "Capacity report 2026-11-01 to 2026-12-01" in path.read_text()
        (mail,) = smtp.mails()
    assert mail.recipients == ("planners@example.org",)
    assert mail.subject == "lanpulse capacity report 2026-11-01 to 2026-12-01"
    (attached,) = [p for p in mail.message.walk() if p.get_filename()]
    assert attached.get_filename() == "capacity-2026-11-01.html"
    html = attached.get_payload(decode=True)
    assert isinstance(html, bytes) and html.count(b'<svg class="chart"') == 6


def test_cli_email(seeded_influx: InfluxDB16, tmp_path: Path) -> None:
    with SmtpSink() as smtp:
        config = _config(tmp_path, seeded_influx, smtp.port)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "lanpulse",
                "report",
                "capacity",
                "-c",
                str(config),
                "--month",
                "2026-10",
                "--email",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        (mail,) = smtp.mails()
    assert "2026-10-01 to 2026-11-01" in mail.subject
