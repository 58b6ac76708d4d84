"""The shipper end to end against a real InfluxDB 1.6: outages, kill -9, refusals, bounds."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lanpulse.core.errors import SinkError
from lanpulse.core.model import Sample
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol_decode import decode_lines
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer import Writer
from lanpulse.timeseries.writer_v1 import InfluxV1Writer

T0 = 1_700_000_000 * 10**9
FAST = Backoff(initial_s=0.02, max_s=0.1)


def poll_samples(interval: int, devices: int = 20) -> list[Sample]:
    """One poll interval's samples of `devices` devices, timestamped by interval."""
    t = T0 + interval * 60 * 10**9
    return [
        Sample("device", {"device": f"d{d}", "class": "desktop"}, {"up": 1, "poll": interval}, t)
        for d in range(devices)
    ]


class RecordingWriter:
    """Wraps a real writer and remembers what the server acknowledged, in order."""

    def __init__(self, inner: Writer) -> None:
        self.inner = inner
        self.acked: list[tuple[str, int]] = []

    async def write(self, lines: bytes, count: int) -> None:
        await self.inner.write(lines, count)
        self.acked += [(s.tags["device"], s.time_ns) for s in decode_lines(lines)]

    async def close(self) -> None:
        await self.inner.close()

    def describe(self) -> str:
        return self.inner.describe()


def count_points(server: InfluxDB16, db: str, measurement: str = "device") -> int:
    res = server.query(f'SELECT count("up") FROM "{measurement}"', db)
    series = res["results"][0].get("series")  # type: ignore[index]
    return int(series[0]["values"][0][1]) if series else 0


