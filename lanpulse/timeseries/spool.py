"""The durable spool: append-only line-protocol segments with a persisted commit cursor.

Every batch is appended (and, by default, fsynced) before anything is sent, and committed
only after the sink acknowledged it. The cursor is written in place into one of two CRC'd
slots in turn, so a process killed at any instant resends at most the batch in flight
(at-least-once; InfluxDB keeps one point per series and timestamp: no duplicates). Bounded
by `max_bytes` and `max_age` (the oldest go first, counted as dropped). One process owns a
directory (flock). A segment whose batches were all acknowledged is deleted at once, the
active one too when the disk runs short, so sent data never fills it.

When the disk refuses a batch (full, read-only) it is held in memory (`hold_bytes`): a
sender sends held batches first; without one they go to disk once it has room. Only what
overflows the hold is dropped, counted and logged with its reason. Batches just appended
are also kept in memory (`cache_bytes`), so the sender rarely reads back from disk.
Thread-safe: the shipper appends and sends from worker threads. (~450 lines: appending,
reading and committing share the cursor, the cache and the hold under one lock; the file
work, the memory side, the persisted state and the rejected store have their own modules.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lanpulse.core.repeat_log import RepeatLog
from lanpulse.timeseries.rejected import RejectedStore
from lanpulse.timeseries.segment import FILE_MAGIC, SpoolRecord, frame_header, peek_created_ns
from lanpulse.timeseries.segment_files import SegmentFiles
from lanpulse.timeseries.spool_memory import HELD_SEQ, MemoryHold, RecordCache
from lanpulse.timeseries.spool_state import (
    CommitFile,
    CounterFile,
    FsyncPolicy,
    SpoolCounters,
    SpoolError,
    SpoolState,
    inspect_spool,
    lock_directory,
)

__all__ = ["Spool", "SpoolCounters", "SpoolError", "SpoolRecord", "SpoolState", "inspect_spool"]

log = logging.getLogger("lanpulse.timeseries")


class Spool:
    """A directory of segments plus the batches held in memory while the disk refuses them."""

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
        hold_bytes: int = 32 * 1024**2,
        clock_ns: Callable[[], int] = time.time_ns,
        problems: RepeatLog | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.fsync = fsync
        self.hold_bytes = hold_bytes
        self.problems = problems or RepeatLog(log)
        self._clock_ns = clock_ns
        self._lock = threading.RLock()
        self._files = SegmentFiles(
            self.directory / "segments",
            segment_bytes=segment_bytes,
            segment_age_s=segment_age_s,
            fsync=fsync,
            fsync_interval_s=fsync_interval_s,
        )
        self._lock_fd: int | None = None
        self._counters: CounterFile | None = None
        self._commit_file: CommitFile | None = None
        self._commit_seq = 0
        self._commit_offset = 0
        self._commit_points = 0  # points of the head segment before the commit offset
        self._next_ns: int | None = None  # creation time of the next unsent record, if known
        self._cache = RecordCache(cache_bytes)  # unsent records just appended
        self._held = MemoryHold(hold_bytes)  # batches the disk refused
        self.last_drop_ns: int | None = None  # when points were last dropped (for health)
        self._open(rejected_max_bytes, fsync_interval_s)

    # --- opening and closing ----------------------------------------------------------------

    def _open(self, rejected_max_bytes: int, fsync_interval_s: float) -> None:
        try:
            (self.directory / "segments").mkdir(parents=True, exist_ok=True)
            (self.directory / "rejected").mkdir(exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"spool directory {self.directory}: {exc.strerror}") from exc
        self._lock_fd = lock_directory(self.directory)
        try:
            self._counters = CounterFile(self.directory, self.fsync)
            rejected = self.directory / "rejected"
            self._rejected = RejectedStore(rejected, rejected_max_bytes, self.fsync)
            self._commit_file = CommitFile(self.directory, self.fsync, fsync_interval_s)
            seq, offset, points = self._commit_file.cursor
            found = self._files.recover(seq, offset)
        except OSError as exc:
            self.close()
            raise SpoolError(f"spool directory {self.directory}: {exc.strerror}") from exc
        self._commit_seq, self._commit_offset, self._commit_points = seq, offset, points
        segments = self._files.segments
        if segments and segments[0].seq != self._commit_seq:  # its head was deleted
            start = len(FILE_MAGIC)
            self._commit_seq, self._commit_offset, self._commit_points = segments[0].seq, start, 0
        if segments and self._commit_offset > len(FILE_MAGIC):
            self._next_ns = peek_created_ns(segments[0].path, self._commit_offset)
        if found.corrupt_bytes:
            self._corrupt(found.corrupt_bytes, ", ".join(found.damaged))
        self.expire()

    def close(self) -> None:
        """Put held batches on disk if it takes them, close the files, release the lock."""
        with self._lock:
            if self._held and self._commit_file is not None:
                self._move_held_to_disk()
            if self._held:
                points = self._held.clear()
                self._drop(points, "held in memory while the spool disk refused them, at stop")
            with contextlib.suppress(OSError):
                self._files.close()
            if self._commit_file is not None:
                with contextlib.suppress(OSError):
                    self._commit_file.close()
                self._commit_file = None
            if self._counters is not None:
                self._counters.save()
            self._cache.clear()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # --- appending ----------------------------------------------------------------------------

    def append(self, payload: bytes, points: int) -> None:
        """Add one batch (line protocol): durably on disk, or held in memory if the disk refuses."""
        if not payload:
            return
        now = self._clock_ns()
        header = frame_header(payload, points, now)  # the CRC, outside the lock
        size = len(header) + len(payload)
        with self._lock:
            self._expire_locked(now)
            if size + len(FILE_MAGIC) > self.max_bytes:
                self._drop(points, f"one batch is larger than spool.max_bytes ({self.max_bytes})")
                return
            self._make_room(size)
            if self._held and not self._cache.enabled:
                self._move_held_to_disk()  # no sender: they go to disk first, in order
            try:
                self._write(header, payload, points, now)
            except OSError as exc:
                self._disk_refused(exc)
                self._hold(payload, points, now)

    def _write(self, header: bytes, payload: bytes, points: int, now: int) -> None:
        # With no segment left, all up to the cursor was sent and its segment is gone: a new
        # one is numbered after it. Taking the cursor's own number again would put new
        # batches below the cursor's offset, counted as sent and never read.
        first_seq = self._commit_seq if self._files.segments else self._commit_seq + 1
        offset = self._files.append(header, payload, points, now, first_seq)
        seg = self._files.segments[-1]
        if len(self._files.segments) == 1 and seg.seq != self._commit_seq:
            self._set_commit(seg.seq, len(FILE_MAGIC), 0)  # a new head: the cursor steps in
        if (seg.seq, offset) == (self._commit_seq, self._commit_offset):
            self._next_ns = now  # the first unsent batch
        self._cache.put(SpoolRecord(seg.seq, offset, seg.size, points, now, payload))
        self.problems.resolved(
            f"spool-write:{self.directory}", f"spool {self.directory}: writing to disk again"
        )

    def _disk_refused(self, exc: OSError) -> None:
        where = "sent to the database first" if self._cache.enabled else "written when it has room"
        self.problems.report(
            f"spool-write:{self.directory}",
            f"spool {self.directory}: cannot write ({exc.strerror or exc}): batches are held "
            f"in memory (up to {self.hold_bytes} bytes) and {where}",
        )

    def _hold(self, payload: bytes, points: int, now: int) -> None:
        lost = self._held.add(payload, points, now)
        if lost:
            reason = f"the spool disk refuses writes and the memory hold ({self.hold_bytes} bytes)"
            self._drop(lost, reason + " is full")

    def _move_held_to_disk(self) -> bool:
        """Write held batches to disk, oldest first; True when none is left held."""
        for record in self._held.records():
            header = frame_header(record.payload, record.points, record.created_ns)
            try:
                self._write(header, record.payload, record.points, record.created_ns)
            except OSError:
                return False
            self._held.ack([record])
        return True

    def keep_in_memory(self, enabled: bool) -> None:
        """Keep unsent batches in memory for a sender (default), or not (nobody sends)."""
        with self._lock:
            self._cache.enabled = enabled
            if not enabled:
                self._cache.clear()

    def apply(
        self,
        *,
        max_bytes: int,
        max_age_s: float,
        segment_bytes: int,
        segment_age_s: float,
        fsync: FsyncPolicy,
        fsync_interval_s: float,
        rejected_max_bytes: int,
    ) -> None:
        """New settings for the open directory (a reload); they apply from the next append."""
        with self._lock:
            self.max_bytes, self.max_age_s, self.fsync = max_bytes, max_age_s, fsync
            files = self._files
            files.segment_bytes, files.segment_age_s = segment_bytes, segment_age_s
            files.fsync, files.fsync_interval_s = fsync, fsync_interval_s
            if self._commit_file is not None:
                self._commit_file.fsync = fsync
                self._commit_file.fsync_interval_s = fsync_interval_s
            if self._counters is not None:
                self._counters.fsync = fsync
            self._rejected.max_bytes, self._rejected.fsync = rejected_max_bytes, fsync

    # --- bounds -------------------------------------------------------------------------------

    def _make_room(self, incoming: int) -> None:
        segments = self._files.segments
        while segments and sum(s.size for s in segments) + incoming > self.max_bytes:
            self._drop_head(f"the spool reached spool.max_bytes ({self.max_bytes})")

    def expire(self) -> None:
        """Drop segments whose newest batch is older than `max_age` (counted as dropped)."""
        with self._lock:
            self._expire_locked(self._clock_ns())

    def _expire_locked(self, now: int) -> None:
        if self.max_age_s == float("inf"):
            return
        limit = now - int(self.max_age_s * 1e9)
        segments = self._files.segments
        while segments and (segments[0].last_ns or now) < limit:
            self._drop_head(f"older than spool.max_age ({self.max_age_s:g}s)")

    def _drop_head(self, reason: str) -> None:
        head = self._files.segments[0]
        lost = head.points - (self._commit_points if head.seq == self._commit_seq else 0)
        self._delete_head()
        if lost:
            self._drop(lost, reason)

    def _delete_head(self) -> None:
        # The cursor moves past the segment before its file goes: a crash in between leaves
        # a file behind the cursor (deleted at the next start), never a cursor that points
        # into a segment number the next new segment would take again.
        segments = self._files.segments
        following = segments[1].seq if len(segments) > 1 else segments[0].seq + 1
        self._set_commit(following, len(FILE_MAGIC), 0)
        self._files.delete_head()
        self._next_ns = None

    def _drop(self, points: int, reason: str) -> None:
        self._bump(dropped_points=points)
        self.problems.report(
            f"spool-drop:{reason}", f"spool {self.directory}: dropped points: {reason}"
        )
        self.last_drop_ns = self._clock_ns()

    def _corrupt(self, nbytes: int, where: str) -> None:
        self._bump(corrupt_bytes=nbytes)
        log.warning("spool %s: %d damaged bytes skipped in %s", self.directory, nbytes, where)

    # --- reading and committing ---------------------------------------------------------------

    def read_batch(self, max_points: int, max_bytes: int = 8 * 1024**2) -> list[SpoolRecord]:
        """The oldest unacknowledged batches (held ones first), up to the given totals.

        Merging small records makes a replay of a long spool-only period take few requests.
        """
        with self._lock:
            if self._held:
                return self._held.take(max_points, max_bytes)
            first = self._next_on_disk()
            if first is None:
                return []
            seg = self._files.segments[0]

            def following() -> SpoolRecord | None:
                end = batch[-1].end
                if end >= seg.size:
                    return None
                return self._cache.get(seg.seq, end) or self._files.read(seg, end)

            batch = [first]
            points, size = first.points, len(first.payload)
            while points < max_points and size < max_bytes:
                nxt = following()
                if nxt is None or points + nxt.points > max_points:
                    break
                batch.append(nxt)
                points += nxt.points
                size += len(nxt.payload)
            return batch

    def _next_on_disk(self) -> SpoolRecord | None:
        segments = self._files.segments
        while segments:
            seg = segments[0]
            if seg.seq != self._commit_seq:
                self._set_commit(seg.seq, len(FILE_MAGIC), 0)
            offset = max(self._commit_offset, len(FILE_MAGIC))
            if offset < seg.size:
                record = self._cache.get(seg.seq, offset) or self._files.read(seg, offset)
                if record is None:  # bit rot, a torn write inside an old segment
                    record, skipped = self._files.resync(seg, offset)
                    if skipped:
                        self._corrupt(skipped, seg.path.name)
                    resume = record.offset if record is not None else seg.size
                    self._set_commit(seg.seq, resume, self._commit_points)
                if record is not None:
                    return record
            if not seg.sealed:
                return None
            self._delete_head()  # sealed and fully read (or only damage left)
        return None

    def commit(self, *records: SpoolRecord) -> None:
        """Mark `records` acknowledged: never sent again, their space freed at once."""
        with self._lock:
            if records and records[0].seq == HELD_SEQ:
                self._held.ack(records)
                return
            run: list[SpoolRecord] = []  # records that follow the cursor: one cursor write
            for record in records:
                at = (run[-1].seq, run[-1].end) if run else (self._commit_seq, self._commit_offset)
                segments = self._files.segments
                if (record.seq, record.offset) == at and segments:
                    run.append(record)
                    if record.end >= segments[0].size:  # the head segment is complete
                        self._advance(run)
                        run = []
                elif segments and record.seq < segments[0].seq:
                    # Dropped for space while in flight, yet it arrived: not lost after all.
                    self._bump(dropped_points=-record.points)
            if run:
                self._advance(run)

    def _advance(self, run: list[SpoolRecord]) -> None:
        record = run[-1]
        seg = self._files.segments[0]
        if record.end >= seg.size and (seg.sealed or self._files.space_is_short()):
            # All of the head segment was acknowledged: free its space now, the active one
            # too when the disk runs short (sent data must not fill it). One cursor write,
            # to the next segment, does for both. With room to spare the active segment
            # stays: a new file per batch costs two fsyncs.
            self._delete_head()
            return
        self._set_commit(record.seq, record.end, self._commit_points + sum(r.points for r in run))
        nxt = self._cache.get(record.seq, record.end)
        self._next_ns = nxt.created_ns if nxt else peek_created_ns(seg.path, record.end)

    def quarantine(self, records: list[SpoolRecord], reason: str) -> Path | None:
        """Move batches the sink refused for their content to `rejected/`, then commit them."""
        with self._lock:
            if not records:
                return None
            path: Path | None = None
            try:
                path = self._rejected.keep(records, reason)
            except OSError as exc:
                log.error("spool %s: cannot keep refused batch: %s", self.directory, exc.strerror)
            self._bump(rejected_points=sum(r.points for r in records))
            self.commit(*records)
            return path

    def sync_due(self) -> None:
        """With `fsync: interval`, fsync what waits longer than the interval (when idle)."""
        with self._lock:
            self._files.sync_if_due()
            if self._commit_file is not None:
                self._commit_file.sync_if_due()
            if self._counters is not None:
                self._counters.save()

    # --- persisted state ----------------------------------------------------------------------

    def _set_commit(self, seq: int, offset: int, points: int) -> None:
        if (seq, offset, points) == (self._commit_seq, self._commit_offset, self._commit_points):
            return
        self._commit_seq, self._commit_offset, self._commit_points = seq, offset, points
        if self._commit_file is None:
            raise SpoolError(f"spool directory {self.directory} is not open")
        self._commit_file.write(seq, offset, points)
        self._cache.forget_before(seq, offset)

    def _bump(self, **delta: int) -> None:
        if self._counters is not None:
            self._counters.bump(**delta)

    def state(self) -> SpoolState:
        """A consistent snapshot of what waits in the spool."""
        with self._lock:
            segs = self._files.segments
            points = sum(s.points for s in segs)
            pending_bytes = sum(s.size - len(FILE_MAGIC) for s in segs)
            oldest = segs[0].first_ns if segs else None
            if segs and segs[0].seq == self._commit_seq:
                points -= self._commit_points
                if self._commit_offset > len(FILE_MAGIC):
                    oldest = self._next_ns  # the head segment is partly sent
                pending_bytes -= max(self._commit_offset - len(FILE_MAGIC), 0)
            if points == 0:
                oldest = None
            newest = segs[-1].last_ns if segs and points else None
            held = self._held.records()
            held_points = sum(r.points for r in held)
            if held:
                oldest = min(held[0].created_ns, oldest or held[0].created_ns)
                newest = max(held[-1].created_ns, newest or 0)
            return SpoolState(
                directory=str(self.directory),
                segments=len(segs),
                bytes=max(pending_bytes, 0),
                points=points + held_points,
                oldest_ns=oldest,
                newest_ns=newest,
                rejected_files=self._rejected.files,
                counters=self._counters.counters if self._counters else SpoolCounters(),
                held_points=held_points,
            )
