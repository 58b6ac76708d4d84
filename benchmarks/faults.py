"""Fault scenarios against real servers: points expected, stored, lost, sent twice, stored twice.

    sudo .venv/bin/python benchmarks/faults.py [--points-per-tick 50] [--ticks 60]

Not a test: it prints the table of docs/reliability.md. Every scenario ships distinct
points (`fault,device=dN seq=I`) through the real Shipper and Spool to a real InfluxDB 1.6
started here on 127.0.0.1, injects its fault, and then counts what InfluxDB holds:

- expected: points handed to lanpulse (for the kill -9 scenario: points it had spooled);
- stored: distinct points InfluxDB holds afterwards; lost = expected - stored;
- sent twice: points acknowledged by InfluxDB more than once (at-least-once delivery);
- stored twice: rows beyond the distinct points (InfluxDB keeps one point per series and
  time, so a resend overwrites itself: this must be 0).

Scenarios that mount filesystems (a 300 KB tmpfs, a read-only bind mount) need root and
are skipped otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from lanpulse.core.model import Sample
from lanpulse.sim import filesystems
from lanpulse.sim.servers import InfluxDB16, free_tcp_port
from lanpulse.timeseries.lineprotocol_decode import decode_lines
from lanpulse.timeseries.segment import FILE_MAGIC, HEADER_SIZE
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer

FAST = Backoff(initial_s=0.05, max_s=0.5)
T0 = time.time_ns() // 10**9 * 10**9


@dataclass
class Outcome:
    """One row of the table."""

    scenario: str
    expected: int
    stored: int
    sent_twice: int
    stored_twice: int
    note: str = ""
    counted: int = 0  # points lanpulse counted as dropped (points_dropped)

    @property
    def lost(self) -> int:
        return self.expected - self.stored


class CountingWriter:
    """A real writer that remembers how often each point was acknowledged."""

    def __init__(self, inner: Writer) -> None:
        self.inner = inner
        self.acks: collections.Counter[tuple[str, int]] = collections.Counter()

    async def write(self, lines: bytes, count: int) -> None:
        await self.inner.write(lines, count)
        for sample in decode_lines(lines):
            self.acks[(sample.tags["device"], sample.time_ns)] += 1

    async def close(self) -> None:
        await self.inner.close()

    def describe(self) -> str:
        return self.inner.describe()

    @property
    def sent_twice(self) -> int:
        return sum(1 for n in self.acks.values() if n > 1)


def tick(i: int, per_tick: int) -> list[Sample]:
    return [
        Sample("fault", {"device": f"d{d:03d}"}, {"seq": i}, T0 + i * 10**6)
        for d in range(per_tick)
    ]


def stored(influx: InfluxDB16, db: str) -> tuple[int, int]:
    """(distinct points, rows): InfluxDB returns one row per series and time."""
    res = influx.query('SELECT "seq" FROM "fault" GROUP BY "device"', db)
    rows = 0
    keys: set[tuple[str, object]] = set()
    for series in res["results"][0].get("series", []):  # type: ignore[index,union-attr]
        for row in series["values"]:
            rows += 1
            keys.add((series["tags"]["device"], row[0]))
    return len(keys), rows


async def run_ticks(
    shipper: Shipper, ticks: int, per_tick: int, fault: Callable[[int], Awaitable[None]]
) -> int:
    for i in range(ticks):
        await fault(i)
        shipper.submit_nowait(tick(i, per_tick))
        await asyncio.sleep(0.05)
    return ticks * per_tick


async def nothing(_: int) -> None:
    return None


async def scenario(
    name: str,
    influx: InfluxDB16,
    spool_dir: Path,
    args: argparse.Namespace,
    fault: Callable[[int], Awaitable[None]] = nothing,
    *,
    hold_bytes: int = 32 * 1024**2,
    url: str | None = None,
    note: str = "",
) -> Outcome:
    db = name.replace(" ", "_").replace(",", "").replace("-", "_")
    influx.query(f'CREATE DATABASE "{db}"')
    writer = CountingWriter(InfluxV1Writer(url or influx.url, db, timeout_s=2))
    spool = Spool(spool_dir, fsync="never", hold_bytes=hold_bytes)
    shipper = Shipper(spool, writer, flush_interval_s=0.05, backoff=FAST)
    await shipper.start()
    expected = await run_ticks(shipper, args.ticks, args.points_per_tick, fault)
    await shipper.flush(60)
    await shipper.stop(10)
    distinct, rows = stored(influx, db)
    counted = shipper.stats().points_dropped
    return Outcome(name, expected, distinct, writer.sent_twice, rows - distinct, note, counted)


def mount(*argv: str) -> bool:
    return filesystems.mount(*argv) is None


async def influx_down(influx: InfluxDB16, work: Path, args: argparse.Namespace) -> Outcome:
    port = free_tcp_port()
    proxy_url = f"http://127.0.0.1:{port}"
    proxy: list[subprocess.Popen[bytes]] = []

    async def fault(i: int) -> None:
        # A TCP relay to InfluxDB that is absent for the middle third of the run.
        if i == 0 or i == 2 * args.ticks // 3:
            proxy.append(relay(port, influx.port))
        if i == args.ticks // 3 and proxy:
            proxy.pop().kill()

    try:
        return await scenario(
            "InfluxDB down a third of the run",
            influx,
            work / "down",
            args,
            fault,
            url=proxy_url,
            note="sent again after the outage, oldest first",
        )
    finally:
        for p in proxy:
            p.kill()


def relay(listen: int, target: int) -> subprocess.Popen[bytes]:
    code = textwrap.dedent(
        f"""
        import asyncio
        async def pipe(r, w):
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            finally:
                w.close()
        async def handle(r, w):
            tr, tw = await asyncio.open_connection("127.0.0.1", {target})
            await asyncio.gather(pipe(r, tw), pipe(tr, w))
        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", {listen})
            await server.serve_forever()
        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.3)
    return proc


