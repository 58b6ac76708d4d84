"""The five questions of a capacity report, each a typed table computed from rollups (pure).

Monthly figures use calendar months of the rollups' time zone: the daily rollups begin at
local midnight, so a month is the sum of its days, whatever DST did. A link's monthly 95th
percentile is taken over its hourly means (LibreNMS bills on 5-minute averages; lanpulse
keeps raw points only weeks, and hourly means for years).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lanpulse.parsers.calendar import NS, Calendar
from lanpulse.parsers.rollups import percentile_rank
from lanpulse.reports.forecast import DAY_S, FitError, fit, time_left
from lanpulse.reports.source import RollupSource, Series

MONTH_DAYS = 365.25 / 12
# A daily mean stands for the middle of its day: fits place it there, not at midnight.
MID_DAY_S = DAY_S / 2
NOT_LINKS = frozenset({"uplink", "virtual", "wan"})


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (as InfluxQL and the rollups compute it)."""
    ordered = sorted(values)
    return ordered[len(ordered) - percentile_rank(len(ordered))]


@dataclass(frozen=True, slots=True)
class Period:
    """The report's time range and the calendar months it covers."""

    start_ns: int
    end_ns: int
    calendar: Calendar

    def months(self) -> list[str]:
        """`YYYY-MM` of each local month that overlaps the period, in order."""
        out: list[str] = []
        t = self.start_ns
        while t < self.end_ns:
            label = self.calendar.month_of(t)
            out.append(label)
            year, month = (int(x) for x in label.split("-"))
            t = self.calendar.month(year, month)[1]
        return out


