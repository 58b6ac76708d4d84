"""A small estate's canonical samples over the last hours, for proving dashboard queries.

TODO(lead): once the daemon and the demo estate are on main, replace `estate_samples` in the
`influx_with_estate` fixture of tests/test_dashboards_queries.py by "run the daemon against the
demo estate (snmpsim) for a few polls writing to this InfluxDB", and keep the assertions.
Until then these samples stand in for the daemon's output; every one is checked against the
canonical schema (`lanpulse.core.schema.validate_sample`) so they cannot drift from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lanpulse.core.model import Sample
from lanpulse.core.schema import PRINTER_CONDITIONS, validate_sample

STEP_NS = 5 * 60 * 10**9  # one poll every 5 minutes
HOURS = 4
DAYS_OF_PAGE_COUNTS = 4
COLOURS = ("black", "cyan", "magenta", "yellow")


def _wave(i: int, base: float, amp: float, period: int = 24) -> float:
    return round(base + amp * math.sin(2 * math.pi * i / period), 3)


def _devices() -> list[dict[str, str]]:
    return [
        {"device": "sw-core-1", "class": "switch", "site": "hq", "vendor": "cisco"},
        {"device": "sw-branch-1", "class": "switch", "site": "branch", "vendor": "hpe"},
        {"device": "prn-hq-1", "class": "printer", "site": "hq", "vendor": "hp"},
        {"device": "prn-branch-1", "class": "printer", "site": "branch", "vendor": "brother"},
        {"device": "nas-hq-1", "class": "storage", "site": "hq", "vendor": "synology"},
        {"device": "pc-hq-1", "class": "desktop", "site": "hq"},
        {"device": "srv-branch-1", "class": "server", "site": "branch"},
    ]


def estate_samples(now_ns: int) -> Iterator[Sample]:
    """Every canonical measurement the dashboards read, for 7 devices over the last hours."""
    polls = HOURS * 3600 * 10**9 // STEP_NS
    start = now_ns - polls * STEP_NS
    for i in range(polls + 1):
        t = start + i * STEP_NS
        yield from _poll(i, t, last=(i == polls))
    # Page counts need days: one point an hour so pages-per-day has several buckets.
    for h in range(DAYS_OF_PAGE_COUNTS * 24):
        t = now_ns - (DAYS_OF_PAGE_COUNTS * 24 - h) * 3600 * 10**9
        for n, dev in enumerate(d for d in _devices() if d["class"] == "printer"):
            tags = {k: dev[k] for k in ("device", "class", "site")}
            yield Sample("printer", tags, {"page_count": 10_000 * (n + 1) + 37 * h}, t)
    yield from _alerts(start, now_ns)


def _poll(i: int, t: int, last: bool) -> Iterator[Sample]:
    for dev in _devices():
        tags = {k: dev[k] for k in ("device", "class", "site")}
        # The branch printer went down for the latest poll: "devices down" must show it.
        up = 0 if (last and dev["device"] == "prn-branch-1") else 1
        fields: dict[str, int | float] = {
            "up": up,
            "poll_seconds": _wave(i, 1.5, 1.0) + len(dev["device"]) / 10,
            "poll_errors": 1 - up,
        }
        if up:
            fields["uptime_seconds"] = 86_400 + i * 300
        yield Sample(
            "device", {**tags, **({"vendor": dev["vendor"]} if "vendor" in dev else {})}, fields, t
        )
        if not up:
            continue
        kind = dev["class"]
        if kind == "switch":
            yield from _switch(i, t, tags)
        elif kind == "printer":
            yield from _printer(i, t, tags)
        elif kind == "storage":
            yield from _storage(i, t, tags, volumes=("vol1", "vol2"), size=16 * 2**40)
            yield from _array(i, t, tags)
            yield Sample(
                "sensor",
                {**tags, "sensor": "chassis", "sensor_type": "temperature"},
                {"value": _wave(i, 38, 2), "health": 0, "state": 1},
                t,
            )
        else:
            yield Sample(
                "host",
                tags,
                {
                    "cpu_pct": _wave(i, 35, 30),
                    "mem_used_pct": _wave(i, 60, 10, 48),
                    "mem_total_bytes": 16 * 2**30,
                    "mem_used_bytes": int(16 * 2**30 * 0.6),
                    "cpu_count": 8,
                },
                t,
            )
            yield from _storage(
                i,
                t,
                tags,
                volumes=("C:",) if kind == "desktop" else ("/", "/var"),
                size=512 * 2**30,
            )


def _switch(i: int, t: int, tags: dict[str, str]) -> Iterator[Sample]:
    speed = 1_000_000_000
    for port in range(1, 5):
        in_bps = _wave(i + port, 200e6 * port, 150e6)
        out_bps = _wave(i + 2 * port, 100e6 * port, 80e6)
        fields: dict[str, int | float] = {
            "in_octets": int(i * 300 * in_bps / 8),
            "out_octets": int(i * 300 * out_bps / 8),
            "speed_bps": speed,
            "oper_status": 2 if port == 4 else 1,
            "admin_status": 1,
            "in_errors": i * port,
            "out_errors": 0,
            "in_discards": i,
            "out_discards": 0,
        }
        if i > 0:  # rates exist from the second poll on
            fields.update(
                in_bps=in_bps,
                out_bps=out_bps,
                in_util_pct=round(100 * in_bps / speed, 3),
                out_util_pct=round(100 * out_bps / speed, 3),
                in_errors_ps=round(port / 300, 4),
                out_errors_ps=0.0,
                in_discards_ps=round(1 / 300, 4),
                out_discards_ps=0.0,
            )
        if_tags = {**tags, "if_index": str(port), "if_name": f"Gi1/0/{port}"}
        if port == 1:
            if_tags["if_alias"] = "uplink"
        yield Sample("interface", if_tags, fields, t)
    yield Sample(
        "sensor",
        {**tags, "sensor": "psu1", "sensor_type": "power_supply"},
        {"health": 0, "state": 1},
        t,
    )
    yield Sample("host", tags, {"cpu_pct": _wave(i, 12, 5)}, t)


def _printer(i: int, t: int, tags: dict[str, str]) -> Iterator[Sample]:
    low = tags["device"] == "prn-hq-1"
    conditions = {c: 0 for c in PRINTER_CONDITIONS}
    conditions["low_toner"] = 1 if low else 0
    yield Sample(
        "printer",
        tags,
        {
            "status": 3,
            "device_status": 3 if low else 2,
            **conditions,
            "alerts_critical": 0,
            "alerts_warning": int(low),
        },
        t,
    )
    for n, colour in enumerate(COLOURS, start=1):
        level = max(0.0, (8.0 if (low and colour == "cyan") else 20.0 * n) - i * 0.05)
        yield Sample(
            "printer_supply",
            {
                **tags,
                "supply": f"{colour.title()} Toner",
                "supply_index": str(n),
                "supply_type": "toner",
                "color": colour,
            },
            {"level": int(level * 100), "max_capacity": 10_000, "level_pct": round(level, 2)},
            t,
        )
    for n, tray in enumerate(("Tray 1", "Tray 2"), start=1):
        yield Sample(
            "printer_tray",
            {**tags, "tray": tray, "tray_index": str(n)},
            {"level": 100 * n, "max_capacity": 500, "level_pct": 20.0 * n},
            t,
        )


def _storage(
    i: int, t: int, tags: dict[str, str], volumes: tuple[str, ...], size: int
) -> Iterator[Sample]:
    for n, vol in enumerate(volumes, start=1):
        used = int(size * (0.5 + 0.2 * n) + i * 2**20)  # grows a MiB a poll
        used = min(used, size)
        yield Sample(
            "storage",
            {**tags, "volume": vol, "storage_type": "fixed_disk"},
            {
                "size_bytes": size,
                "used_bytes": used,
                "free_bytes": size - used,
                "used_pct": round(100 * used / size, 3),
            },
            t,
        )


def _array(i: int, t: int, tags: dict[str, str]) -> Iterator[Sample]:
    for d in range(1, 5):
        health = 1 if d == 4 else 0
        yield Sample(
            "disk",
            {**tags, "disk": f"disk{d}"},
            {"health": health, "state": 1, "temperature_c": _wave(i + d, 36, 3)},
            t,
        )
    yield Sample(
        "raid",
        {**tags, "array": "pool1", "raid_level": "raid5"},
        {"health": 1, "state": 2, "size_bytes": 48 * 2**40, "used_bytes": 20 * 2**40 + i * 2**20},
        t,
    )


def _alerts(start: int, now_ns: int) -> Iterator[Sample]:
    hour = 3600 * 10**9
    yield Sample(
        "alert",
        {
            "rule": "device_down",
            "severity": "critical",
            "device": "prn-branch-1",
            "class": "printer",
            "site": "branch",
        },
        {"state": 1, "value": 0.0},
        now_ns - 9 * 60 * 10**9,
    )
    yield Sample(
        "alert",
        {
            "rule": "device_down",
            "severity": "critical",
            "device": "prn-branch-1",
            "class": "printer",
            "site": "branch",
        },
        {"state": 2, "value": 0.0},
        now_ns - 4 * 60 * 10**9,
    )
    yield Sample(
        "alert",
        {
            "rule": "supply_low",
            "severity": "warning",
            "device": "prn-hq-1",
            "class": "printer",
            "site": "hq",
        },
        {"state": 2, "value": 8.0},
        start + hour,
    )
    yield Sample(
        "alert",
        {
            "rule": "link_util_high",
            "severity": "warning",
            "device": "sw-core-1",
            "class": "switch",
            "site": "hq",
        },
        {"state": 2, "value": 91.0},
        start + 2 * hour,
    )
    yield Sample(
        "alert",
        {
            "rule": "link_util_high",
            "severity": "warning",
            "device": "sw-core-1",
            "class": "switch",
            "site": "hq",
        },
        {"state": 0, "value": 40.0},
        start + 3 * hour,
    )


def self_samples(now_ns: int) -> Iterator[Sample]:
    """The daemon's own `lanpulse` measurement, one point a minute."""
    for i in range(HOURS * 60):
        t = now_ns - (HOURS * 60 - i) * 60 * 10**9
        yield Sample(
            "lanpulse",
            {"instance": "lp-1"},
            {
                "polls": 7,
                "polls_failed": 0,
                "polls_skipped": int(i % 30 == 0),
                "poll_errors": int(i % 45 == 0),
                "queue_depth": i % 5,
                "spool_bytes": 4096 * (i % 3),
                "spool_age_seconds": float(i % 3),
                "write_latency_seconds": _wave(i, 0.05, 0.03),
                "points_written": 120,
                "points_dropped": 0,
                "devices": 7,
            },
            t,
        )


