"""Every InfluxQL query of every panel and template variable, with Grafana's macros filled
in, runs on a REAL InfluxDB 1.6 (influxd on 127.0.0.1) holding data written by the REAL
daemon polling the demo estate (snmpsim serving real device recordings), see
`tests/test_dashboards_estate.py` for what the run adds to the demo and why.

Grafana itself cannot run here, so this stands in for "open every dashboard": the macro
expansion is Grafana's ($timeFilter, $__interval, a panel's relative time, variables as
regexes), the queries, the data and the database are real.
"""

from __future__ import annotations

import itertools
import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from lanpulse.core.model import Sample
from lanpulse.dashboards.catalog import render_all
from lanpulse.dashboards.query import MacroValues, QueryRef, expand_macros, queries_of
from lanpulse.demo.estate import ESTATE, SWITCH_FEATURES
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol import encode_sample
from tests.test_dashboards_estate import (
    BUSY_DEVICE,
    BUSY_LINK,
    DOWN_DEVICE,
    PAGE_DAYS,
    PAGES_PER_HOUR,
    PENDING_DEVICE,
    POLLS,
    DaemonRun,
    page_history_lines,
    run_daemon_on_demo_estate,
)

DB = "lanpulse"
HISTORY_DB = "lanpulse_history"  # hand-made page counts over days only
QUERIES: list[QueryRef] = [q for d in render_all() for q in queries_of(d.model)]
# Concrete choices a person would make in the variable drop-downs, regex-escaped as Grafana
# does for InfluxQL (`/` and `.` escaped).
CONCRETE = {
    "site": "hq",
    "class": "switch",
    "device": BUSY_DEVICE,
    "interface": re.escape(BUSY_LINK).replace("/", "\\/"),
    "severity": "warning",
    "rule": "demo_link_busy",
    "instance": re.escape(socket.gethostname()),
}
# Panels allowed to be empty on daemon data: page counters differ between days only, and
# a run lasts seconds (proven on the hand-made history instead, see below).
MAY_BE_EMPTY = {
    ("lanpulse-printers", "Pages per day"),
    ("lanpulse-alerts", "Muted or acknowledged"),  # nobody silences the demo estate
    # The demo estate has no endpoint table, so no `device_port`: the query is proven on the
    # daemon's own data in test_desktop_attachment.py (a desktop attached to sw1 Gi0/2).
    ("lanpulse-switches", "Desktops by switch port"),
    # No demo port goes down during a run: proven on hand-made port history below.
    ("lanpulse-overview", "Ports down that were up"),
    # Interface roles are a tag the capacity work adds; until then no interface has one.
    *(
        (uid, "variable role")
        for uid in ("lanpulse-overview", "lanpulse-switches", "lanpulse-device")
    ),
}
# What Grafana sends for a short range ("last 15 minutes"): the daemon ran for seconds.
VALUES = MacroValues(time_range="15m", interval="1s")


def _id(q: QueryRef) -> str:
    return f"{q.dashboard_uid}/{q.where}/{q.ref_id}"


@pytest.fixture(scope="module")
def daemon_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InfluxDB16, DaemonRun]]:
    """Real InfluxDB 1.6 filled by the real daemon from the demo estate (plus page history)."""
    server = InfluxDB16(workdir=tmp_path_factory.mktemp("influxd"))
    server.start()
    try:
        run = run_daemon_on_demo_estate(tmp_path_factory.mktemp("demo"), server, DB)
        server.query(f"CREATE DATABASE {HISTORY_DB}")
        body = "\n".join(page_history_lines(time.time_ns())).encode()
        request = urllib.request.Request(f"{server.url}/write?db={HISTORY_DB}", data=body)
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 204
        yield server, run
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def influx(daemon_run: tuple[InfluxDB16, DaemonRun]) -> InfluxDB16:
    """The InfluxDB the daemon wrote to."""
    return daemon_run[0]


def _run(influx: InfluxDB16, q: QueryRef, values: MacroValues, db: str = DB) -> dict[str, Any]:
    sql = expand_macros(q.query, values, q.time_from)
    assert not re.search(r"\$\{?\w", sql), f"unexpanded macro in {sql}"
    result = influx.query(sql, db)["results"]
    assert isinstance(result, list)
    first: dict[str, Any] = result[0]
    assert "error" not in first, f"{_id(q)}: {first['error']}\n{sql}"
    return first


def _rows(result: dict[str, Any]) -> int:
    return sum(len(s.get("values") or []) for s in result.get("series") or [])


def test_there_are_queries_for_every_dashboard() -> None:
    assert {q.dashboard_uid for q in QUERIES} == {d.uid for d in render_all()}
    assert len(QUERIES) >= 80


