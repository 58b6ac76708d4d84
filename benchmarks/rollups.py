"""Memory and CPU of the rollup stage for the estate (issue 18: must fit under 1 GiB with the rest).

    PYTHONPATH=. python benchmarks/rollups.py [--switches 500] [--printers 5000] [--desktops 20000]

The estate of benchmarks/estate.py: 48-port switches (52 interfaces) polled every 60 s,
printers (1 interface, 4 supplies) and desktops (1 adapter, 2 volumes, host) every 300 s,
with the default rolled-up fields. Two polls per device set each series' interval; then every
open hourly and daily aggregate is filled to its cap, the most a day can hold (the p95 keeps
5 % of the polls a period holds + 2), which is the worst case of a day in memory.
Reports the RSS growth, the bytes per series, and the CPU per sample of `observe`.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

from lanpulse.config.capacity import RollupSettings
from lanpulse.core.model import Sample
from lanpulse.parsers.rollups import NS, RollupAggregator, field_plans, push_top


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def poll(kind: str, n: int, t: int, i: int) -> list[Sample]:
    """One poll of device n of a class, the rolled-up fields only."""
    device = {"device": f"{kind}{n}", "class": kind}
    out = []
    ports = 52 if kind == "switch" else 1
    for p in range(ports):
        tags = {**device, "if_index": str(p), "if_name": f"ge{p}", "role": "access"}
        fields = {
            "in_bps": 1e6 * (p + i),
            "out_bps": 2e6,
            "in_util_pct": 1.5,
            "out_util_pct": 2.5,
            "oper_status": 1,
            "speed_bps": 10**9,
            "in_octets": i * 10**6,
            "out_octets": i * 10**6,
        }
        out.append(Sample("interface", tags, fields, t))
    if kind == "printer":
        out.append(Sample("printer", device, {"page_count": 1000 + i}, t))
        for s in ("black", "cyan", "magenta", "yellow"):
            out.append(Sample("printer_supply", {**device, "supply": s}, {"level_pct": 50.0}, t))
    if kind == "desktop":
        out.append(Sample("host", device, {"cpu_pct": 5.0 + i, "mem_used_pct": 40.0}, t))
        for v in ("C:\\", "D:\\"):
            fields = {"used_bytes": 10**10 + i, "size_bytes": 10**11, "used_pct": 10.0}
            out.append(Sample("storage", {**device, "volume": v}, fields, t))
    return out


def main() -> None:
    """Fill the aggregator for the estate; print memory and CPU figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--switches", type=int, default=500)
    ap.add_argument("--printers", type=int, default=5000)
    ap.add_argument("--desktops", type=int, default=20000)
    args = ap.parse_args()
    plans = field_plans(RollupSettings().fields)
    agg = RollupAggregator(plans, "Europe/London")
    gc.collect()
    before = rss_mib()
    t0 = 1_796_000_000 * NS  # mid-day, so no period ends during the run
    samples = 0
    cpu = time.process_time()
    for i in range(2):
        for kind, count, interval in (
            ("switch", args.switches, 60),
            ("printer", args.printers, 300),
            ("desktop", args.desktops, 300),
        ):
            for n in range(count):
                batch = poll(kind, n, t0 + i * interval * NS, i)
                samples += len(batch)
                agg.observe(batch)
    cpu = time.process_time() - cpu
    filled = 0
    for state in agg.series.values():
        for htop, dtop in state.tops:
            for top, cap in ((htop, state.hcap), (dtop, state.dcap)):
                while len(top) < cap:
                    push_top(top, cap, float(len(top)))
                    filled += 1
    gc.collect()
    after = rss_mib()
    series = len(agg.series)
    print(f"series: {series:,}  samples observed: {samples:,}  values filled: {filled:,}")
    print(
        f"rollup state: {after - before:.0f} MiB ({(after - before) * 2**20 / series:.0f} B/series)"
    )
    print(f"observe: {1e6 * cpu / samples:.2f} us per sample")


if __name__ == "__main__":
    main()
