"""The durable spool: order, commit cursor, torn writes, damage, size and age bounds, lock."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from lanpulse.timeseries.segment import FILE_MAGIC, HEADER_SIZE
from lanpulse.timeseries.spool import Spool, SpoolError, inspect_spool


class Clock:
    """An injected wall clock in nanoseconds."""

    def __init__(self) -> None:
        self.now = 1_700_000_000 * 10**9

    def __call__(self) -> int:
        return self.now


def batch(i: int, points: int = 2) -> bytes:
    return b"".join(f"m,b={i} v={j}i {i * 1000 + j}\n".encode() for j in range(points))


def drain(spool: Spool) -> list[bytes]:
    out = []
    while (rec := spool.read_next()) is not None:
        out.append(rec.payload)
        spool.commit(rec)
    return out


def make(path: Path, clock: Clock | None = None, **kw: object) -> Spool:
    return Spool(path, clock_ns=clock or Clock(), fsync="never", **kw)  # type: ignore[arg-type]


def test_order_across_segments_and_deletion(tmp_path: Path) -> None:
    spool = make(tmp_path, segment_bytes=200)
    for i in range(10):
        spool.append(batch(i), 2)
    assert spool.state().points == 20
    assert len(list((tmp_path / "segments").glob("*.seg"))) >= 3
    assert drain(spool) == [batch(i) for i in range(10)]
    state = spool.state()
    assert state.points == 0 and state.bytes == 0
    assert len(list((tmp_path / "segments").glob("*.seg"))) == 1  # only the active one


def test_commit_survives_restart_none_twice(tmp_path: Path) -> None:
    spool = make(tmp_path, segment_bytes=300)
    for i in range(6):
        spool.append(batch(i), 2)
    for _ in range(4):
        rec = spool.read_next()
        assert rec is not None
        spool.commit(rec)
    spool.read_next()  # in flight, never acknowledged: must come back
    spool.close()
    again = make(tmp_path)
    assert again.state().points == 4
    assert drain(again) == [batch(4), batch(5)]
    again.append(batch(6), 2)
    assert drain(again) == [batch(6)]


def test_torn_tail_is_cut_and_the_rest_kept(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(3):
        spool.append(batch(i), 2)
    spool.close()
    (seg,) = (tmp_path / "segments").glob("*.seg")
    size = seg.stat().st_size
    with seg.open("r+b") as fh:  # the last record lost its final bytes (kill -9 mid-write)
        fh.truncate(size - 5)
    again = make(tmp_path)
    assert drain(again) == [batch(0), batch(1)]
    assert again.state().counters.corrupt_bytes > 0


def test_garbage_after_a_crash_is_skipped(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.close()
    (seg,) = (tmp_path / "segments").glob("*.seg")
    with seg.open("ab") as fh:
        fh.write(b"LPRC\xff\xff")  # a header torn after 6 bytes
    again = make(tmp_path)
    again.append(batch(1), 2)
    assert drain(again) == [batch(0), batch(1)]


def test_damage_inside_a_segment_skips_only_the_bad_record(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(3):
        spool.append(batch(i), 2)
    spool.close()
    (seg,) = (tmp_path / "segments").glob("*.seg")
    data = bytearray(seg.read_bytes())
    second = len(FILE_MAGIC) + HEADER_SIZE + len(batch(0))
    data[second + HEADER_SIZE + 3] ^= 0xFF  # flip a payload bit of the second record
    seg.write_bytes(bytes(data))
    again = make(tmp_path)
    assert drain(again) == [batch(0), batch(2)]
    assert again.state().counters.corrupt_bytes == HEADER_SIZE + len(batch(1))


def test_full_spool_drops_oldest_first_and_counts(tmp_path: Path) -> None:
    record = HEADER_SIZE + len(batch(0))
    spool = make(tmp_path, segment_bytes=len(FILE_MAGIC) + 2 * record, max_bytes=8 * record)
    for i in range(20):
        spool.append(batch(i), 2)
    state = spool.state()
    kept = drain(spool)
    assert kept == [batch(i) for i in range(20 - len(kept), 20)]  # the newest, in order
    assert state.counters.dropped_points == 2 * (20 - len(kept))
    assert len(kept) >= 4


def test_drop_keeps_count_of_already_committed_points(tmp_path: Path) -> None:
    record = HEADER_SIZE + len(batch(0))
    spool = make(tmp_path, segment_bytes=len(FILE_MAGIC) + 4 * record, max_bytes=6 * record)
    for i in range(4):
        spool.append(batch(i), 2)
    rec = spool.read_next()
    assert rec is not None
    spool.commit(rec)  # one of the four is acknowledged
    for i in range(4, 8):
        spool.append(batch(i), 2)
    assert spool.state().counters.dropped_points == 6  # only the three unsent batches


def test_max_age_expires_old_segments(tmp_path: Path) -> None:
    clock = Clock()
    spool = make(tmp_path, clock, max_age_s=3600, segment_age_s=60)
    spool.append(batch(0), 2)
    clock.now += 120 * 10**9
    spool.append(batch(1), 2)
    clock.now += 3590 * 10**9  # batch 0 is now older than an hour, batch 1 is not
    spool.expire()
    assert spool.state().counters.dropped_points == 2
    assert drain(spool) == [batch(1)]


def test_quarantine_keeps_the_batch_aside(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.append(batch(1), 2)
    rec = spool.read_next()
    assert rec is not None
    path = spool.quarantine([rec], "HTTP 400: bad")
    assert path is not None and path.read_bytes() == batch(0)
    assert "HTTP 400" in path.with_suffix(".json").read_text()
    assert drain(spool) == [batch(1)]
    assert spool.state().counters.rejected_points == 2
    assert spool.state().rejected_files == 1


def test_read_batch_merges_records_up_to_the_limit(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(5):
        spool.append(batch(i), 2)
    first = spool.read_batch(max_points=6)
    assert [r.payload for r in first] == [batch(0), batch(1), batch(2)]
    spool.commit(*first)
    assert [r.payload for r in spool.read_batch(max_points=100)] == [batch(3), batch(4)]


def test_one_owner_per_directory_and_read_only_status(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 3)
    with pytest.raises(
        SpoolError, match=f"in use by another lanpulse process \\(pid {os.getpid()}"
    ):
        make(tmp_path)
    status = inspect_spool(tmp_path)
    assert status.points == 3 and status.segments == 1
    spool.close()
    make(tmp_path).close()  # the lock is free again


def test_empty_or_headerless_segments_after_a_crash(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.close()
    segments = tmp_path / "segments"
    (segments / "0000000000000005.seg").write_bytes(b"")  # created, then killed
    (seg1,) = sorted(segments.glob("*.seg"))[:1]
    data = bytearray(seg1.read_bytes())
    data[0:8] = b"\0" * 8  # the file header rotted; the record behind it is intact
    seg1.write_bytes(bytes(data))
    again = make(tmp_path)
    assert drain(again) == [batch(0)]
    again.append(batch(1), 2)
    assert drain(again) == [batch(1)]


def test_age_is_that_of_the_oldest_unsent_batch(tmp_path: Path) -> None:
    clock = Clock()
    t0 = clock.now
    spool = make(tmp_path, clock)
    spool.append(batch(0), 2)
    clock.now += 100 * 10**9
    spool.append(batch(1), 2)
    assert spool.state().oldest_ns == t0
    rec = spool.read_next()
    assert rec is not None
    spool.commit(rec)
    assert spool.state().oldest_ns == t0 + 100 * 10**9
    assert spool.state().newest_ns == t0 + 100 * 10**9
    drain(spool)
    assert spool.state().oldest_ns is None


def test_memory_copy_is_sent_and_disk_serves_the_rest(tmp_path: Path) -> None:
    # Batches appended since the last commit come from memory (the very payload objects);
    # beyond `cache_bytes`, and after a restart, the same records come from disk.
    spool = make(tmp_path, cache_bytes=len(batch(0)) + len(batch(1)))
    payloads = [batch(i) for i in range(4)]
    for p in payloads:
        spool.append(p, 2)
    cached = spool.read_batch_cached(max_points=100)
    assert cached is not None and [r.payload for r in cached] == payloads[:2]
    assert all(r.payload is p for r, p in zip(cached, payloads, strict=False))
    full = spool.read_batch(max_points=100)
    assert [r.payload for r in full] == payloads  # the uncached two read from disk
    assert [(r.offset, r.end) for r in full[:2]] == [(r.offset, r.end) for r in cached]
    spool.commit(*cached)
    assert spool.read_batch_cached(max_points=100) is None  # next record only on disk
    spool.close()
    spool = make(tmp_path)
    assert spool.read_batch_cached(max_points=100) is None  # a new segment to step into
    assert [r.payload for r in spool.read_batch(max_points=100)] == payloads[2:]
    assert drain(spool) == payloads[2:]
    spool.append(batch(9), 2)
    assert [r.payload for r in spool.read_batch_cached(max_points=100) or []] == [batch(9)]


def test_cached_read_never_waits_and_forgets_what_is_gone(tmp_path: Path) -> None:
    spool = make(tmp_path, segment_bytes=200, max_bytes=400)
    spool.append(batch(0), 2)
    assert spool._lock.acquire()  # as an append in a worker thread would hold it
    try:
        result: list[object] = []

        t = threading.Thread(target=lambda: result.append(spool.read_batch_cached(10)))
        t.start()
        t.join()
        assert result == [None]
    finally:
        spool._lock.release()
    for i in range(1, 12):  # segments roll and the oldest are dropped for space
        spool.append(batch(i), 2)
    kept = drain(spool)
    assert kept == [batch(i) for i in range(12 - len(kept), 12)] and len(kept) < 12
    assert spool.read_batch_cached(10) == [] and spool._cache == {}
    assert spool._cached_bytes == 0


def test_commit_slots_a_torn_write_keeps_the_previous_cursor(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(3):
        spool.append(batch(i), 2)
    for _ in range(2):
        rec = spool.read_next()
        assert rec is not None
        spool.commit(rec)
    spool.close()
    raw = bytearray((tmp_path / "commit").read_bytes())
    assert len(raw) == 128 and raw.count(b"\n") == 2  # two slots, one line each
    newest = max(range(2), key=lambda i: int(raw[i * 64 : i * 64 + 64].split()[0]))
    raw[newest * 64 + 5] ^= 0x01  # the newest slot torn by a crash mid-write
    (tmp_path / "commit").write_bytes(bytes(raw))
    spool = make(tmp_path)
    assert drain(spool) == [batch(1), batch(2)]  # only the torn commit's batch comes again
    spool.close()
    assert inspect_spool(tmp_path).points == 0
    spool = make(tmp_path)
    assert drain(spool) == []


def test_commit_file_from_before_slots_is_read_and_converted(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(3):
        spool.append(batch(i), 2)
    first = spool.read_next()
    assert first is not None
    spool.close()
    (tmp_path / "commit").write_text(f"{first.seq} {first.end} {first.points}\n")
    assert inspect_spool(tmp_path).points == 4
    spool = make(tmp_path)
    assert len((tmp_path / "commit").read_bytes()) == 128
    assert drain(spool) == [batch(1), batch(2)]


def test_commit_nowait_only_when_it_is_one_small_write(tmp_path: Path) -> None:
    spool = make(tmp_path / "never", segment_bytes=150)
    for i in range(3):
        spool.append(batch(i), 2)
    first = spool.read_batch(max_points=2)
    assert spool.commit_nowait(first)
    assert not spool.commit_nowait(first)  # no longer the next records: the slow path decides
    second = spool.read_batch(max_points=2)
    spool.append(batch(3), 2)  # rolls to a new segment: the head one is sealed
    assert spool.state().segments == 2
    rest = spool.read_batch(max_points=100)
    assert [r.payload for r in second] == [batch(1)]
    assert not spool.commit_nowait(second + rest)  # completes the sealed head: a delete
    spool.commit(*second, *rest)
    assert spool.state().segments == 1
    spool.close()
    assert drain(make(tmp_path / "never")) == [batch(3)]

    always = Spool(tmp_path / "always", clock_ns=Clock(), fsync="always")
    always.append(batch(0), 2)
    assert not always.commit_nowait(always.read_batch(2))
    due = Spool(tmp_path / "due", clock_ns=Clock(), fsync="interval", fsync_interval_s=0.0)
    due.append(batch(0), 2)
    assert not due.commit_nowait(due.read_batch(2))  # an fdatasync is due: a worker's job
    interval = Spool(tmp_path / "interval", clock_ns=Clock(), fsync="interval", fsync_interval_s=60)
    interval.append(batch(0), 2)
    interval.append(batch(1), 2)
    assert interval.commit_nowait(interval.read_batch(2))  # synced at open: not due yet
    interval.sync_due()
    interval.close()
    reopened = Spool(tmp_path / "interval", clock_ns=Clock(), fsync="interval")
    assert drain(reopened) == [batch(1)]


def test_no_memory_copy_when_nobody_sends(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.keep_in_memory(False)  # spool-only mode: the data stays on disk only
    spool.append(batch(1), 2)
    assert spool._cache == {} and spool._cached_bytes == 0
    assert spool.read_batch_cached(10) is None
    assert drain(spool) == [batch(0), batch(1)]
