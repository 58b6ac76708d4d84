"""Every dashboard query on a real InfluxDB 1.6 holding a generated estate; time per panel.

    PYTHONPATH=. .venv/bin/python benchmarks/dashboard_queries.py \
        [--switches 500] [--ports 48] [--hours 24] [--step 300] [--range 6h] [--runs 3]

Starts Debian's influxd on 127.0.0.1 (a temp directory), writes `--switches` switches x
`--ports` ports for `--hours` hours, one point per series every `--step` seconds (300 s: the
series cardinality of the real estate, 24,000 interface series, with fewer points per
series than a 60 s poll gives; the panels aggregate per series, so their cost follows the
series count and the points in the range), plus 10 % as many printers (4 supplies, one
state-only) and storage boxes (3 volumes), and `device` samples for all. Then every InfluxQL
query of every dashboard runs as Grafana sends it for the default view (dashboard range
`--range`, All where a variable offers All, the first device where a choice is required),
`--runs` times; the best time is reported per panel. Exit 1 when a default view's panel
takes 1 s or more.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from lanpulse.dashboards.catalog import render_all
from lanpulse.dashboards.query import MacroValues, expand_macros, queries_of
from lanpulse.sim.servers import InfluxDB16

DB = "lanpulse"
BATCH = 50_000
SITES = 10


def _post(url: str, lines: list[str]) -> None:
    body = "\n".join(lines).encode()
    req = urllib.request.Request(f"{url}/write?db={DB}&precision=s", data=body)
    with urllib.request.urlopen(req, timeout=300) as resp:
        assert resp.status == 204


def generate(url: str, switches: int, ports: int, start: int, end: int, step: int) -> int:
    """Write the estate from `start` to `end` (Unix seconds); the number of points."""
    rnd = random.Random(17)
    times = range(start, end, step)
    lines: list[str] = []
    count = 0

    def emit(line: str) -> None:
        nonlocal count
        lines.append(line)
        count += 1
        if len(lines) >= BATCH:
            _post(url, lines)
            lines.clear()

    others = max(1, switches // 10)
    for i in range(switches):
        dev = f"sw{i:04d}"
        site = f"site{i % SITES}"
        base = f"device={dev},class=switch,site={site}"
        load = [rnd.random() for _ in range(ports)]
        flaps = {rnd.randrange(ports) for _ in range(2)}
        for t in times:
            emit(f"device,{base} up=1i,poll_seconds={0.2 + rnd.random():.3f} {t}")
            for p in range(ports):
                role = "uplink" if p >= ports - 2 else "access"
                bps = load[p] * 1e8 * (0.5 + rnd.random())
                oper = 2 if p in flaps and t > end - 3600 else 1
                octets = int(bps * (t - start) / 8) + 1
                errs = 0.01 * rnd.random() if p % 7 == 0 else 0
                emit(
                    f"interface,{base},if_index={p + 1},if_name=Gi1/0/{p + 1},"
                    f"if_alias=port\\ {p + 1},role={role} "
                    f"in_octets={octets}i,in_bps={bps:.0f},out_bps={bps / 2:.0f},"
                    f"in_util_pct={bps / 1e7:.2f},"
                    f"out_util_pct={bps / 2e7:.2f},speed_bps=1000000000i,oper_status={oper}i,"
                    f"admin_status=1i,in_errors_ps={errs},out_errors_ps=0,"
                    f"in_discards_ps={errs / 2},out_discards_ps=0 {t}"
                )
    for i in range(others):
        prn, nas = f"prn{i:04d}", f"nas{i:04d}"
        site = f"site{i % SITES}"
        for t in times[::4]:
            emit(f"device,device={prn},class=printer,site={site} up=1i,poll_seconds=0.5 {t}")
            emit(f"device,device={nas},class=storage,site={site} up=1i,poll_seconds=0.5 {t}")
            for s, color in enumerate(("black", "cyan", "magenta")):
                emit(
                    f"printer_supply,device={prn},class=printer,site={site},supply={color},"
                    f"supply_index={s + 1},supply_type=toner,color={color} "
                    f"level_pct={rnd.randrange(1, 100)} {t}"
                )
            emit(
                f"printer_supply,device={prn},class=printer,site={site},supply=waste,"
                f"supply_index=4,supply_type=wasteToner some_remaining={i % 2}i {t}"
            )
            for v in range(3):
                emit(
                    f"storage,device={nas},class=storage,site={site},volume=vol{v},"
                    f"storage_type=fixedDisk used_pct={rnd.uniform(10, 99):.1f} {t}"
                )
    if lines:
        _post(url, lines)
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--switches", type=int, default=500)
    ap.add_argument("--ports", type=int, default=48)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--step", type=int, default=300, help="seconds between points")
    ap.add_argument("--range", default="6h", help="dashboard time range (default view: 6h)")
    ap.add_argument("--interval", default="20s", help="$__interval Grafana sends for it")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", help="only this dashboard uid (e.g. lanpulse-overview)")
    ap.add_argument(
        "--hold", type=float, default=0, help="keep influxd up this many seconds afterwards"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanpulse-dashbench-") as tmp:
        server = InfluxDB16(workdir=Path(tmp))
        server.start()
        try:
            server.query(f"CREATE DATABASE {DB}")
            t0 = time.monotonic()
            end = int(time.time())
            start = end - int(args.hours * 3600)
            points = generate(server.url, args.switches, args.ports, start, end, args.step)
            # the write took minutes: fill up to now, so "the last 10 minutes" has data
            points += generate(server.url, args.switches, args.ports, end, int(time.time()), 60)
            took = time.monotonic() - t0
            print(f"wrote {points:,} points in {took:.0f} s ({points / took:,.0f}/s)")
            code = run_queries(server, args)
            if args.hold:
                print(f"influxd stays at {server.url} (db {DB}) for {args.hold:g} s", flush=True)
                time.sleep(args.hold)
            return code
        finally:
            server.cleanup()


def _influxd_cpu_s(server: InfluxDB16) -> float:
    """influxd's CPU seconds so far (user + system), from /proc."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_device(server: InfluxDB16, model: dict[str, Any], values: MacroValues) -> str | None:
    """What Grafana opens a dashboard on when its device is a choice: the first value."""
    for var in (model.get("templating") or {}).get("list") or []:
        if var.get("name") == "device" and not var.get("includeAll"):
            result: Any = server.query(expand_macros(str(var["query"]), values), DB)
            series = result["results"][0].get("series") or []
            return str(series[0]["values"][0][1]) if series else None
    return None


