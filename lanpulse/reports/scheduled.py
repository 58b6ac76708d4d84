"""Scheduled capacity reports in the daemon: written to `reports.out_dir` and mailed.

A report that cannot be made (InfluxDB down, SMTP refusing) is logged; the daemon goes on,
and the next period's report comes at its time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from lanpulse.config.settings import LoadedConfig
from lanpulse.core.errors import LanpulseError
from lanpulse.parsers.calendar import NS, Calendar
from lanpulse.reports.capacity import build_report
from lanpulse.reports.render import to_html
from lanpulse.reports.schedule import next_run, period_before
from lanpulse.reports.sections import Period
from lanpulse.reports.source import InfluxQLSource

log = logging.getLogger(__name__)


def make_scheduled_report(loaded: LoadedConfig, run_ns: int) -> Path | None:
    """Make the report a run at `run_ns` is due for; write it, mail it; its path (None when
    it could not be made)."""
    settings = loaded.settings
    schedule = settings.reports.schedule
    if schedule is None or settings.influxdb is None:
        return None
    calendar = Calendar(settings.rollups.timezone)
    start, end = period_before(schedule, calendar, run_ns)
    groups = {d.name: d.group for d in loaded.devices if d.group}
    try:
        source = InfluxQLSource(settings.influxdb, settings.rollups)
        report = build_report(source, Period(start, end, calendar), settings.reports, groups=groups)
        out_dir = loaded.base_dir / settings.reports.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"capacity-{report.period_start}.html"
        path.write_text(to_html(report), encoding="utf-8")
        if settings.alerting.email is not None:
            from lanpulse.reports.mail import mail_report

            mail_report(loaded, report)
    except (LanpulseError, OSError, ValueError) as exc:
        log.error("scheduled capacity report not made: %s", exc)
        return None
    log.info("capacity report %s written", path)
    return path


async def scheduled_reports(
    config: Callable[[], LoadedConfig], stop: asyncio.Event, clock_ns: Callable[[], int]
) -> None:
    """Sleep until each scheduled time (the config in force decides), then make the report."""
    while not stop.is_set():
        loaded = config()
        schedule = loaded.settings.reports.schedule
        if schedule is None or loaded.settings.influxdb is None:
            return
        now = clock_ns()
        due = next_run(schedule, Calendar(loaded.settings.rollups.timezone), now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), (due - now) / NS)
            return
        await asyncio.to_thread(make_scheduled_report, config(), due)