async def test_outage_then_recovery_delivers_everything_in_order_once(
    influxd: InfluxDB16, tmp_path: Path
) -> None:
    writer = RecordingWriter(InfluxV1Writer(influxd.url, "lp", timeout_s=2))
    shipper = Shipper(Spool(tmp_path / "spool"), writer, flush_interval_s=0.02, backoff=FAST)
    await shipper.start()
    await shipper.submit(poll_samples(0))
    assert await shipper.flush(5)
    port = influxd.port
    influxd.stop()
    for interval in range(1, 6):  # five poll intervals while InfluxDB is down
        await shipper.submit(poll_samples(interval))
        assert not await shipper.flush(0.2)
    stats = shipper.stats()
    assert stats.spool_points == 100 and stats.points_written == 20
    assert stats.last_error is not None and "refused" in stats.last_error.lower()
    influxd.start()
    assert influxd.port == port
    assert await shipper.flush(15)
    await shipper.stop()
    assert count_points(influxd, "lp") == 120
    expected = [(f"d{d}", T0 + i * 60 * 10**9) for i in range(6) for d in range(20)]
    assert writer.acked == expected  # in order, none twice
    assert shipper.stats().points_written == 120


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from lanpulse.core.model import Sample
    from lanpulse.timeseries.shipper import Backoff, Shipper
    from lanpulse.timeseries.spool import Spool
    from lanpulse.timeseries.writer_v1 import InfluxV1Writer

    async def main():
        spool_dir, url = sys.argv[1], sys.argv[2]
        shipper = Shipper(Spool(spool_dir), InfluxV1Writer(url, "lp", timeout_s=1),
                          flush_interval_s=0.01, backoff=Backoff(0.05, 0.2))
        await shipper.start()
        batches = int(sys.argv[3])
        for i in range(batches):
            await shipper.submit([Sample("device", {"device": f"d{d}"}, {"up": 1},
                                         1_700_000_000 * 10**9 + i * 10**9 + d)
                                  for d in range(50)])
        while shipper.stats().points_spooled < 50 * batches:
            await asyncio.sleep(0.001)
        print("SPOOLED", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def run_child_until_spooled(spool_dir: Path, url: str, batches: int) -> None:
    """Run a shipper in a child process and SIGKILL it once all batches are spooled."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(spool_dir), url, str(batches)],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"SPOOLED"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)


async def test_sigkill_with_spooled_data_loses_nothing(tmp_path: Path) -> None:
    server = InfluxDB16(tmp_path / "influxd")  # port reserved, not started: writes fail
    spool_dir = tmp_path / "spool"
    run_child_until_spooled(spool_dir, server.url, 3)
    server.start()
    try:
        server.query("CREATE DATABASE lp")
        shipper = Shipper(Spool(spool_dir), InfluxV1Writer(server.url, "lp"), backoff=FAST)
        assert shipper.stats().spool_points == 150
        await shipper.start()
        assert await shipper.flush(15)
        await shipper.stop()
        assert count_points(server, "lp") == 150
    finally:
        server.cleanup()


async def test_sigkill_while_sending_resends_without_duplicates(
    influxd: InfluxDB16, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    run_child_until_spooled(spool_dir, influxd.url, 40)  # killed mid-drain, most likely
    shipper = Shipper(Spool(spool_dir), InfluxV1Writer(influxd.url, "lp"), backoff=FAST)
    await shipper.start()
    assert await shipper.flush(15)
    await shipper.stop()
    assert count_points(influxd, "lp") == 2000  # every point, each once


async def test_writer_swapped_on_reload_keeps_order(influxd: InfluxDB16, tmp_path: Path) -> None:
    influxd.query("CREATE DATABASE second")
    shipper = Shipper(Spool(tmp_path / "spool"), None, flush_interval_s=0.01)
    await shipper.start()
    await shipper.submit(poll_samples(0))
    assert await shipper.flush(5)  # spool only so far
    await shipper.set_writer(InfluxV1Writer(influxd.url, "second"))
    await shipper.submit(poll_samples(1))
    assert await shipper.flush(10)
    await shipper.stop()
    assert count_points(influxd, "second") == 40


async def test_unfixable_refusal_logged_once_batch_kept_until_fixed(
    influxd: InfluxDB16, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lanpulse.timeseries")
    writer = InfluxV1Writer(influxd.url, "later", create_database=False)
    shipper = Shipper(Spool(tmp_path / "spool"), writer, flush_interval_s=0.01, backoff=FAST)
    await shipper.start()
    await shipper.submit(poll_samples(0))
    assert not await shipper.flush(0.6)  # several attempts, each a 404
    assert shipper.stats().write_errors >= 3
    refusals = [
        r
        for r in caplog.records
        if 'database not found: \\"later\\"' in r.getMessage()
        or 'database not found: "later"' in r.getMessage()
    ]
    assert len(refusals) == 1  # InfluxDB's own message, once
    assert shipper.stats().spool_points == 20  # kept, not dropped
    influxd.query("CREATE DATABASE later")
    assert await shipper.flush(5)
    await shipper.stop()
    assert count_points(influxd, "later") == 20
    assert "resumed" in caplog.text


async def test_bad_batch_quarantined_rest_keeps_flowing(
    influxd: InfluxDB16, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    shipper = Shipper(spool, InfluxV1Writer(influxd.url, "lp"), flush_interval_s=0.01, backoff=FAST)
    await shipper.start()
    await shipper.submit(poll_samples(0, devices=3))
    assert await shipper.flush(5)
    # `up` was an integer; a float now is a field type conflict: a 400 partial write.
    await shipper.submit([Sample("device", {"device": "d0"}, {"up": 0.5}, T0 + 1)])
    assert await shipper.flush(5)
    await shipper.submit(poll_samples(1, devices=3))
    assert await shipper.flush(5)
    stats = shipper.stats()
    await shipper.stop()
    assert stats.points_rejected == 1 and stats.points_written == 6
    assert "field type conflict" in (stats.last_error or "")
    (rejected,) = (tmp_path / "spool" / "rejected").glob("*.lp")
    assert b"up=0.5" in rejected.read_bytes()
    assert count_points(influxd, "lp") == 6


class ScriptedWriter:
    """Stands in for an InfluxDB answering 429/503 with Retry-After (influxd 1.6 cannot be
    made to do that on demand); raises the scripted errors, then accepts."""

    def __init__(self, errors: list[SinkError]) -> None:
        self.errors = errors
        self.accepted = 0

    async def write(self, lines: bytes, count: int) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.accepted += count

    async def close(self) -> None:
        return None

    def describe(self) -> str:
        return "scripted"


async def test_retry_after_is_honoured(tmp_path: Path) -> None:
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    busy = SinkError("x: HTTP 429: slow down", retryable=True, retry_after=7.0)
    down = SinkError("x: HTTP 503", retryable=True)
    writer = ScriptedWriter([busy, busy, down])
    shipper = Shipper(
        Spool(tmp_path), writer, flush_interval_s=0.01, sleep=sleep, rand=lambda: 0.0,
        backoff=Backoff(initial_s=1.0, max_s=60.0),
    )  # fmt: skip
    await shipper.start()
    await shipper.submit(poll_samples(0))
    assert await shipper.flush(5)
    await shipper.stop()
    assert delays == [7.0, 7.0, 4.0]  # Retry-After twice, then backoff 1*2**2
    assert writer.accepted == 20


async def test_max_retries_quarantines_a_poison_batch(tmp_path: Path) -> None:
    async def sleep(delay: float) -> None:
        return None

    fail = SinkError("x: HTTP 500: engine error", retryable=True)
    writer = ScriptedWriter([fail, fail, fail])
    shipper = Shipper(Spool(tmp_path), writer, flush_interval_s=0.01, max_retries=2, sleep=sleep)
    await shipper.start()
    await shipper.submit(poll_samples(0))
    assert await shipper.flush(5)
    await shipper.submit(poll_samples(1))
    assert await shipper.flush(5)
    await shipper.stop()
    assert shipper.stats().points_rejected == 20 and writer.accepted == 20


async def test_spool_only_mode_keeps_data_and_counts_drops(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=4096, segment_bytes=1024)
    shipper = Shipper(spool, None, flush_interval_s=0.01, queue_max=2)
    await shipper.start()
    for i in range(10):
        await shipper.submit(poll_samples(i))
        assert await shipper.flush(5)
    stats = shipper.stats()
    assert stats.points_written == 0 and stats.spool_points > 0
    assert stats.points_dropped == 200 - stats.spool_points  # oldest went first, counted
    assert stats.spool_bytes <= 4096
    fields = stats.as_fields()
    assert "last_error" not in fields and fields["points_dropped"] == stats.points_dropped
    await shipper.stop()


async def test_malformed_sample_does_not_stop_the_appender(tmp_path: Path) -> None:
    shipper = Shipper(Spool(tmp_path), None, flush_interval_s=0.01)
    await shipper.start()
    bad = Sample("device", {"device": 42}, {"up": 1}, T0)  # type: ignore[dict-item]
    await shipper.submit([bad, *poll_samples(0, devices=2)])
    assert await shipper.flush(5)
    stats = shipper.stats()
    await shipper.stop()
    assert stats.points_dropped == 1 and stats.spool_points == 2
    assert "not encodable" in (stats.last_error or "")


async def test_partial_write_counts_the_stored_points_and_keeps_the_batch(
    influxd: InfluxDB16, tmp_path: Path
) -> None:
    """InfluxDB 1.x stores the good points of a batch with a field-type conflict."""
    influxd.query("CREATE DATABASE partial")
    shipper = Shipper(
        Spool(tmp_path / "spool"), InfluxV1Writer(influxd.url, "partial"), flush_interval_s=0.01
    )
    await shipper.start()
    first = Sample("lanpulse", {"instance": "a"}, {"polls": 1}, 1_000)
    await shipper.submit([first])
    assert await shipper.flush(10)
    conflicting = Sample("lanpulse", {"instance": "b"}, {"polls": 2.5}, 2_000)  # int field
    good = [Sample("lanpulse", {"instance": f"c{i}"}, {"polls": i}, 3_000) for i in range(3)]
    await shipper.submit([conflicting, *good])
    assert await shipper.flush(10)
    stats = shipper.stats()
    await shipper.stop()
    assert stats.points_written == 1 + 3  # the refused point is not counted as written
    assert stats.spool_points == 0
    assert list((tmp_path / "spool" / "rejected").glob("*.lp"))  # kept for inspection


async def test_pending_lines_are_appended_after_the_flush_interval_without_flush(
    tmp_path: Path,
) -> None:
    """The batch timer, not a flush() call, appends a partial batch once it is due."""
    shipper = Shipper(Spool(tmp_path), None, flush_interval_s=0.05, batch_size=10_000)
    await shipper.start()
    for i in range(3):
        assert shipper.submit_nowait(poll_samples(i, devices=5))
        await asyncio.sleep(0)
    for _ in range(200):  # up to 10 s on a loaded box; normally one interval
        if shipper.stats().points_spooled == 15:
            break
        await asyncio.sleep(0.05)
    stats = shipper.stats()
    await shipper.stop()
    assert stats.spool_points == 15 and stats.points_spooled == 15
    assert stats.queue_depth == 0


async def test_queued_polls_beyond_a_batch_keep_their_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    shipper = Shipper(spool, None, flush_interval_s=10.0, batch_size=7)
    await shipper.start()
    for i in range(10):  # queued before the appender runs: taken in one go, split in batches
        assert shipper.submit_nowait(poll_samples(i, devices=3))
    assert await shipper.flush(5)
    records = spool.read_batch(1000, max_bytes=10**9)
    await shipper.stop()
    assert all(r.points <= 7 for r in records)
    got = [s.fields["poll"] for r in records for s in decode_lines(r.payload)]
    assert got == [i for i in range(10) for _ in range(3)]
