"""Encode, spool and write throughput of the time-series path (not a test: prints numbers).

    PYTHONPATH=. /work/venv/bin/python benchmarks/timeseries_throughput.py [--points N]

Encodes realistic `interface` / `printer_supply` / `device` samples, appends them to a spool
(fsync always and never), then drains them through the Shipper into a real InfluxDB 1.6 (v1)
and a real VictoriaMetrics (v2, influxdb-client), each started here on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from lanpulse.core.model import Sample
from lanpulse.sim.servers import InfluxDB16, VictoriaMetrics
from lanpulse.timeseries import lineprotocol
from lanpulse.timeseries.lineprotocol import encode_samples
from lanpulse.timeseries.shipper import Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer
from lanpulse.timeseries.writer_v2 import InfluxV2Writer

T0 = time.time_ns() - 3600 * 10**9


IF_FIELDS: dict[str, int | float] = {
    "in_octets": 123456789012,
    "out_octets": 98765432109,
    "in_bps": 1234567.891,
    "out_bps": 7654321.123,
    "in_util_pct": 1.2345,
    "out_util_pct": 7.654,
    "speed_bps": 1_000_000_000,
    "oper_status": 1,
    "admin_status": 1,
    "in_errors": 0,
    "out_errors": 0,
    "in_discards": 3,
    "out_discards": 0,
    "in_errors_ps": 0.0,
    "out_errors_ps": 0.0,
}
SUPPLY_TAGS = {"supply": "Black Toner", "supply_index": "1", "supply_type": "toner"}
SUPPLY_FIELDS: dict[str, int | float] = {"level": 4200, "max_capacity": 10000, "level_pct": 42.0}
DEVICE_FIELDS: dict[str, int | float] = {
    "up": 1,
    "poll_seconds": 0.123,
    "uptime_seconds": 86400,
    "poll_errors": 0,
}


def estate_samples(n: int) -> list[Sample]:
    """A mix like one 5-minute cycle: mostly interfaces, some supplies and device samples."""
    out: list[Sample] = []
    i = 0
    while len(out) < n:
        sw, port = divmod(i % 24_000, 48)  # 500 switches of 48 ports, as in the issue
        tags = {
            "device": f"sw-{sw:04d}.site-a.example",
            "class": "switch",
            "site": "hq",
            "if_index": str(port + 1),
            "if_name": f"GigabitEthernet1/0/{port + 1}",
            "if_alias": f"desk {port}",
        }
        fields = {**IF_FIELDS, "in_octets": 123456789012 + i, "in_bps": 1234567.891 + i}
        out.append(Sample("interface", tags, fields, T0 + i))
        if i % 10 == 0:
            printer = {"device": f"prn-{i % 5000:05d}", "class": "printer", **SUPPLY_TAGS}
            out.append(Sample("printer_supply", printer, SUPPLY_FIELDS, T0 + i))
            desktop = {"device": f"pc-{i % 20000:05d}", "class": "desktop", "site": "hq"}
            out.append(Sample("device", desktop, DEVICE_FIELDS, T0 + i))
        i += 1
    return out[:n]


def bench_encode(samples: list[Sample]) -> None:
    lineprotocol._ENCODER = lineprotocol.LineEncoder()  # cold: no escaped texts cached
    for label in ("cold cache", "warm cache"):
        start = time.process_time()
        batch = encode_samples(samples)
        took = time.process_time() - start
        print(
            f"encode ({label}): {len(samples)} samples in {took:.3f}s = "
            f"{len(samples) / took:,.0f} samples/s, {took / len(samples) * 1e6:.2f} us/sample, "
            f"{len(batch.lines) / len(samples):.0f} bytes/line"
        )


def bench_spool(lines: bytes, points: int, chunk: int) -> None:
    parts = lines.split(b"\n")[:-1]
    batches = [b"\n".join(parts[i : i + chunk]) + b"\n" for i in range(0, len(parts), chunk)]
    for policy in ("always", "never"):
        with tempfile.TemporaryDirectory() as d:
            spool = Spool(d, fsync=policy)  # type: ignore[arg-type]
            start = time.perf_counter()
            for b in batches:
                spool.append(b, b.count(b"\n"))
            took = time.perf_counter() - start
            spool.close()
        print(
            f"spool append fsync={policy}: {points / took:,.0f} points/s "
            f"({len(batches)} batches of {chunk})"
        )


async def bench_shipper_per_poll(samples: list[Sample], per_poll: int = 61) -> None:
    """CPU the Shipper adds to encoding per submitted poll (spool only, no writer).

    Polls of `per_poll` samples are submitted with `submit_nowait`, yielding to the loop
    between them as the poll loop does; CPU is this process's (appender thread included).
    """
    polls = [samples[i : i + per_poll] for i in range(0, len(samples), per_poll)]
    start = time.process_time()
    for poll in polls:
        for sample in poll:
            lineprotocol.encode_sample(sample)
    encode = (time.process_time() - start) / len(polls)
    with tempfile.TemporaryDirectory() as d:
        shipper = Shipper(Spool(d, fsync="never"), None, queue_max=len(polls) + 1)
        await shipper.start()
        start = time.process_time()
        for poll in polls:
            shipper.submit_nowait(poll)
            await asyncio.sleep(0)
        await shipper.flush(600)
        total = (time.process_time() - start) / len(polls)
        await shipper.stop()
    print(
        f"shipper: {total * 1e6:.0f} us CPU per poll of {per_poll} samples, of which encoding "
        f"{encode * 1e6:.0f} us and queue/batch/spool {(total - encode) * 1e6:.0f} us"
    )


async def bench_write(name: str, writer: Writer, samples: list[Sample], spool_dir: Path) -> None:
    shipper = Shipper(Spool(spool_dir, fsync="never"), writer, flush_interval_s=0.2)
    await shipper.start()
    chunk = 500
    for i in range(0, len(samples), chunk):  # as the poll loop would: one device at a time
        await shipper.submit(samples[i : i + chunk])
    await shipper.flush(600)  # everything appended (and sent)
    await shipper.stop()
    # Second pass: the spool alone draining into the server (the backlog after an outage).
    shipper = Shipper(Spool(spool_dir / "x", fsync="never"), None, flush_interval_s=0.2)
    await shipper.start()
    for i in range(0, len(samples), chunk):
        await shipper.submit(samples[i : i + chunk])
    await shipper.stop()
    drain = Shipper(Spool(spool_dir / "x", fsync="never"), writer)
    await drain.start()
    start, cpu = time.perf_counter(), time.process_time()
    await drain.flush(600)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    stats = drain.stats()
    await drain.stop()
    print(
        f"write {name}: backlog of {stats.points_written:,} points drained in {took:.2f}s = "
        f"{stats.points_written / took:,.0f} points/s ({stats.batches_written} requests); "
        f"lanpulse CPU {cpu / max(stats.points_written, 1) * 1e6:.2f} us/point"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200_000)
    args = parser.parse_args()
    samples = estate_samples(args.points)
    bench_encode(samples)
    batch = encode_samples(samples)
    bench_spool(batch.lines, batch.points, 5000)
    await bench_shipper_per_poll(samples)
    with tempfile.TemporaryDirectory() as d:
        influx = InfluxDB16(Path(d) / "influxd").start()
        vm = VictoriaMetrics(Path(d) / "vm").start()
        try:
            influx.query("CREATE DATABASE bench")
            await bench_write("InfluxDB 1.6 v1", InfluxV1Writer(influx.url, "bench"), samples,
                              Path(d) / "s1")  # fmt: skip
            await bench_write("VictoriaMetrics v2", InfluxV2Writer(vm.url, "bench", org="o"),
                              samples, Path(d) / "s2")  # fmt: skip
        finally:
            influx.cleanup()
            vm.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
