"""Calendar periods in one time zone: local hours, days and months as [start, end) in ns.

Days begin at local midnight (23 or 25 hours on DST days); hours begin where the zone's
hours do (on the UTC hour, or at :30 / :45 in zones offset by a fraction of an hour), so
every hour lies within one day. Months are whole local days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NS = 1_000_000_000
HOUR_NS = 3600 * NS


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS


class Calendar:
    """Period boundaries in one time zone; the last day and hour looked up are remembered
    (one poll's samples share a time)."""

    def __init__(self, zone: str = "UTC") -> None:
        self.zone = ZoneInfo(zone)
        self._day = (0, 0)
        self._hour = (0, 0)

    def _local(self, time_ns: int) -> datetime:
        return datetime.fromtimestamp(time_ns // NS, tz=UTC).astimezone(self.zone)

    def hour(self, time_ns: int) -> tuple[int, int]:
        """[start, end) of the local hour containing `time_ns`."""
        start, end = self._hour
        if start <= time_ns < end:
            return start, end
        local = self._local(time_ns)
        start = _ns(local.replace(minute=0, second=0, microsecond=0))
        self._hour = (start, start + HOUR_NS)
        return self._hour

    def day(self, time_ns: int) -> tuple[int, int]:
        """[start, end) of the local day containing `time_ns`."""
        start, end = self._day
        if start <= time_ns < end:
            return start, end
        midnight = self._local(time_ns).replace(hour=0, minute=0, second=0, microsecond=0)
        # Wall-clock arithmetic: the next midnight, 23 or 25 hours later on DST days.
        self._day = (_ns(midnight), _ns(midnight + timedelta(days=1)))
        return self._day

    def month(self, year: int, month: int) -> tuple[int, int]:
        """[start, end) in ns of a calendar month in the zone."""
        start = datetime(year, month, 1, tzinfo=self.zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=self.zone)
        return _ns(start), _ns(end)

    def week(self, year: int, week: int) -> tuple[int, int]:
        """[start, end) in ns of an ISO week (Monday to Monday, local midnights; 167 or 169
        hours in the weeks the clocks change). ValueError for a week the year lacks."""
        start = datetime.fromisocalendar(year, week, 1).replace(tzinfo=self.zone)
        end = (start + timedelta(days=7)).replace(tzinfo=self.zone)
        return _ns(start), _ns(end)

    def month_of(self, time_ns: int) -> str:
        """`YYYY-MM` of the local month containing `time_ns`."""
        local = self._local(time_ns)
        return f"{local.year:04d}-{local.month:02d}"

    def date_of(self, time_ns: int) -> str:
        """The local date (YYYY-MM-DD) of `time_ns`."""
        return self._local(time_ns).date().isoformat()
