"""Maintenance windows: one-off (start..end) or recurring (weekdays at a time, for a while).

Alerts of matching devices are still evaluated and recorded, just not notified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lanpulse.core.errors import ConfigError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Who (devices, groups, labels: any of them matches) and when."""

    name: str
    devices: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    labels: tuple[tuple[str, str], ...] = ()
    start_ns: int | None = None  # one-off
    end_ns: int | None = None
    days: frozenset[int] = frozenset()  # recurring: weekday numbers, empty = every day
    at: time | None = None
    duration_s: float = 0.0
    timezone: str = "UTC"

    def covers(self, tags: Mapping[str, str], group: str | None) -> bool:
        """Whether an alert with these series tags (of a device in `group`) is in scope."""
        if tags.get("device") in self.devices:
            return True
        if group is not None and group in self.groups:
            return True
        return bool(self.labels) and all(tags.get(k) == v for k, v in self.labels)

    def active(self, now_ns: int) -> bool:
        """Whether the window is open at `now_ns`."""
        if self.start_ns is not None and self.end_ns is not None:
            return self.start_ns <= now_ns < self.end_ns
        if self.at is None:
            return False
        zone = ZoneInfo(self.timezone)
        now = datetime.fromtimestamp(now_ns / 1e9, tz=zone)
        span = timedelta(seconds=self.duration_s)
        # A window that opened on one of the last few days may still be open now.
        for back in range(int(self.duration_s // 86400) + 2):
            day = (now - timedelta(days=back)).date()
            if self.days and day.weekday() not in self.days:
                continue
            opened = datetime.combine(day, self.at, tzinfo=zone)
            if opened <= now < opened + span:
                return True
        return False


class MaintenanceCalendar:
    """The configured windows; answers "is this alert in maintenance, and by which window"."""

    def __init__(self, windows: Sequence[MaintenanceWindow] = ()) -> None:
        self.windows = tuple(windows)

    def window_for(
        self, tags: Mapping[str, str], group: str | None, now_ns: int
    ) -> MaintenanceWindow | None:
        """The first open window covering these tags, or None."""
        for w in self.windows:
            if w.covers(tags, group) and w.active(now_ns):
                return w
        return None


def _ns(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1e9)


def windows_from_settings(settings: Sequence[object]) -> list[MaintenanceWindow]:
    """Build windows from `alerting.maintenance` entries (MaintenanceWindowSettings)."""
    out: list[MaintenanceWindow] = []
    for i, s in enumerate(settings):
        every = getattr(s, "every", None)
        start, end = getattr(s, "start", None), getattr(s, "end", None)
        tz = every.timezone if every is not None else "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"unknown time zone {tz!r}", key=f"alerting.maintenance[{i}].every.timezone"
            ) from None
        out.append(
            MaintenanceWindow(
                name=str(getattr(s, "name", f"window{i}")),
                devices=frozenset(getattr(s, "devices", ())),
                groups=frozenset(getattr(s, "groups", ())),
                labels=tuple(sorted(dict(getattr(s, "labels", {})).items())),
                start_ns=_ns(start) if start is not None and every is None else None,
                end_ns=_ns(end) if end is not None and every is None else None,
                days=frozenset(WEEKDAYS.index(d) for d in every.days) if every else frozenset(),
                at=every.at if every is not None else None,
                duration_s=float(every.duration) if every is not None else 0.0,
                timezone=tz,
            )
        )
    return out