def add_months(label: str, n: int) -> str:
    """`YYYY-MM` n months after `label`."""
    year, month = (int(x) for x in label.split("-"))
    index = year * 12 + month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- links -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkMonth:
    """One uplink's 95th percentiles in one month."""

    month: str
    in_p95_bps: float
    out_p95_bps: float
    in_p95_pct: float | None
    out_p95_pct: float | None


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One uplink: monthly 95th percentiles, trend, and when it crosses the threshold."""

    device: str
    interface: str
    speed_bps: float | None
    months: list[LinkMonth]
    trend_pct_per_month: float | None
    crosses_threshold: str | None  # YYYY-MM; "now" when the last month is above it
    fit_r2: float | None


def links(source: RollupSource, period: Period, threshold_pct: float) -> list[LinkRow]:
    """Monthly in/out p95 per uplink (interfaces with role=uplink), trend and crossing."""
    fields = ("in_bps_mean", "out_bps_mean", "speed_bps_max")
    rows: list[LinkRow] = []
    for s in source.series("interface_1h", fields, period.start_ns, period.end_ns):
        if s.tags.get("role") != "uplink":
            continue
        by_month: dict[str, list[dict[str, float]]] = defaultdict(list)
        for t, values in s.points:
            by_month[period.calendar.month_of(t)].append(values)
        months: list[LinkMonth] = []
        for label in period.months():
            points = by_month.get(label)
            if not points:
                continue
            speed = max((p.get("speed_bps_max", 0.0) for p in points), default=0.0) or None
            ins = [p["in_bps_mean"] for p in points if "in_bps_mean" in p]
            outs = [p["out_bps_mean"] for p in points if "out_bps_mean" in p]
            i95, o95 = (p95(ins) if ins else 0.0), (p95(outs) if outs else 0.0)
            months.append(
                LinkMonth(
                    label,
                    i95,
                    o95,
                    100 * i95 / speed if speed else None,
                    100 * o95 / speed if speed else None,
                )
            )
        speed = max((p.get("speed_bps_max", 0.0) for _, p in s.points), default=0.0)
        rows.append(_link_trend(s.tags, speed or None, months, threshold_pct))
    return sorted(rows, key=lambda r: (r.device, r.interface))


def _link_trend(
    tags: Mapping[str, str], speed: float | None, months: list[LinkMonth], threshold: float
) -> LinkRow:
    device, name = tags.get("device", ""), tags.get("if_name") or tags.get("if_index", "")
    peaks = [
        (i * MONTH_DAYS * DAY_S, max(m.in_p95_pct or 0.0, m.out_p95_pct or 0.0))
        for i, m in enumerate(months)
        if m.in_p95_pct is not None
    ]
    if len(peaks) < 2:
        return LinkRow(device, name, speed, months, None, None, None)
    model = fit(peaks, "linear")
    slope = model.slope_per_day * MONTH_DAYS
    last_t, last = peaks[-1]
    left = time_left(model, last_t, last, threshold)
    crossing = None
    if left == 0.0:
        crossing = "now"
    elif left is not None:
        crossing = add_months(months[-1].month, math.ceil(left / (MONTH_DAYS * DAY_S) - 1e-9))
    return LinkRow(device, name, speed, months, slope, crossing, model.r2)


# --- access ports ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwitchPorts:
    """One switch: its access ports, those used and those never up in the period."""

    device: str
    ports: int
    used: int
    never_up: list[str]

    @property
    def spare_pct(self) -> float:
        """Share of access ports never up."""
        return 100.0 * len(self.never_up) / self.ports if self.ports else 0.0


def access_ports(source: RollupSource, period: Period) -> list[SwitchPorts]:
    """Per switch, the ports (not uplinks, virtual or WAN) never up during the period."""
    per_switch: dict[str, dict[str, bool]] = defaultdict(dict)
    for s in source.series("interface_1d", ("oper_status_min",), period.start_ns, period.end_ns):
        if s.tags.get("class") not in (None, "switch") or s.tags.get("role") in NOT_LINKS:
            continue
        name = s.tags.get("if_name") or s.tags.get("if_index", "")
        up = any(p.get("oper_status_min") == 1 for _, p in s.points)
        ports = per_switch[s.tags.get("device", "")]
        ports[name] = ports.get(name, False) or up
    return [
        SwitchPorts(
            device, len(ports), sum(ports.values()), sorted(n for n, u in ports.items() if not u)
        )
        for device, ports in sorted(per_switch.items())
    ]


# --- storage -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolumeForecast:
    """One volume or array: size, use, growth per day, and when it reaches 90 % and 100 %."""

    device: str
    volume: str
    kind: str  # storage or raid
    size_bytes: float
    used_bytes: float
    growth_bytes_per_day: float | None
    status: str  # growing, not growing, full, too little data
    date_90: str | None
    date_100: str | None
    fit: str
    fit_r2: float | None


def storage(
    source: RollupSource, period: Period, window_s: float, fit_kind: str = "linear"
) -> list[VolumeForecast]:
    """Growth and fill dates per volume (`storage_1d`) and array (`raid_1d`)."""
    start = max(period.start_ns, period.end_ns - int(window_s * NS))
    out: list[VolumeForecast] = []
    for measurement, kind, name_tag in (
        ("storage_1d", "storage", "volume"),
        ("raid_1d", "raid", "array"),
    ):
        for s in source.series(
            measurement, ("used_bytes_mean", "size_bytes_max"), start, period.end_ns
        ):
            out.append(_volume(s, kind, s.tags.get(name_tag, ""), fit_kind, period.calendar))
    return sorted(out, key=lambda r: (r.device, r.volume))


def _volume(s: Series, kind: str, name: str, fit_kind: str, calendar: Calendar) -> VolumeForecast:
    points = [
        (t / NS + MID_DAY_S, p["used_bytes_mean"]) for t, p in s.points if "used_bytes_mean" in p
    ]
    size = max((p.get("size_bytes_max", 0.0) for _, p in s.points), default=0.0)
    device = s.tags.get("device", "")
    used = points[-1][1] if points else 0.0
    if len(points) < 3 or not size:
        return VolumeForecast(
            device, name, kind, size, used, None, "too little data", None, None, fit_kind, None
        )
    try:
        model = fit(points, fit_kind)
    except FitError:
        return VolumeForecast(
            device, name, kind, size, used, None, "too little data", None, None, fit_kind, None
        )
    now_s = points[-1][0]
    growth = model.slope_per_day
    # Below 0.01 % of the size a day the volume would take 27 years to fill: not growing.
    min_growth = size * 1e-4

    def date(limit: float) -> str | None:
        left = time_left(model, now_s, used, limit, min_slope_per_day=min_growth)
        if left is None:
            return None
        return calendar.date_of(int((now_s + left) * NS))

    date_90, date_100 = date(0.9 * size), date(size)
    if used >= size:
        status = "full"
    elif growth <= min_growth:
        status, date_90, date_100 = "not growing", (date_90 if used >= 0.9 * size else None), None
    else:
        status = "growing"
    return VolumeForecast(
        device, name, kind, size, used, growth, status, date_90, date_100, fit_kind, model.r2
    )


# --- printers ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrinterMonths:
    """Pages one printer printed per calendar month (mono and colour where it says)."""

    device: str
    months: dict[str, int]
    mono: dict[str, int] = field(default_factory=dict)
    colour: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Pages in the whole period."""
        return sum(self.months.values())


@dataclass(frozen=True, slots=True)
class SupplyRate:
    """One toner: use per 1,000 pages since it was last replaced, and days until empty."""

    device: str
    supply: str
    level_pct: float
    pct_per_1000_pages: float | None
    days_left: float | None
    replaced: str | None  # local date of the last replacement seen


