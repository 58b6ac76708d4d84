"""A spool on a full or unwritable filesystem with a healthy InfluxDB 1.6: nothing is lost.

The filesystems are real: a 300 KB tmpfs mounted for the test (as the operator's report in
issue 20), and a read-only bind mount over the segment directory. Mounting needs root (CI
runs as root); elsewhere the tests are skipped with the reason.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.core.model import Sample
from lanpulse.sim import filesystems
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.shipper import Backoff, Shipper
from lanpulse.timeseries.spool import Spool
from lanpulse.timeseries.writer_v1 import InfluxV1Writer

T0 = 1_700_000_000 * 10**9
FAST = Backoff(initial_s=0.02, max_s=0.1)


def mount(*args: str) -> None:
    problem = filesystems.mount(*args)
    if problem is not None:
        pytest.skip(f"cannot mount ({problem}): needs root")


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 300 KB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "fs"
    where.mkdir()
    mount("-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where))
    yield where
    filesystems.umount(where)


def poll(i: int, devices: int = 50) -> list[Sample]:
    """One poll's samples (~100 bytes of line protocol each)."""
    t = T0 + i * 10**9
    tags = {"class": "switch", "site": "headquarters-building-a"}
    return [
        Sample("device", {"device": f"switch-{d:04d}.example", **tags}, {"up": 1, "seq": i}, t)
        for d in range(devices)
    ]


def stored(server: InfluxDB16) -> int:
    res = server.query('SELECT count("up") FROM "device"', "lp")
    series = res["results"][0].get("series")  # type: ignore[index]
    return int(series[0]["values"][0][1]) if series else 0


async def ship(shipper: Shipper, polls: int) -> None:
    await shipper.start()
    for i in range(polls):
        assert shipper.submit_nowait(poll(i))
        assert await shipper.flush(10)


async def test_sent_data_frees_its_space_so_a_small_disk_never_fills(
    small_fs: Path, influxd: InfluxDB16
) -> None:
    # 100 polls x 50 points ~ 600 KB of line protocol through a 300 KB filesystem: the
    # open segment must give back what InfluxDB acknowledged.
    spool = Spool(small_fs / "spool", fsync="never")
    shipper = Shipper(spool, InfluxV1Writer(influxd.url, "lp"), flush_interval_s=0.01, backoff=FAST)
    await ship(shipper, 100)
    stats = shipper.stats()
    assert stats.points_dropped == 0 and stats.points_written == 5000
    assert not list((small_fs / "spool" / "segments").glob("*.seg"))  # nothing kept
    await shipper.stop()
    assert stored(influxd) == 5000


async def test_full_disk_sends_straight_to_the_database(
    small_fs: Path, influxd: InfluxDB16, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(small_fs / "spool", fsync="never")
    filler = filesystems.fill(small_fs / "filler")  # another program filled the disk
    shipper = Shipper(spool, InfluxV1Writer(influxd.url, "lp"), flush_interval_s=0.01, backoff=FAST)
    with caplog.at_level(logging.WARNING, logger="lanpulse"):
        await ship(shipper, 40)
    stats = shipper.stats()
    assert stats.points_dropped == 0 and stats.points_written == 2000
    refused = [r for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(refused) == 1  # logged once, with the true reason
    assert "No space left on device" in refused[0].getMessage()
    assert "held in memory" in refused[0].getMessage()
    filler.unlink()  # room again: the spool is used again, and says so
    with caplog.at_level(logging.WARNING, logger="lanpulse"):
        assert shipper.submit_nowait(poll(40))
        assert await shipper.flush(10)
    assert any("writing to disk again" in r.getMessage() for r in caplog.records)
    await shipper.stop()
    assert stored(influxd) == 2050


async def test_full_disk_and_database_down_holds_then_drops_counted_and_degraded(
    small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(small_fs / "spool", fsync="never", hold_bytes=20_000)
    filesystems.fill(small_fs / "filler")
    shipper = Shipper(spool, None, flush_interval_s=0.01)
    with caplog.at_level(logging.WARNING, logger="lanpulse"):
        await ship(shipper, 10)
    stats = shipper.stats()
    assert stats.points_held > 0 and stats.points_dropped > 0
    assert stats.points_held + stats.points_dropped == 500
    assert stats.spool_degraded == 1
    drops = [r for r in caplog.records if "dropped points" in r.getMessage()]
    assert len(drops) == 1 and "memory hold" in drops[0].getMessage()
    (small_fs / "filler").unlink()
    await shipper.stop()  # the held batches go to disk once it has room
    again = Spool(small_fs / "spool", fsync="never")
    assert again.state().points == stats.points_held
    again.close()


async def test_unwritable_segment_directory_holds_in_memory_and_sends(
    tmp_path: Path, influxd: InfluxDB16
) -> None:
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    spool = Spool(tmp_path / "spool", fsync="never", segment_bytes=4096)
    shipper = Shipper(spool, InfluxV1Writer(influxd.url, "lp"), flush_interval_s=0.01, backoff=FAST)
    await ship(shipper, 5)
    segments = tmp_path / "spool" / "segments"
    empty = tmp_path / "empty"
    empty.mkdir()
    mount("--bind", str(empty), str(segments))
    try:
        mount("-o", "remount,bind,ro", str(segments))
        for i in range(5, 30):
            assert shipper.submit_nowait(poll(i))
            assert await shipper.flush(10)
        stats = shipper.stats()
        assert stats.points_dropped == 0 and stats.points_written == 1500
    finally:
        filesystems.umount(segments)
    await shipper.stop()
    assert stored(influxd) == 1500


async def test_healthz_is_degraded_while_the_disk_refuses(small_fs: Path) -> None:
    # The daemon (no devices: its own self-monitoring points are the data) on a spool whose
    # disk fills up: /healthz answers 503 "degraded" instead of "ok".
    import asyncio
    import json
    import urllib.error
    import urllib.request

    from lanpulse.sim.servers import free_tcp_port
    from tests._daemon import listening, running, until, write_config

    def healthz(http: str) -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(f"http://{http}/healthz", timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    http = f"127.0.0.1:{free_tcp_port()}"
    config = write_config(small_fs / "lanpulse.yaml", [], http_listen=http)
    async with running(config) as run:
        await until(lambda: listening(http))
        status, _ = await asyncio.to_thread(healthz, http)
        assert status == 200
        filesystems.fill(small_fs / "filler")
        await until(lambda: run.daemon.all_stats()["points_held"] > 0, 20)
        status, body = await asyncio.to_thread(healthz, http)
        assert status == 503 and body["status"] == "degraded" and body["spool_degraded"] == 1
        (small_fs / "filler").unlink()