def run_queries(server: InfluxDB16, args: argparse.Namespace) -> int:
    """Every dashboard query of the default view; a table of best wall and CPU times."""
    slow = 0
    print(f"{'dashboard':<10} {'panel / variable':<40} {'wall ms':>8} {'cpu ms':>7} {'rows':>6}")
    for dashboard in render_all():
        if args.only and dashboard.uid != args.only:
            continue
        values = MacroValues(args.range, args.interval)
        device = _first_device(server, dashboard.model, values)
        if device is not None:
            values = MacroValues(args.range, args.interval, {"device": device})
        for q in queries_of(dashboard.model):
            sql = expand_macros(q.query, values, q.time_from)
            best, cpu = float("inf"), float("inf")
            result: Any = None
            for _ in range(args.runs):
                c0, t0 = _influxd_cpu_s(server), time.perf_counter()
                result = server.query(sql, DB)
                best = min(best, time.perf_counter() - t0)
                cpu = min(cpu, _influxd_cpu_s(server) - c0)
            first = result["results"][0]
            if "error" in first:
                print(f"ERROR {q.dashboard_uid} {q.where}: {first['error']}", file=sys.stderr)
                slow += 1
                continue
            rows = sum(len(s.get("values") or []) for s in first.get("series") or [])
            mark = "  <-- 1 s or more" if best >= 1.0 else ""
            slow += best >= 1.0
            uid = q.dashboard_uid.removeprefix("lanpulse-")
            print(
                f"{uid:<10} {q.where[:40]:<40} {best * 1000:8.0f} {cpu * 1000:7.0f} {rows:6d}{mark}"
            )
    print(f"{slow} panel(s) at 1 s or more (wall)")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
