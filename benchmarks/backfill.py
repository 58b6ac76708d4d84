"""CPU and memory of `lanpulse rollups backfill` over raw history in a real InfluxDB 1.6.

    PYTHONPATH=. python benchmarks/backfill.py [--interfaces 200] [--days 1]

Writes `--interfaces` interface series (switch ports with roles, the default rolled-up
fields) polled every 60 s for `--days` local days into a fresh InfluxDB 1.6, then backfills
them in-process (reports/backfill.py, the same InfluxQL reader as the command) and reports
the CPU time of this process per raw point (InfluxDB's own work is in its own process, not
counted) and the RSS growth. CPU time, not wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from lanpulse.config.capacity import RollupSettings
from lanpulse.config.influx import InfluxSettings
from lanpulse.core.model import Sample
from lanpulse.parsers.rollups import NS, field_plans
from lanpulse.reports.backfill import Backfill, DayCount
from lanpulse.reports.source import InfluxQLSource
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol import encode_samples
from lanpulse.timeseries.writer_v1 import InfluxV1Writer

DAY0 = 1_790_000_000 // 86400 * 86400 * NS  # a UTC midnight in 2026


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed(url: str, interfaces: int, days: int) -> int:
    writer = InfluxV1Writer(url, "bench")
    written = 0
    for minute in range(-60, days * 1440):
        t = DAY0 + minute * 60 * NS
        batch = [
            Sample(
                "interface",
                {"device": f"sw{p // 52}", "class": "switch", "if_name": f"ge{p % 52}"}
                | {"if_index": str(p % 52), "role": "access"},
                {
                    "in_bps": 1e6 * (p + minute % 97),
                    "out_bps": 2e6 * (p + minute % 89),
                    "in_util_pct": float(minute % 100),
                    "out_util_pct": float((minute * 7) % 100),
                    "in_octets": minute * 7_500_000 * (p + 1),
                    "out_octets": minute * 15_000_000 * (p + 1),
                    "oper_status": 1,
                    "speed_bps": 1_000_000_000,
                },
                t,
            )
            for p in range(interfaces)
        ]
        encoded = encode_samples(batch)
        await writer.write(encoded.lines, encoded.points)
        written += encoded.points
    await writer.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interfaces", type=int, default=200)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    with InfluxDB16(Path(tempfile.mkdtemp(prefix="lanpulse-bench-"))) as influx:
        influx.query("CREATE DATABASE bench")
        written = asyncio.run(seed(influx.url, args.interfaces, args.days))
        settings = InfluxSettings(url=influx.url, api="v1", database="bench", timeout=300)
        rollups = RollupSettings()
        source = InfluxQLSource(settings, rollups, raw=True)
        backfill = Backfill(source, field_plans(rollups.fields), "UTC")
        before_rss = rss_mib()
        before_peak = peak_mib()
        cpu0 = time.process_time()
        count = DayCount()
        for start, end in backfill.days(DAY0, DAY0 + args.days * 86400 * NS):
            for _ in backfill.day(start, end, count):
                pass
        cpu = time.process_time() - cpu0
        after_rss = rss_mib()
    print(f"raw points written: {written}; read back: {count.raw_points}")
    print(f"rollups: {count.rollups}")
    print(f"CPU: {cpu:.2f} s, {cpu / count.raw_points * 1e6:.1f} µs per raw point")
    print(f"RSS growth: {after_rss - before_rss:.1f} MiB; peak RSS {peak_mib():.1f} MiB")
    print(f"(peak before the backfill, after seeding: {before_peak:.1f} MiB)")


if __name__ == "__main__":
    main()