@pytest.mark.parametrize("q", QUERIES, ids=_id)
def test_query_runs_with_all_selected_and_returns_data(influx: InfluxDB16, q: QueryRef) -> None:
    result = _run(influx, q, VALUES)
    if (q.dashboard_uid, q.where) not in MAY_BE_EMPTY:
        assert _rows(result) > 0, f"{_id(q)} returned no data"


@pytest.mark.parametrize("q", QUERIES, ids=_id)
def test_query_runs_with_concrete_variable_values(influx: InfluxDB16, q: QueryRef) -> None:
    _run(influx, q, MacroValues(VALUES.time_range, VALUES.interval, CONCRETE))


def _query(uid: str, where: str, fmt: str | None = None) -> QueryRef:
    return next(
        q
        for q in QUERIES
        if q.dashboard_uid == uid and q.where == where and fmt in (None, q.result_format)
    )


def _series(influx: InfluxDB16, uid: str, where: str, fmt: str | None = None) -> list[Any]:
    series: list[Any] = _run(influx, _query(uid, where, fmt), VALUES).get("series") or []
    return series


def _value(influx: InfluxDB16, uid: str, where: str) -> Any:
    return _series(influx, uid, where, "time_series")[0]["values"][0][1]


def _raw(influx: InfluxDB16, sql: str) -> list[Any]:
    series: list[Any] = influx.query(sql, DB)["results"][0].get("series") or []
    return series


def test_key_panels_show_the_daemon_data(influx: InfluxDB16) -> None:
    assert _value(influx, "lanpulse-overview", "Devices up") == len(ESTATE + SWITCH_FEATURES)
    assert _value(influx, "lanpulse-overview", "Devices down") == 1
    firing = {
        (s["tags"]["rule"], s["tags"]["device"], s["tags"]["alert_id"])
        for s in _series(influx, "lanpulse-overview", "Active alerts")
    }
    assert {("device_down", DOWN_DEVICE), ("demo_link_busy", BUSY_DEVICE)} <= {
        f[:2] for f in firing
    }
    assert _value(influx, "lanpulse-overview", "Alerts firing") == len(firing)
    # One row per alert (issue 16): two supplies of one printer pending are two rows, and
    # the count agrees with the rows.
    current = {
        (s["tags"]["rule"], s["tags"]["device"], s["tags"]["alert_id"], s["values"][0][1])
        for s in _series(influx, "lanpulse-alerts", "Current state")
    }
    assert ("demo_supply_watch", PENDING_DEVICE, 1) in {(c[0], c[1], c[3]) for c in current}
    pending = [c for c in current if c[3] == 1]
    assert len({c[1] for c in pending}) < len(pending)  # one device, several series
    assert _value(influx, "lanpulse-alerts", "Pending") == len(pending)


def test_pages_per_day_on_the_page_history(influx: InfluxDB16) -> None:
    """Hand-made: a run of seconds has no day-to-day page counter difference."""
    q = _query("lanpulse-printers", "Pages per day")
    series = _run(influx, q, VALUES, db=HISTORY_DB)["series"]
    assert {s["tags"]["device"] for s in series} == {"floor2-printer", "reception-printer"}
    # Hourly points: the last ones of consecutive days are 24 hours apart (today's is partial).
    for s in series:
        assert len(s["values"]) >= PAGE_DAYS - 1
        assert {row[1] for row in s["values"][:-1]} == {24 * PAGES_PER_HOUR}


def test_down_device_listed_and_top_lists_carry_their_tags(influx: InfluxDB16) -> None:
    series = _series(influx, "lanpulse-overview", "Devices down", "table")
    assert [s["tags"]["device"] for s in series] == [DOWN_DEVICE]

    lowest = _series(influx, "lanpulse-overview", "Lowest supplies")[0]
    assert lowest["columns"] == ["time", "level_pct", "device", "supply", "color"]
    every = _raw(
        influx, 'SELECT last("level_pct") FROM "printer_supply" GROUP BY "device", "supply"'
    )
    assert min(row[1] for row in lowest["values"]) == min(s["values"][0][1] for s in every)

    talkers = _series(influx, "lanpulse-overview", "Top talkers in")[0]
    assert talkers["columns"] == ["time", "in_bps", "device", "if_name", "if_alias"]
    # ranked by bps with loopbacks and virtual interfaces (Vl1, lo) left out
    assert not any(re.match(r"(Vl|lo|Loopback)", row[3]) for row in talkers["values"])
    peak = _raw(
        influx,
        'SELECT max("in_bps") FROM "interface" WHERE time > now() - 10m AND "if_name" !~ '
        "/^(lo|Lo|Loopback|Null|Vl|Vlan|vlan|veth|docker|br-|virbr|tun|tap|Tunnel)/",
    )[0]["values"][0][1]
    assert max(row[1] for row in talkers["values"]) == peak