async def full_disk(
    influx: InfluxDB16, work: Path, args: argparse.Namespace, down: bool
) -> Outcome | None:
    where = work / ("fs-down" if down else "fs")
    where.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where)):
        return None
    try:
        Spool(where / "spool").close()  # the daemon ran before the disk filled up
        filesystems.fill(where / "filler")  # another program filled the disk
        name = "full disk, InfluxDB never back" if down else "full disk (300 KB tmpfs), InfluxDB up"
        url = f"http://127.0.0.1:{free_tcp_port()}" if down else None
        outcome = await scenario(
            name,
            influx,
            where / "spool",
            args,
            url=url,
            hold_bytes=64 * 1024,
            note="held in memory (64 KB hold here), the overflow dropped and counted"
            if down
            else "held in memory and sent straight to InfluxDB",
        )
        return outcome
    finally:
        filesystems.umount(where)


async def full_disk_outage(
    influx: InfluxDB16, work: Path, args: argparse.Namespace
) -> Outcome | None:
    where = work / "fs-outage"
    where.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where)):
        return None
    port = free_tcp_port()
    proxy: list[subprocess.Popen[bytes]] = []

    async def fault(i: int) -> None:
        if i == args.ticks // 2:  # InfluxDB back for the second half
            proxy.append(relay(port, influx.port))

    try:
        Spool(where / "spool").close()
        filesystems.fill(where / "filler")
        return await scenario(
            "full disk, InfluxDB down the first half",
            influx,
            where / "spool",
            args,
            fault,
            url=f"http://127.0.0.1:{port}",
            note="held in memory (32 MiB default) until InfluxDB is back",
        )
    finally:
        for p in proxy:
            p.kill()
        filesystems.umount(where)


async def unwritable(influx: InfluxDB16, work: Path, args: argparse.Namespace) -> Outcome | None:
    spool_dir = work / "ro"
    Spool(spool_dir).close()  # create it
    empty = work / "empty"
    empty.mkdir()
    segments = spool_dir / "segments"
    mounted = False

    async def fault(i: int) -> None:
        nonlocal mounted
        if i == args.ticks // 4 and mount("--bind", str(empty), str(segments)):
            mounted = mount("-o", "remount,bind,ro", str(segments)) or True

    try:
        out = await scenario(
            "spool directory read-only, InfluxDB up",
            influx,
            spool_dir,
            args,
            fault,
            note="from a quarter of the run on",
        )
    finally:
        filesystems.umount(segments)
    return out if mounted else None