def printer_pages(source: RollupSource, period: Period) -> list[PrinterMonths]:
    """Pages per printer per calendar month, from the daily page totals."""
    fields = ("page_count_total", "page_count_mono_total", "page_count_color_total")
    per: dict[str, list[dict[str, int]]] = defaultdict(lambda: [{}, {}, {}])
    for s in source.series("printer_1d", fields, period.start_ns, period.end_ns):
        sums = per[s.tags.get("device", "")]
        for t, p in s.points:
            month = period.calendar.month_of(t)
            for i, name in enumerate(fields):
                if name in p:
                    sums[i][month] = sums[i].get(month, 0) + int(p[name])
    return [PrinterMonths(d, *sums) for d, sums in sorted(per.items())]


def supplies(source: RollupSource, period: Period) -> list[SupplyRate]:
    """Toner use per 1,000 pages and days until empty, since each toner's last replacement."""
    daily_pages: dict[str, dict[int, float]] = defaultdict(dict)
    for s in source.series("printer_1d", ("page_count_total",), period.start_ns, period.end_ns):
        for t, p in s.points:
            daily_pages[s.tags.get("device", "")][t] = p.get("page_count_total", 0.0)
    out: list[SupplyRate] = []
    for s in source.series(
        "printer_supply_1d", ("level_pct_mean",), period.start_ns, period.end_ns
    ):
        kind = s.tags.get("supply_type", "toner")
        if "toner" not in kind or "waste" in kind:
            continue
        out.append(_supply(s, daily_pages[s.tags.get("device", "")], period.calendar))
    return sorted(out, key=lambda r: (r.device, r.supply))


def _supply(s: Series, pages: Mapping[int, float], calendar: Calendar) -> SupplyRate:
    points = [(t, p["level_pct_mean"]) for t, p in s.points if "level_pct_mean" in p]
    replaced = None
    segment: list[tuple[int, float]] = []
    for t, level in points:
        if segment and level > segment[-1][1] + 20:  # a new cartridge
            replaced, segment = calendar.date_of(t), []
        segment.append((t, level))
    device = s.tags.get("device", "")
    name = s.tags.get("supply") or s.tags.get("color") or s.tags.get("supply_index", "")
    level = segment[-1][1] if segment else 0.0
    if len(segment) < 3:
        return SupplyRate(device, name, level, None, None, replaced)
    used_pct = segment[0][1] - level
    printed = sum(v for t, v in pages.items() if segment[0][0] < t <= segment[-1][0])
    per_1000 = 1000 * used_pct / printed if printed > 0 and used_pct > 0 else None
    model = fit([(t / NS + MID_DAY_S, v) for t, v in segment], "linear")
    left = time_left(model, segment[-1][0] / NS + MID_DAY_S, level, 0.0, rising=False)
    return SupplyRate(
        device, name, level, per_1000, left / DAY_S if left is not None else None, replaced
    )


# --- desktops ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesktopGroup:
    """CPU and memory 95th percentiles of a group of desktops, and the share above a level."""

    group: str
    hosts: int
    cpu_p95_pct: float
    mem_p95_pct: float
    cpu_above_pct: float  # share of hosts whose own CPU p95 is above the threshold
    mem_above_pct: float


def desktops(
    source: RollupSource, period: Period, groups: Mapping[str, str], threshold_pct: float
) -> list[DesktopGroup]:
    """Per group (inventory group, else the `group` tag): pooled p95s and share above."""
    pooled: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    host_p95: dict[str, list[tuple[float, float]]] = defaultdict(list)
    fields = ("cpu_pct_mean", "mem_used_pct_mean")
    for s in source.series("host_1h", fields, period.start_ns, period.end_ns):
        if s.tags.get("class") not in (None, "desktop"):
            continue
        device = s.tags.get("device", "")
        group = groups.get(device) or s.tags.get("group") or "(no group)"
        cpu = [p["cpu_pct_mean"] for _, p in s.points if "cpu_pct_mean" in p]
        mem = [p["mem_used_pct_mean"] for _, p in s.points if "mem_used_pct_mean" in p]
        pooled[group][0].extend(cpu)
        pooled[group][1].extend(mem)
        host_p95[group].append((p95(cpu) if cpu else 0.0, p95(mem) if mem else 0.0))
    out = []
    for group, (cpu, mem) in sorted(pooled.items()):
        hosts = host_p95[group]
        out.append(
            DesktopGroup(
                group,
                len(hosts),
                p95(cpu) if cpu else 0.0,
                p95(mem) if mem else 0.0,
                100.0 * sum(c > threshold_pct for c, _ in hosts) / len(hosts),
                100.0 * sum(m > threshold_pct for _, m in hosts) / len(hosts),
            )
        )
    return out


def busiest(printers: Iterable[PrinterMonths], n: int = 3) -> tuple[list[str], list[str]]:
    """The `n` busiest and `n` idlest printers of the period (consolidation candidates)."""
    ordered = sorted(printers, key=lambda p: (-p.total, p.device))
    names = [p.device for p in ordered]
    return names[:n], list(reversed(names[-n:])) if names else []