def test_variables_list_the_estate(influx: InfluxDB16) -> None:
    def values(uid: str, name: str, chosen: dict[str, str] | None = None) -> list[str]:
        q = _query(uid, f"variable {name}")
        series = _run(influx, q, MacroValues(variables=chosen))["series"]
        return [row[1] for row in series[0]["values"]]

    assert values("lanpulse-device", "site") == ["hq", "north"]
    assert values("lanpulse-switches", "device") == [
        "access-poe1",
        "core-sw1",
        "dist-sw1",
        "floor2-sw1",
        "stack-sw1",
    ]
    assert values("lanpulse-device", "device", {"site": "hq", "class": "printer"}) == [
        "floor2-printer",
        "reception-printer",
    ]
    assert BUSY_LINK in values("lanpulse-device", "interface", {"device": BUSY_DEVICE})
    assert values("lanpulse-self", "instance") == [socket.gethostname()]


def test_concrete_choices_show_that_device_and_link(influx: InfluxDB16) -> None:
    """What a person sees after picking hq / switch / core-sw1 / Fa0/1 in the drop-downs."""
    chosen = MacroValues(VALUES.time_range, VALUES.interval, CONCRETE)
    for uid, where in [
        ("lanpulse-device", "Reachable"),
        ("lanpulse-device", "Uptime"),
        ("lanpulse-device", "Traffic (out below the axis)"),
        ("lanpulse-device", "Interface errors and discards per second"),
        ("lanpulse-switches", "Traffic (out below the axis)"),
        ("lanpulse-switches", "Ports"),
        ("lanpulse-alerts", "History"),
    ]:
        result = _run(influx, _query(uid, where), chosen)
        assert _rows(result) > 0, f"{uid}/{where} is empty for {CONCRETE}"
        for s in result["series"]:
            assert s.get("tags", {}).get("device", BUSY_DEVICE) == BUSY_DEVICE
    reachable = _run(influx, _query("lanpulse-device", "Reachable"), chosen)["series"]
    assert reachable[0]["values"][0][1] == 1


def test_self_monitoring_panels_are_rates_of_the_running_totals(
    daemon_run: tuple[InfluxDB16, DaemonRun],
) -> None:
    influx, run = daemon_run
    raw = _raw(influx, 'SELECT "polls", "points_dropped" FROM "lanpulse"')[0]["values"]
    polls = [(t, v) for t, v, _ in raw]
    assert len(polls) >= 3
    # The daemon writes running totals: never decreasing within one run, ending at its count.
    assert [v for _, v in polls] == sorted(v for _, v in polls)
    assert polls[-1][1] == run.stats["polls"]

    # Expected: the per-minute derivative of the last value in each $__interval bucket.
    step = 10**9  # VALUES.interval
    buckets: dict[int, int] = {}
    for t, v in polls:
        buckets[t - t % step] = v
    times = sorted(buckets)
    expected = [
        (b, (buckets[b] - buckets[a]) * 60 * 10**9 / (b - a)) for a, b in itertools.pairwise(times)
    ]
    series = _series(influx, "lanpulse-self", "Polls, skips and errors per minute")
    assert len(series) == 1 and series[0]["columns"][:2] == ["time", "polls"]
    got = [(t, rate) for t, rate, *_ in series[0]["values"]]
    assert len(got) == len(expected)
    for (t, rate), (t_exp, rate_exp) in zip(got, expected, strict=True):
        assert t == t_exp and rate == pytest.approx(rate_exp)
    assert _value(influx, "lanpulse-self", "Points dropped") == run.stats["points_dropped"]


def test_the_daemon_run_is_what_the_proof_claims(
    daemon_run: tuple[InfluxDB16, DaemonRun],
) -> None:
    """About four polls per device (three at least), the dead one failing, spool drained."""
    influx, run = daemon_run
    devices = len(ESTATE + SWITCH_FEATURES) + 1
    assert run.stats["devices"] == devices
    assert run.stats["polls"] >= POLLS * devices
    assert run.stats["polls_failed"] >= POLLS  # the dead printer, every time
    assert run.stats["spool_points"] == 0  # written (or quarantined), not waiting
    counts = _raw(influx, 'SELECT count("up") FROM "device" GROUP BY "device"')
    assert len(counts) == devices
    assert all(s["values"][0][1] >= POLLS - 1 for s in counts), counts


def test_daemon_wrote_every_point(daemon_run: tuple[InfluxDB16, DaemonRun]) -> None:
    """Nothing refused by InfluxDB.

    The first runs of this proof found the sensor `value` written as an integer for one
    device (nas1: `34i`) and a float for another (floor2-sw1: `47.0`): InfluxDB refused the
    whole first batch (every device's first poll and the first alerts) and dropped points
    from later ones. Fields the schema declares "number" are now always floats.
    """
    _, run = daemon_run
    assert run.stats["points_rejected"] == 0
    assert run.stats["points_written"] == run.stats["points_submitted"]


