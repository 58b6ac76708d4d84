"""The durable spool: order, commit cursor, torn writes, damage, size and age bounds, lock."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from lanpulse.timeseries.segment import FILE_MAGIC, HEADER_SIZE
from lanpulse.timeseries.segment_files import SegmentFiles
from lanpulse.timeseries.shipper import Shipper
from lanpulse.timeseries.spool import Spool, SpoolError, SpoolRecord, inspect_spool


class Clock:
    """An injected wall clock in nanoseconds."""

    def __init__(self) -> None:
        self.now = 1_700_000_000 * 10**9

    def __call__(self) -> int:
        return self.now


def batch(i: int, points: int = 2) -> bytes:
    return b"".join(f"m,b={i} v={j}i {i * 1000 + j}\n".encode() for j in range(points))


def next_record(spool: Spool) -> SpoolRecord | None:
    got = spool.read_batch(1)
    return got[0] if got else None


def drain(spool: Spool) -> list[bytes]:
    out = []
    while recs := spool.read_batch(1):
        rec = recs[0]
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
        rec = next_record(spool)
        assert rec is not None
        spool.commit(rec)
    next_record(spool)  # in flight, never acknowledged: must come back
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


def test_damage_inside_a_segment_skips_only_the_bad_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
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
    with caplog.at_level(logging.WARNING, logger="lanpulse"):
        assert drain(again) == [batch(0), batch(2)]
    assert again.state().counters.corrupt_bytes == HEADER_SIZE + len(batch(1))
    (warning,) = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert f"{HEADER_SIZE + len(batch(1))} damaged bytes skipped in {seg.name}" in warning
    shipper_stats = Shipper(again, None).stats().as_fields()  # what /metrics shows
    assert shipper_stats["spool_corrupt_bytes"] == HEADER_SIZE + len(batch(1))


def test_age_is_that_of_the_oldest_unsent_point_not_of_the_open_segment(tmp_path: Path) -> None:
    clock = Clock()
    t0 = clock.now
    spool = make(tmp_path, clock)
    spool.append(batch(0), 2)
    spool.commit(*spool.read_batch(10))  # sent at once
    clock.now += 120 * 10**9
    spool.append(batch(1), 2)  # two minutes later, into the same open segment (before)
    assert spool.state().oldest_ns == t0 + 120 * 10**9


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
    rec = next_record(spool)
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
    rec = next_record(spool)
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
    rec = next_record(spool)
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
    full = spool.read_batch(max_points=100)
    assert [r.payload for r in full] == payloads  # the uncached two read from disk
    assert all(r.payload is p for r, p in zip(full[:2], payloads, strict=False))
    assert all(r.payload is not p for r, p in zip(full[2:], payloads[2:], strict=False))
    spool.commit(*full[:2])
    spool.close()
    spool = make(tmp_path)
    assert [r.payload for r in spool.read_batch(max_points=100)] == payloads[2:]
    assert drain(spool) == payloads[2:]
    spool.append(batch(9), 2)
    assert [r.payload for r in spool.read_batch(max_points=100)] == [batch(9)]


def test_commit_slots_a_torn_write_keeps_the_previous_cursor(tmp_path: Path) -> None:
    spool = make(tmp_path)
    for i in range(3):
        spool.append(batch(i), 2)
    for _ in range(2):
        rec = next_record(spool)
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
    first = next_record(spool)
    assert first is not None
    spool.close()
    (tmp_path / "commit").write_text(f"{first.seq} {first.end} {first.points}\n")
    assert inspect_spool(tmp_path).points == 4
    spool = make(tmp_path)
    assert len((tmp_path / "commit").read_bytes()) == 128
    assert drain(spool) == [batch(1), batch(2)]


def test_no_memory_copy_when_nobody_sends(tmp_path: Path) -> None:
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.keep_in_memory(False)  # spool-only mode: the data stays on disk only
    spool.append(batch(1), 2)
    assert spool._cache.bytes == 0
    assert drain(spool) == [batch(0), batch(1)]


def test_sent_active_segment_is_deleted_and_a_restart_keeps_what_came_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a disk with less room than a segment (tests/test_timeseries_full_disk.py has the
    # real small filesystem), the sent active segment goes at once.
    monkeypatch.setattr(SegmentFiles, "space_is_short", lambda self: True)
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    spool.commit(*spool.read_batch(10))  # all sent: the open segment goes at once
    assert list((tmp_path / "segments").glob("*.seg")) == []
    spool.append(batch(1), 2)  # a new segment, numbered after the cursor
    spool.close()
    again = make(tmp_path)
    assert drain(again) == [batch(1)]


def test_after_a_restart_with_every_segment_sent_and_gone_new_data_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the v3-inform restart test: the cursor kept naming the deleted segment, the
    # next run's first segment took the same number, and its batches (at offsets below the
    # cursor) counted as sent without ever being read.
    monkeypatch.setattr(SegmentFiles, "space_is_short", lambda self: True)
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    assert drain(spool) == [batch(0)]
    assert list((tmp_path / "segments").glob("*.seg")) == []
    spool.close()
    again = make(tmp_path)
    again.append(batch(1), 2)
    assert again.state().points == 2
    assert drain(again) == [batch(1)]


def test_a_restart_after_everything_was_sent_keeps_sending(tmp_path: Path) -> None:
    # The same at start-up: a fully sent segment is removed while the spool opens.
    spool = make(tmp_path)
    spool.append(batch(0), 2)
    assert drain(spool) == [batch(0)]
    spool.close()
    again = make(tmp_path)
    again.append(batch(1), 2)
    assert again.state().points == 2
    assert drain(again) == [batch(1)]