def line(sample: Sample) -> str:
    """Line protocol for one sample (integers get the `i` suffix, as the writers send them)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace(" ", "\\ ").replace(",", "\\,").replace("=", "\\=")

    tags = "".join(f",{esc(k)}={esc(v)}" for k, v in sorted(sample.tags.items()))
    fields = ",".join(
        f"{esc(k)}={v}i" if isinstance(v, int) else f"{esc(k)}={float(v)!r}"
        for k, v in sample.fields.items()
    )
    return f"{esc(sample.measurement)}{tags} {fields} {sample.time_ns}"


def estate_lines(now_ns: int) -> list[str]:
    """Line protocol of the whole estate, after checking every sample against the schema."""
    out: list[str] = []
    for sample in [*estate_samples(now_ns), *self_samples(now_ns)]:
        problems = validate_sample(sample)
        if problems:
            raise AssertionError(f"fixture sample is not canonical: {problems}")
        out.append(line(sample))
    return out


def test_estate_fixture_is_canonical_and_covers_every_measurement_read() -> None:
    """The stand-in for the daemon's output uses only canonical names, and all of them."""
    lines = estate_lines(1_700_000_000 * 10**9)
    measurements = {ln.split(",", 1)[0] for ln in lines}
    assert {
        "device",
        "interface",
        "printer",
        "printer_supply",
        "printer_tray",
        "storage",
        "disk",
        "raid",
        "host",
        "sensor",
        "alert",
        "lanpulse",
    } <= measurements