def test_number_fields_are_written_as_floats_whatever_the_device_reports() -> None:
    t = 1_700_000_000 * 10**9
    tags = {"device": "nas1", "class": "storage", "sensor": "System"}
    int_reading = encode_sample(Sample("sensor", tags, {"value": 34, "health": 0}, t))
    assert int_reading == (
        f"sensor,class=storage,device=nas1,sensor=System value=34.0,health=0i {t}"
    )
    alert = encode_sample(Sample("alert", {"rule": "r"}, {"state": 2, "value": 0}, t))
    assert alert == f"alert,rule=r state=2i,value=0.0 {t}"


def test_inventory_and_ups_reach_influxdb(daemon_run: tuple[InfluxDB16, DaemonRun]) -> None:
    """Issue 22 measurements through the real daemon into InfluxDB 1.6: a device_info
    record per device answering sysLocation (the on-call page's location), and the UPS."""
    influx, _ = daemon_run
    info = _raw(influx, 'SELECT last("info") FROM "device_info" GROUP BY "device", "location"')
    located = {s["tags"]["device"] for s in info if s["tags"].get("location")}
    assert {"core-sw1", "comms-ups", "custody-mfp"} <= located
    (ups,) = _raw(influx, 'SELECT last("on_battery"), last("runtime_seconds") FROM "ups"')
    assert ups["values"][0][1:] == [0, 109762.0]


def test_ports_down_that_were_up_on_hand_made_history(influx: InfluxDB16) -> None:
    """Down and used since the switch started comes first, down and never used last; shut by
    an administrator is not listed."""
    now = time.time_ns()
    lines = []
    for port, octets, admin in (("Gi0/1", 5000, 1), ("Gi0/2", 0, 1), ("Gi0/3", 7000, 2)):
        lines.append(
            f"interface,device=flappy,class=switch,site=hq,if_index={port[-1]},"
            f"if_name={port},if_alias=desk oper_status=2i,admin_status={admin}i,"
            f"in_octets={octets}i {now - 60 * 10**9}"
        )
    db = "lanpulse_ports"
    influx.query(f"CREATE DATABASE {db}")
    request = urllib.request.Request(f"{influx.url}/write?db={db}", data="\n".join(lines).encode())
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 204
    q = _query("lanpulse-overview", "Ports down that were up")
    series = _run(influx, q, VALUES, db).get("series") or []
    rows = sorted(series[0]["values"], key=lambda row: -row[1])
    assert [(row[3], row[1]) for row in rows] == [("Gi0/1", 5000), ("Gi0/2", 0)]


def _table(influx: InfluxDB16, where: str) -> list[dict[str, Any]]:
    """A table panel of the switches dashboard as rows of {column: value} (tags included)."""
    rows = []
    for series in _series(influx, "lanpulse-switches", where):
        for values in series["values"]:
            columns = dict(zip(series["columns"], values, strict=True))
            rows.append({**series.get("tags", {}), **columns})
    return rows


def test_switch_neighbours_stacks_and_poe_panels(influx: InfluxDB16) -> None:
    """Issue 22's switch rows on the daemon's data from real recordings: dist-sw1 (D-Link
    DGS-1510, LLDP), stack-sw1 (Aruba 6300M, VSF conductor), access-poe1 (Juniper EX3400,
    two PoE power sources). Values are the recordings' own, as the goldens have them."""
    neighbours = {
        (r["device"], r["local_port"]): r for r in _table(influx, "Neighbours (LLDP/CDP)")
    }
    kos = neighbours[("dist-sw1", "eth1/0/24")]
    assert (kos["protocol"], kos["remote_name"], kos["remote_port"]) == (
        "lldp",
        "Kos16c",
        "eth1/0/24",
    )
    assert kos["remote_chassis"] == "10:be:f5:ac:87:a0"
    # "last seen" is the time of the inventory poll that wrote the row: within the run.
    assert time.time() - kos["time"] / 1e9 < 600
    assert {d for d, _ in neighbours} == {"dist-sw1"}

    (member,) = _table(influx, "Stack members")
    assert (member["device"], member["member"], member["role"], member["model"]) == (
        "stack-sw1",
        "1",
        "master",
        "JL658A",
    )
    assert member["health"] == 0
    health = _series(influx, "lanpulse-switches", "Stack member health")
    assert [s["tags"] for s in health] == [{"device": "stack-sw1", "member": "1"}]

    poe = {r["module"]: r for r in _table(influx, "PoE budget") if r["device"] == "access-poe1"}
    assert {m: (r["budget"], r["drawn"], r["remaining"], r["status"]) for m, r in poe.items()} == {
        "1": (1764, 248, 1516, 1),
        "2": (767, 137, 630, 1),
    }
    assert poe["1"]["used %"] == pytest.approx(248 / 1764 * 100)