async def corrupt(influx: InfluxDB16, work: Path, args: argparse.Namespace) -> Outcome:
    """Spool-only for a while, one record damaged on disk, then sent."""
    db = "corrupt"
    influx.query(f'CREATE DATABASE "{db}"')
    spool_dir = work / "corrupt"
    shipper = Shipper(Spool(spool_dir, fsync="never"), None, flush_interval_s=0.05)
    await shipper.start()
    expected = await run_ticks(shipper, args.ticks, args.points_per_tick, nothing)
    await shipper.stop(10)
    (seg,) = sorted((spool_dir / "segments").glob("*.seg"))[:1]
    data = bytearray(seg.read_bytes())
    data[len(FILE_MAGIC) + HEADER_SIZE + 5] ^= 0xFF  # a bit flip in the first record
    seg.write_bytes(bytes(data))
    writer = CountingWriter(InfluxV1Writer(influx.url, db))
    spool = Spool(spool_dir, fsync="never")
    drain = Shipper(spool, writer, backoff=FAST)
    await drain.start()
    await drain.flush(60)
    damaged = spool.state().counters.corrupt_bytes
    await drain.stop(10)
    distinct, rows = stored(influx, db)
    note = f"one damaged record ({damaged} bytes) skipped, logged and counted"
    return Outcome(
        "bit flip in a spooled batch", expected, distinct, writer.sent_twice, rows - distinct, note
    )


async def kill_9(influx: InfluxDB16, work: Path, args: argparse.Namespace) -> Outcome:
    """A writer process killed with SIGKILL while sending, then restarted on its spool."""
    db = "kill9"
    influx.query(f'CREATE DATABASE "{db}"')
    spool_dir = work / "kill9"
    child = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from faults import tick, FAST
        from lanpulse.timeseries.shipper import Shipper
        from lanpulse.timeseries.spool import Spool
        from lanpulse.timeseries.writer_v1 import InfluxV1Writer
        async def main():
            shipper = Shipper(Spool({str(spool_dir)!r}), InfluxV1Writer({influx.url!r}, {db!r}),
                              flush_interval_s=0.02, backoff=FAST)
            await shipper.start()
            for i in range(10**6):
                shipper.submit_nowait(tick(i, {args.points_per_tick}))
                await shipper.flush(5, wait_while_failing=False)
                print(shipper.stats().points_spooled, flush=True)
        asyncio.run(main())
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, env=env)
    spooled = 0
    deadline = time.monotonic() + 3.0
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        spooled = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    writer = CountingWriter(InfluxV1Writer(influx.url, db))
    drain = Shipper(Spool(spool_dir), writer, backoff=FAST)
    await drain.start()
    await drain.flush(60)
    await drain.stop(10)
    distinct, rows = stored(influx, db)
    return Outcome(
        "kill -9 while sending, restart",
        spooled,
        min(distinct, spooled),
        writer.sent_twice,
        rows - distinct,
        f"at most the batch in flight is sent again ({distinct - spooled} points were "
        "stored before their spooling was reported)",
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points-per-tick", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        influx = InfluxDB16(work / "influxd").start()
        try:
            outcomes: list[Outcome | None] = [
                await scenario("healthy (baseline)", influx, work / "ok", args),
                await influx_down(influx, work, args),
                await full_disk(influx, work, args, down=False),
                await full_disk_outage(influx, work, args),
                await full_disk(influx, work, args, down=True),
                await unwritable(influx, work, args),
                await corrupt(influx, work, args),
                await kill_9(influx, work, args),
            ]
        finally:
            influx.cleanup()
    columns = ["scenario", "expected", "stored", "lost", "counted as dropped"]
    columns += ["sent twice", "stored twice", "note"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for o in outcomes:
        if o is not None:
            cells = [o.scenario, o.expected, o.stored, o.lost, o.counted]
            cells += [o.sent_twice, o.stored_twice, o.note]
            print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    asyncio.run(main())
