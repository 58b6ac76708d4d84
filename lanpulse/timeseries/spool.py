"""The durable spool: append-only line-protocol segments with a persisted commit cursor.

Every batch is appended (and, by default, fsynced) before anything is sent; it is committed
only after the sink acknowledged it. The commit cursor (segment, offset) is written in
place into one of two CRC'd slots in turn, so a process killed at any instant (even mid-way
through that write) resends at most the batch that was in flight (at-least-once; InfluxDB
keeps one point per series and timestamp, so a resend does not duplicate). Bounded by
`max_bytes` (oldest segments go first, their points counted as dropped) and `max_age`. One
process owns a spool directory at a time (flock).

The records appended since the last commit are also kept in memory (up to `cache_bytes`), so
the sender does not read back from disk what was just written; the disk copy is what a
restart, or a backlog larger than the cache, reads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanpulse.timeseries.segment import (
    FILE_MAGIC,
    SpoolRecord,
    frame_header,
    fsync_dir,
    iter_records,
    peek_created_ns,
    read_one,
    read_segment,
    scan_segment,
    segment_name,
    segment_seq,
)
from lanpulse.timeseries.spool_state import (
    CommitFile,
    FsyncPolicy,
    SpoolCounters,
    SpoolError,
    SpoolState,
    atomic_write,
    inspect_spool,
    load_counters,
)

__all__ = ["Spool", "SpoolCounters", "SpoolError", "SpoolRecord", "SpoolState", "inspect_spool"]


@dataclass(slots=True)
class _Segment:
    seq: int
    path: Path
    size: int
    points: int
    first_ns: int | None
    last_ns: int | None
    sealed: bool


class Spool:
    """A directory of segments; thread-safe (one appender and one sender thread at a time)."""

    def __init__(
        self,
        directory: str | Path,
        *,
        max_bytes: int = 1024**3,
        max_age_s: float = 7 * 86400.0,
        segment_bytes: int = 16 * 1024**2,
        segment_age_s: float = 300.0,
        fsync: FsyncPolicy = "always",
        fsync_interval_s: float = 1.0,
        rejected_max_bytes: int = 100 * 1024**2,
        cache_bytes: int = 32 * 1024**2,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.segment_bytes = segment_bytes
        self.segment_age_s = segment_age_s
        self.fsync = fsync
        self.fsync_interval_s = fsync_interval_s
        self.rejected_max_bytes = rejected_max_bytes
        self.cache_bytes = cache_bytes
        self._clock_ns = clock_ns
        self._lock = threading.RLock()
        self._segments: list[_Segment] = []
        self._fd: int | None = None  # append fd of the last (active) segment
        self._lock_fd: int | None = None
        self._last_fsync = 0.0
        self._segment_dirty = False  # appended since the last fsync ("interval")
        self._commit_file: CommitFile | None = None
        self._commit_seq = 0
        self._commit_offset = 0
        self._commit_points = 0  # points of the current segment before the commit offset
        self._next_ns: int | None = None  # creation time of the next unsent record, if known
        self._counters = SpoolCounters()
        self._rejected_files = 0
        # Unacknowledged records by (seq, offset), in append order (so the oldest is first).
        self._cache: dict[tuple[int, int], SpoolRecord] = {}
        self._cached_bytes = 0
        self._caching = True
        self._open()

    # --- opening -------------------------------------------------------------------------

    @property
    def segments_dir(self) -> Path:
        """Where the segment files live."""
        return self.directory / "segments"

    @property
    def rejected_dir(self) -> Path:
        """Where batches InfluxDB refused for their content are quarantined."""
        return self.directory / "rejected"

    def _open(self) -> None:
        try:
            self.segments_dir.mkdir(parents=True, exist_ok=True)
            self.rejected_dir.mkdir(exist_ok=True)
            self._lock_fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SpoolError(f"spool directory {self.directory}: {exc.strerror}") from exc
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._lock_fd, 32, 0).decode(errors="replace").strip()
            os.close(self._lock_fd)
            self._lock_fd = None
            raise SpoolError(
                f"spool directory {self.directory} is in use by another lanpulse process"
                + (f" (pid {holder})" if holder else "")
            ) from None
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, f"{os.getpid()}\n".encode(), 0)
        self._counters = load_counters(self.directory)
        self._rejected_files = len(list(self.rejected_dir.glob("*.lp")))
        self._commit_file = CommitFile(self.directory, self.fsync, self.fsync_interval_s)
        self._commit_seq, self._commit_offset, self._commit_points = self._commit_file.cursor
        corrupt = 0
        for path in sorted(self.segments_dir.glob("*.seg")):
            seq = segment_seq(path)
            if seq is None:
                continue
            scan = scan_segment(path)
            file_size = path.stat().st_size
            if scan.records == 0:  # created, but nothing intact was ever written to it
                corrupt += max(file_size - len(FILE_MAGIC), 0)
                path.unlink()
                continue
            if scan.valid_end < file_size:
                # A torn tail from a crash: keep every intact record before it. (Damage
                # between intact records is counted when the reader skips it.)
                with path.open("r+b") as fh:
                    fh.truncate(max(scan.valid_end, len(FILE_MAGIC)))
                corrupt += file_size - scan.valid_end
            end = scan.valid_end
            seg = _Segment(seq, path, end, scan.points, scan.first_ns, scan.last_ns, True)
            committed = seq == self._commit_seq and self._commit_offset >= end
            if seq < self._commit_seq or committed:
                path.unlink()  # fully acknowledged before the crash
                continue
            self._segments.append(seg)
        if self._segments and self._segments[0].seq != self._commit_seq:
            self._commit_seq, self._commit_offset, self._commit_points = (
                self._segments[0].seq,
                len(FILE_MAGIC),
                0,
            )
        if self._segments and self._commit_offset > len(FILE_MAGIC):
            self._next_ns = peek_created_ns(self._segments[0].path, self._commit_offset)
        if corrupt:
            self._bump(corrupt_bytes=corrupt)
        self.expire()

    def close(self) -> None:
        """Close the active segment and release the directory lock."""
        with self._lock:
            if self._fd is not None:
                if self.fsync != "never":
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
            if self._commit_file is not None:
                self._commit_file.close()
            if self._segments:
                self._segments[-1].sealed = True
            self._cache.clear()
            self._cached_bytes = 0
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # --- appending -----------------------------------------------------------------------

    def append(self, payload: bytes, points: int) -> None:
        """Durably add one batch (line protocol) at the end of the spool."""
        if not payload:
            return
        now = self._clock_ns()
        header = frame_header(payload, points, now)  # the CRC, outside the lock
        size = len(header) + len(payload)
        with self._lock:
            self._expire_locked(now)
            if size + len(FILE_MAGIC) > self.max_bytes:
                self._bump(dropped_points=points)  # a batch larger than the whole spool
                return
            self._make_room(size)
            seg = self._active_segment(now)
            assert self._fd is not None
            try:
                # One system call as before, without copying the payload behind its header.
                written = os.writev(self._fd, (header, payload))
                if written != size:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            except OSError:
                # Disk full or I/O error: cut the partial record so the segment stays valid.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, seg.size)
                raise
            offset = seg.size
            seg.size += size
            seg.points += points
            seg.first_ns = seg.first_ns if seg.first_ns is not None else now
            seg.last_ns = now
            self._maybe_fsync(self._fd)
            if self._caching and self._cached_bytes + len(payload) <= self.cache_bytes:
                record = SpoolRecord(seg.seq, offset, seg.size, points, now, payload)
                self._cache[(seg.seq, offset)] = record
                self._cached_bytes += len(payload)

    def keep_in_memory(self, enabled: bool) -> None:
        """Keep unsent batches in memory for a sender (default), or not (nobody sends)."""
        with self._lock:
            self._caching = enabled
            if not enabled:
                self._cache.clear()
                self._cached_bytes = 0

    def _active_segment(self, now: int) -> _Segment:
        seg = self._segments[-1] if self._segments else None
        if seg is not None and not seg.sealed:
            too_old = seg.first_ns is not None and now - seg.first_ns >= self.segment_age_s * 1e9
            if seg.size < self.segment_bytes and not too_old:
                return seg
            self._seal(seg)
        seq = max(self._segments[-1].seq + 1 if self._segments else 1, self._commit_seq)
        path = self.segments_dir / segment_name(seq)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(self._fd, FILE_MAGIC)
        if self.fsync != "never":
            os.fsync(self._fd)
            fsync_dir(self.segments_dir)
        new = _Segment(seq, path, len(FILE_MAGIC), 0, None, None, False)
        self._segments.append(new)
        if len(self._segments) == 1:
            self._set_commit(seq, len(FILE_MAGIC), 0)
        return new

    def _seal(self, seg: _Segment) -> None:
        if self._fd is not None:
            if self.fsync != "never":
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        seg.sealed = True
        if seg.seq == self._commit_seq and self._commit_offset >= seg.size:
            self._delete_head()

    def _maybe_fsync(self, fd: int) -> None:
        if self.fsync == "always":
            os.fsync(fd)
        elif self.fsync == "interval":
            mono = time.monotonic()
            if mono - self._last_fsync >= self.fsync_interval_s:
                os.fsync(fd)
                self._last_fsync = mono
                self._segment_dirty = False
            else:
                self._segment_dirty = True

    def sync_due(self) -> None:
        """With `fsync: interval`, fsync what waits longer than the interval (when idle).

        Appends and commits fsync when the interval has passed; the last ones before a quiet
        spell would otherwise wait for the next append or commit (or the kernel).
        """
        if self.fsync != "interval":
            return
        with self._lock:
            mono = time.monotonic()
            due = mono - self.fsync_interval_s
            if self._segment_dirty and self._fd is not None and self._last_fsync <= due:
                os.fsync(self._fd)
                self._last_fsync = mono
                self._segment_dirty = False
            if self._commit_file is not None:
                self._commit_file.sync_if_due()

    # --- bounds --------------------------------------------------------------------------

    def _disk_bytes(self) -> int:
        return sum(s.size for s in self._segments)

    def _make_room(self, incoming: int) -> None:
        while self._segments and self._disk_bytes() + incoming > self.max_bytes:
            head = self._segments[0]
            if not head.sealed:
                self._seal(head)
                if not self._segments or self._segments[0] is not head:
                    continue
            self._drop_head()

    def expire(self) -> None:
        """Drop segments whose newest batch is older than `max_age` (counted as dropped)."""
        with self._lock:
            self._expire_locked(self._clock_ns())

    def _expire_locked(self, now: int) -> None:
        if self.max_age_s == float("inf"):
            return
        limit = now - int(self.max_age_s * 1e9)
        while self._segments and (self._segments[0].last_ns or now) < limit:
            head = self._segments[0]
            if not head.sealed:
                self._seal(head)
                if not self._segments or self._segments[0] is not head:
                    continue
            self._drop_head()

    def _drop_head(self) -> None:
        head = self._segments[0]
        lost = head.points - (self._commit_points if head.seq == self._commit_seq else 0)
        self._delete_head()
        if lost:
            self._bump(dropped_points=lost)

    def _delete_head(self) -> None:
        head = self._segments.pop(0)
        if self._segments:
            self._set_commit(self._segments[0].seq, len(FILE_MAGIC), 0)
        else:
            self._set_commit(head.seq + 1, len(FILE_MAGIC), 0)
        with contextlib.suppress(FileNotFoundError):
            head.path.unlink()

    # --- reading and committing -------------------------------------------------------------

    def read_next(self) -> SpoolRecord | None:
        """The oldest batch not yet acknowledged, or None when everything was sent."""
        with self._lock:
            while self._segments:
                seg = self._segments[0]
                if seg.seq != self._commit_seq:
                    self._set_commit(seg.seq, len(FILE_MAGIC), 0)
                offset, size = max(self._commit_offset, len(FILE_MAGIC)), seg.size
                if offset < size:
                    record = self._read_from(seg, offset, size)
                    if record is not None:
                        return record
                if not seg.sealed:
                    return None
                self._delete_head()  # sealed and fully read (or only damage left)
            return None

    def _read_from(self, seg: _Segment, offset: int, size: int) -> SpoolRecord | None:
        record = self._cache.get((seg.seq, offset)) or read_one(seg.path, seg.seq, offset, size)
        if record is not None:
            return record
        # Damaged bytes (bit rot, a torn write inside an old segment): resynchronise.
        data = read_segment(seg.path)[:size]
        skipped: list[int] = []
        for rec in iter_records(data, seg.seq, offset, skipped):
            self._bump(corrupt_bytes=sum(skipped))
            self._set_commit(seg.seq, rec.offset, self._commit_points)
            return rec
        self._bump(corrupt_bytes=sum(skipped))
        self._set_commit(seg.seq, size, self._commit_points)
        return None

    def read_batch(self, max_points: int, max_bytes: int = 8 * 1024**2) -> list[SpoolRecord]:
        """The oldest unacknowledged records of the head segment, up to the given totals.

        Merging small records makes a replay of a long spool-only period take few requests.
        """
        with self._lock:
            first = self.read_next()
            if first is None:
                return []
            batch = [first]
            points, size = first.points, len(first.payload)
            seg = self._segments[0]
            while points < max_points and size < max_bytes and batch[-1].end < seg.size:
                end = batch[-1].end
                nxt = self._cache.get((seg.seq, end)) or read_one(seg.path, seg.seq, end, seg.size)
                if nxt is None or points + nxt.points > max_points:
                    break
                batch.append(nxt)
                points += nxt.points
                size += len(nxt.payload)
            return batch

    def read_batch_cached(
        self, max_points: int, max_bytes: int = 8 * 1024**2
    ) -> list[SpoolRecord] | None:
        """`read_batch` when memory alone can answer at once, else None (then call that).

        Never waits: not for the lock (an append may hold it during its fsync), nor for the
        disk (a record not cached, a head segment to delete), so an event loop may call it.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if not self._segments:
                return []
            seg = self._segments[0]
            offset = max(self._commit_offset, len(FILE_MAGIC))
            if seg.seq != self._commit_seq:
                return None  # the cursor must step into this segment first: a file write
            if offset >= seg.size:
                return None if seg.sealed else []  # sealed and all sent: to be deleted
            cache = self._cache
            first = cache.get((seg.seq, offset))
            if first is None:
                return None
            batch = [first]
            points, size = first.points, len(first.payload)
            while points < max_points and size < max_bytes:
                nxt = cache.get((seg.seq, batch[-1].end))
                if nxt is None or points + nxt.points > max_points:
                    break  # the rest is read (from memory or disk) on the next call
                batch.append(nxt)
                points += nxt.points
                size += len(nxt.payload)
            return batch
        finally:
            self._lock.release()

    def commit(self, *records: SpoolRecord) -> None:
        """Mark consecutive `records` acknowledged: never sent again, their space freed."""
        with self._lock:
            if self._is_next_run(records):
                self._commit_run(records)  # the usual case: one cursor write for the batch
                return
            for record in records:
                self._commit_one(record)

    def commit_nowait(self, records: Sequence[SpoolRecord]) -> bool:
        """`commit` at once when it is one small in-place write, else False (then call that).

        That is: the lock is free, the records are the next ones of the head segment, and
        neither an fsync (`fsync: always`, or an `interval` that is due), nor a segment to
        delete, nor a record header to read from disk comes with it. Writing 64 bytes into
        the page cache does not wait for the disk, so an event loop may call this.
        """
        if self.fsync == "always" or not self._lock.acquire(blocking=False):
            return False
        try:
            if self._commit_file is None or self._commit_file.sync_due():
                return False
            if not self._is_next_run(records):
                return False
            seg, end = self._segments[0], records[-1].end
            if seg.sealed and end >= seg.size:
                return False  # the head segment is all sent: deleting it is file work
            if end < seg.size and (seg.seq, end) not in self._cache:
                return False  # the next record's time would be read from disk
            self._commit_run(records)
            return True
        finally:
            self._lock.release()

    def _is_next_run(self, records: Sequence[SpoolRecord]) -> bool:
        """True when `records` follow each other from the cursor on, in the head segment."""
        if not records or not self._segments or self._segments[0].seq != self._commit_seq:
            return False
        at = self._commit_offset
        for record in records:
            if record.seq != self._commit_seq or record.offset != at:
                return False
            at = record.end
        return at <= self._segments[0].size

    def _commit_run(self, records: Sequence[SpoolRecord]) -> None:
        points = self._commit_points + sum(r.points for r in records)
        self._commit_one_at(records[-1], points)

    def _commit_one_at(self, record: SpoolRecord, points: int) -> None:
        self._set_commit(record.seq, record.end, points)
        seg = self._segments[0]
        nxt = self._cache.get((record.seq, record.end))
        if nxt is not None:
            self._next_ns = nxt.created_ns
        elif record.end < seg.size:
            self._next_ns = peek_created_ns(seg.path, record.end)
        else:
            self._next_ns = None
        if seg.sealed and record.end >= seg.size:
            self._delete_head()

    def _commit_one(self, record: SpoolRecord) -> None:
        if record.seq != self._commit_seq or record.offset < self._commit_offset:
            if self._segments and record.seq < self._segments[0].seq:
                # Dropped for space while in flight, yet it arrived: not lost after all.
                self._bump(dropped_points=-record.points)
            return
        self._commit_one_at(record, self._commit_points + record.points)

    def quarantine(self, records: list[SpoolRecord], reason: str) -> Path | None:
        """Move batches the sink refused for their content to `rejected/`, then commit them."""
        with self._lock:
            if not records:
                return None
            first = records[0]
            stem = f"{first.seq:016d}-{first.offset:012d}"
            path = self.rejected_dir / f"{stem}.lp"
            path.write_bytes(b"".join(r.payload for r in records))
            points = sum(r.points for r in records)
            meta = {"points": points, "created_ns": first.created_ns, "error": reason}
            (self.rejected_dir / f"{stem}.json").write_text(json.dumps(meta) + "\n")
            if self.fsync != "never":
                fsync_dir(self.rejected_dir)
            self._bump(rejected_points=points)
            self._rejected_files += 1
            self._trim_rejected()
            self.commit(*records)
            return path

    def _trim_rejected(self) -> None:
        files = sorted(self.rejected_dir.glob("*.lp"))
        total = sum(f.stat().st_size for f in files)
        while files and total > self.rejected_max_bytes:
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            self._rejected_files -= 1
            with contextlib.suppress(FileNotFoundError):
                oldest.with_suffix(".json").unlink()

    # --- persisted state ------------------------------------------------------------------

    def _set_commit(self, seq: int, offset: int, points: int) -> None:
        if (seq, offset, points) == (self._commit_seq, self._commit_offset, self._commit_points):
            return
        self._commit_seq, self._commit_offset, self._commit_points = seq, offset, points
        if self._commit_file is None:
            raise SpoolError(f"spool directory {self.directory} is not open")
        self._commit_file.write(seq, offset, points)
        cache = self._cache
        while cache:  # forget what is now behind the cursor (acknowledged, dropped, deleted)
            key = next(iter(cache))
            if key >= (seq, offset):
                break
            self._cached_bytes -= len(cache.pop(key).payload)

    def _bump(self, **delta: int) -> None:
        c = self._counters
        self._counters = SpoolCounters(
            dropped_points=c.dropped_points + delta.get("dropped_points", 0),
            rejected_points=c.rejected_points + delta.get("rejected_points", 0),
            corrupt_bytes=c.corrupt_bytes + delta.get("corrupt_bytes", 0),
        )
        if self._counters != c:
            text = json.dumps(
                {
                    "dropped_points": self._counters.dropped_points,
                    "rejected_points": self._counters.rejected_points,
                    "corrupt_bytes": self._counters.corrupt_bytes,
                }
            )
            atomic_write(self.directory / "counters.json", text + "\n", self.fsync)

    def state(self) -> SpoolState:
        """A consistent snapshot of what waits in the spool."""
        with self._lock:
            segs = self._segments
            points = sum(s.points for s in segs)
            pending_bytes = sum(s.size - len(FILE_MAGIC) for s in segs)
            oldest = next((s.first_ns for s in segs if s.first_ns is not None), None)
            if segs and segs[0].seq == self._commit_seq:
                points -= self._commit_points
                if self._next_ns is not None and self._commit_offset > len(FILE_MAGIC):
                    oldest = self._next_ns  # the head segment is partly sent
                pending_bytes -= max(self._commit_offset - len(FILE_MAGIC), 0)
                if points == 0:
                    oldest = None
            newest = segs[-1].last_ns if segs and points else None
            return SpoolState(
                directory=str(self.directory),
                segments=len(segs),
                bytes=max(pending_bytes, 0),
                points=points,
                oldest_ns=oldest,
                newest_ns=newest,
                rejected_files=self._rejected_files,
                counters=self._counters,
            )
