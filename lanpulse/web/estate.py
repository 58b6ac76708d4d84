"""What the status page knows about each device: its newest poll and a one-hour ring.

The daemon hands every poll outcome to `EstateView.observe` (its `on_outcome` hook); nothing
here polls or queries a database. Per device it keeps the newest poll's samples (replaced,
never accumulated) and `Ring`: one slot per minute for an hour of a few key series.

Memory bound of the rings: `KEY_SERIES` (6) x 60 float32 slots + 60 int32 minute stamps =
1,680 bytes of data, 2.0 KB per device with the objects around them: 49 MiB for 25,500
devices (`benchmarks/status_memory.py --devices 25500`). The newest poll's samples are the
ones the poll made, kept until the next one: ~0.5 KB per device without interfaces, ~30 KB
for a 48-port switch (the same script with `--ports 48`).
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lanpulse.core.errors import PollError
from lanpulse.core.model import Device, Sample

SLOTS = 60  # minutes in the ring
SLOT_S = 60
EVENTS = 20  # newest trap events kept per device
# name -> how one poll's samples make the value (None: not in this poll)
KEY_SERIES: dict[str, Callable[[Sequence[Sample]], float | None]] = {}


def _series(name: str) -> Callable[[Callable[[Sequence[Sample]], float | None]], object]:
    def add(fn: Callable[[Sequence[Sample]], float | None]) -> object:
        KEY_SERIES[name] = fn
        return fn

    return add


def _sum(samples: Sequence[Sample], measurement: str, key: str) -> float | None:
    values = [
        float(v)
        for s in samples
        if s.measurement == measurement and isinstance(v := s.fields.get(key), int | float)
    ]
    return sum(values) if values else None


def _first(samples: Sequence[Sample], measurement: str, key: str) -> float | None:
    for s in samples:
        v = s.fields.get(key) if s.measurement == measurement else None
        if isinstance(v, int | float):
            return float(v)
    return None


@_series("up")
def _up(samples: Sequence[Sample]) -> float | None:
    return _first(samples, "device", "up")


@_series("poll_seconds")
def _poll_seconds(samples: Sequence[Sample]) -> float | None:
    return _first(samples, "device", "poll_seconds")


@_series("in_bps")
def _in_bps(samples: Sequence[Sample]) -> float | None:
    return _sum(samples, "interface", "in_bps")


@_series("out_bps")
def _out_bps(samples: Sequence[Sample]) -> float | None:
    return _sum(samples, "interface", "out_bps")


@_series("cpu_pct")
def _cpu(samples: Sequence[Sample]) -> float | None:
    return _first(samples, "host", "cpu_pct")


@_series("min_supply_pct")
def _supply(samples: Sequence[Sample]) -> float | None:
    levels = [
        float(v)
        for s in samples
        if s.measurement in ("printer_supply", "storage")
        and isinstance(v := s.fields.get("level_pct", s.fields.get("used_pct")), int | float)
    ]
    return min(levels) if levels else None


class Ring:
    """An hour of `KEY_SERIES`, one slot per minute (the newest value of that minute wins).

    One flat float32 array (series-major) and one int32 array of minute stamps: two objects
    per device, whatever the number of series.
    """

    __slots__ = ("minutes", "values")

    def __init__(self) -> None:
        self.minutes = array("i", [-1] * SLOTS)
        self.values = array("f", [0.0] * (SLOTS * len(KEY_SERIES)))

    def add(self, t_s: float, samples: Sequence[Sample]) -> None:
        """Record one poll."""
        minute = int(t_s // SLOT_S)
        slot = minute % SLOTS
        self.minutes[slot] = minute
        for i, fn in enumerate(KEY_SERIES.values()):
            v = fn(samples)
            self.values[i * SLOTS + slot] = float("nan") if v is None else v

    def series(self, name: str, now_s: float) -> list[tuple[int, float]]:
        """(minutes ago, value) of the last hour, oldest first, gaps and NaN left out."""
        base = list(KEY_SERIES).index(name) * SLOTS
        now_minute = int(now_s // SLOT_S)
        out = []
        for slot in range(SLOTS):
            minute = self.minutes[slot]
            v = self.values[base + slot]
            if minute >= 0 and now_minute - minute < SLOTS and v == v:
                out.append((now_minute - minute, v))
        return sorted(out, key=lambda p: -p[0])


@dataclass(slots=True)
class DeviceView:
    """One device's newest poll as the page shows it."""

    device: Device
    samples: Sequence[Sample] = ()
    polled_at: float | None = None  # wall clock, seconds
    ring: Ring = field(default_factory=Ring)
    events: deque[Sample] | None = None  # made at the first trap: most devices send none
    late_s: float = 0.0  # how much later than its interval the last poll came
    profile: str = ""  # the profile the poller chose
    errors: tuple[PollError, ...] = ()  # the last poll's errors, as the poller recorded them

    def _device_sample(self) -> Sample | None:
        return next((s for s in self.samples if s.measurement == "device"), None)

    @property
    def status(self) -> str:
        """up, down or unknown (not polled yet)."""
        s = self._device_sample()
        if s is None:
            return "unknown"
        return "up" if s.fields.get("up") == 1 else "down"

    def tag(self, *names: str) -> str:
        """The first of `names` found on the device sample, device_info or the labels."""
        for s in self.samples:
            if s.measurement in ("device", "device_info"):
                for name in names:
                    v = s.tags.get(name) or s.fields.get(name)
                    if isinstance(v, str) and v:
                        return v
        return next((self.device.labels[n] for n in names if n in self.device.labels), "")

    def summary(self) -> dict[str, object]:
        """The devices table's row (also `/api/v1/devices`)."""
        d = self.device
        s = self._device_sample()
        return {
            "name": d.name,
            "address": d.address,
            "class": d.device_class or (s.tags.get("class", "") if s else ""),
            "site": d.labels.get("site", ""),
            "group": d.group or "",
            "status": self.status,
            "profile": d.profile or self.profile,
            "model": self.tag("model"),
            "location": self.tag("location", "sys_location"),
            "last_poll": _iso(self.polled_at),
            "poll_seconds": s.fields.get("poll_seconds") if s else None,
            "error": "; ".join(map(str, self.errors)),
        }


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class EstateView:
    """Every configured device's `DeviceView`, fed by the daemon's poll outcomes."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        facts: Callable[[str], tuple[str, tuple[PollError, ...]]] = lambda _name: ("", ()),
    ) -> None:
        self.clock = clock
        self.facts = facts  # device -> (profile, last errors): the poller's own record
        self.views: dict[str, DeviceView] = {}

    def set_devices(self, devices: Iterable[Device]) -> None:
        """Follow the configuration: new devices appear, removed ones go with their ring."""
        wanted = {d.name: d for d in devices}
        for name in list(self.views):
            if name not in wanted:
                del self.views[name]
        for name, device in wanted.items():
            view = self.views.get(name)
            if view is None:
                self.views[name] = DeviceView(device)
            else:
                view.device = device

    def observe(self, device: Device, samples: Sequence[Sample]) -> None:
        """One poll's outcome (the daemon's `on_outcome` hook)."""
        view = self.views.get(device.name)
        if view is None:
            view = self.views[device.name] = DeviceView(device)
        events = [s for s in samples if s.measurement == "event"]
        if events:
            if view.events is None:
                view.events = deque(maxlen=EVENTS)
            view.events.extend(events)
        if not any(s.measurement == "device" for s in samples):
            return  # an event-only outcome (a trap) keeps the last poll
        now = self.clock()
        if view.polled_at is not None:
            view.late_s = max(0.0, now - view.polled_at - device.interval_s)
        view.samples = tuple(s for s in samples if s.measurement != "event")
        view.polled_at = now
        view.profile, view.errors = self.facts(device.name)
        view.ring.add(view.polled_at, samples)

    def rows(self, filters: Mapping[str, str] | None = None, sort: str = "name") -> list[dict]:
        """The devices table, filtered (see `filter_rows`) and sorted (`sort_rows`)."""
        return sort_rows(filter_rows([v.summary() for v in self.views.values()], filters), sort)

    def part(self) -> dict[str, object]:
        """This estate's share of the summary: up/down counts and every device's lateness
        (a supervisor merges its workers' parts with `merge_parts`)."""
        by_class: dict[str, dict[str, int]] = {}
        by_site: dict[str, dict[str, int]] = {}
        for row in (v.summary() for v in self.views.values()):
            for table, key in ((by_class, row["class"] or "?"), (by_site, row["site"] or "-")):
                counts = table.setdefault(str(key), {"up": 0, "down": 0, "unknown": 0})
                counts[str(row["status"])] += 1
        return {
            "by_class": by_class,
            "by_site": by_site,
            "late": [v.late_s for v in self.views.values()],
        }

    def summary(self) -> dict[str, object]:
        """Up/down by class and by site."""
        return merge_parts([self.part()])


def filter_rows(rows: list[dict], filters: Mapping[str, str] | None) -> list[dict]:
    """Rows whose class/site/group/status/profile equal the filter's, and whose text
    contains `q` anywhere (empty filters are ignored)."""
    for key, want in (filters or {}).items():
        if not want:
            continue
        if key == "q":
            needle = want.lower()
            rows = [r for r in rows if any(needle in str(v).lower() for v in r.values() if v)]
        else:
            rows = [r for r in rows if str(r.get(key, "")) == want]
    return rows


def sort_rows(rows: list[dict], sort: str = "name") -> list[dict]:
    """Rows sorted by one column (`-col`: descending; unknown columns: by name)."""
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if rows and key not in rows[0]:
        key = "name"
    rows = sorted(rows, key=lambda r: (r[key] is None, str(r[key] if r[key] is not None else "")))
    if reverse:
        rows.reverse()
    return rows


def merge_parts(parts: Iterable[Mapping[str, Any]]) -> dict[str, object]:
    """The estate summary from one or more `EstateView.part()`s: counts added up, lateness
    over every device."""
    by_class: dict[str, dict[str, int]] = {}
    by_site: dict[str, dict[str, int]] = {}
    late: list[float] = []
    for part in parts:
        for table, theirs in ((by_class, part["by_class"]), (by_site, part["by_site"])):
            for key, counts in theirs.items():
                mine = table.setdefault(key, {"up": 0, "down": 0, "unknown": 0})
                for status, n in counts.items():
                    mine[status] = mine.get(status, 0) + n
        late.extend(part["late"])
    late.sort()
    total = {s: sum(c[s] for c in by_class.values()) for s in ("up", "down", "unknown")}
    return {
        "devices": total,
        "by_class": by_class,
        "by_site": by_site,
        "lateness_s": {
            "max": late[-1] if late else 0.0,
            "p95": late[int(len(late) * 0.95)] if late else 0.0,
            "late_polls": sum(1 for x in late if x > 1.0),
        },
    }
