"""When scheduled capacity reports are due, and which period each covers (pure).

`reports.schedule: {every: month, day: 1, at: "07:00"}` makes the report of the previous
calendar month on the 1st at 07:00 local time (`rollups.timezone`); `every: week` runs on
ISO weekday `day` (1 = Monday) for the previous 7 days; `every: day` for the previous day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lanpulse.config.capacity import ScheduleSettings
from lanpulse.parsers.calendar import NS, Calendar


def _local(calendar: Calendar, time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns / NS, tz=UTC).astimezone(calendar.zone)


def next_run(schedule: ScheduleSettings, calendar: Calendar, after_ns: int) -> int:
    """The first scheduled time strictly after `after_ns` (ns)."""
    hour, minute = (int(x) for x in schedule.at.split(":"))
    local = _local(calendar, after_ns)
    day = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    for _ in range(400):  # at most a year and a bit ahead
        due = (
            (schedule.every == "day")
            or (schedule.every == "week" and day.isoweekday() == schedule.day)
            or (schedule.every == "month" and day.day == schedule.day)
        )
        at_ns = int(day.timestamp()) * NS
        if due and at_ns > after_ns:
            return at_ns
        day = (day + timedelta(days=1)).replace(hour=hour, minute=minute)
    raise ValueError("no scheduled time within a year")  # unreachable with valid settings


def period_before(schedule: ScheduleSettings, calendar: Calendar, run_ns: int) -> tuple[int, int]:
    """[start, end) of the period a run at `run_ns` reports on."""
    local = _local(calendar, run_ns)
    if schedule.every == "month":
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
        return calendar.month(year, month)
    end = calendar.day(run_ns)[0]
    days = 7 if schedule.every == "week" else 1
    start = int((_local(calendar, end) - timedelta(days=days)).timestamp()) * NS
    return start, end
