"""The spool's segment files: recovery at open, appends to the active segment, deletion.

File work only: which record is sent next, what counts as dropped and where a batch goes
when the disk refuses it are the `Spool`'s business (spool.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

from lanpulse.timeseries.segment import (
    FILE_MAGIC,
    SpoolRecord,
    fsync_dir,
    iter_records,
    read_one,
    read_segment,
    scan_segment,
    segment_name,
    segment_seq,
)
from lanpulse.timeseries.spool_state import FsyncPolicy


@dataclass(slots=True)
class Segment:
    """One segment file: its size, points and the creation times of its first/last batch."""

    seq: int
    path: Path
    size: int
    points: int
    first_ns: int | None
    last_ns: int | None
    sealed: bool


@dataclass(frozen=True, slots=True)
class Recovered:
    """What opening the segment directory found."""

    segments: list[Segment]
    corrupt_bytes: int
    damaged: list[str]  # file names whose damaged bytes were cut or removed


class SegmentFiles:
    """The ordered segment files of one spool; only the last one is ever appended to."""

    def __init__(
        self,
        directory: Path,
        *,
        segment_bytes: int,
        segment_age_s: float,
        fsync: FsyncPolicy,
        fsync_interval_s: float,
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.segment_age_s = segment_age_s
        self.fsync = fsync
        self.fsync_interval_s = fsync_interval_s
        self.segments: list[Segment] = []
        self._fd: int | None = None  # append fd of the last, unsealed segment
        self._last_fsync = 0.0
        self._dirty = False  # appended since the last fsync (`interval`)

    # --- opening and closing ----------------------------------------------------------------

    def recover(self, commit_seq: int, commit_offset: int) -> Recovered:
        """Scan the files: cut torn tails, remove empty or fully acknowledged ones."""
        corrupt = 0
        damaged: list[str] = []
        for path in sorted(self.directory.glob("*.seg")):
            seq = segment_seq(path)
            if seq is None:
                continue
            scan = scan_segment(path)
            file_size = path.stat().st_size
            if scan.records == 0:  # created, but nothing intact was ever written to it
                if file_size > len(FILE_MAGIC):
                    corrupt += file_size - len(FILE_MAGIC)
                    damaged.append(path.name)
                path.unlink()
                continue
            if scan.valid_end < file_size:
                # A torn tail from a crash: keep every intact record before it. (Damage
                # between intact records is counted when the reader skips it.)
                with path.open("r+b") as fh:
                    fh.truncate(max(scan.valid_end, len(FILE_MAGIC)))
                corrupt += file_size - scan.valid_end
                damaged.append(path.name)
            end = scan.valid_end
            if seq < commit_seq or (seq == commit_seq and commit_offset >= end):
                path.unlink()  # fully acknowledged before the crash
                continue
            self.segments.append(
                Segment(seq, path, end, scan.points, scan.first_ns, scan.last_ns, True)
            )
        return Recovered(list(self.segments), corrupt, damaged)

    def close(self) -> None:
        """Sync and close the active segment (it is sealed: the next append starts a new one)."""
        if self.segments and not self.segments[-1].sealed:
            self.seal(self.segments[-1])

    # --- appending ----------------------------------------------------------------------------

    def append(
        self, header: bytes, payload: bytes, points: int, now_ns: int, first_seq: int
    ) -> int:
        """Write one framed record at the end (a new segment when due); its offset.

        Raises OSError (disk full, directory gone or read-only) with every file left valid.
        `first_seq` is the lowest number a new segment may take (the commit cursor's).
        """
        seg = self._active(now_ns, first_seq)
        assert self._fd is not None
        size = len(header) + len(payload)
        try:
            # One system call, without copying the payload behind its header.
            if os.writev(self._fd, (header, payload)) != size:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError:
            with contextlib.suppress(OSError):  # cut a partial record: the file stays valid
                os.ftruncate(self._fd, seg.size)
            raise
        offset = seg.size
        seg.size += size
        seg.points += points
        seg.first_ns = seg.first_ns if seg.first_ns is not None else now_ns
        seg.last_ns = now_ns
        self._maybe_fsync(self._fd)
        return offset

    def _active(self, now_ns: int, first_seq: int) -> Segment:
        seg = self.segments[-1] if self.segments else None
        if seg is not None and not seg.sealed:
            too_old = seg.first_ns is not None and now_ns - seg.first_ns >= self.segment_age_s * 1e9
            if seg.size < self.segment_bytes and not too_old:
                return seg
            self.seal(seg)
        seq = max(self.segments[-1].seq + 1 if self.segments else 1, first_seq)
        path = self.directory / segment_name(seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if os.write(fd, FILE_MAGIC) != len(FILE_MAGIC):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if self.fsync != "never":
                os.fsync(fd)
                fsync_dir(self.directory)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        self._fd = fd
        new = Segment(seq, path, len(FILE_MAGIC), 0, None, None, False)
        self.segments.append(new)
        return new

    def seal(self, seg: Segment) -> None:
        """No more appends to `seg` (the active one): sync and close its file."""
        if self._fd is not None and seg is self.segments[-1]:
            try:
                if self.fsync != "never":
                    os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
        seg.sealed = True

    def _maybe_fsync(self, fd: int) -> None:
        if self.fsync == "always":
            os.fsync(fd)
        elif self.fsync == "interval":
            mono = time.monotonic()
            if mono - self._last_fsync >= self.fsync_interval_s:
                os.fsync(fd)
                self._last_fsync = mono
                self._dirty = False
            else:
                self._dirty = True

    def sync_if_due(self) -> None:
        """With `fsync: interval`, fsync appends a quiet spell left unsynced."""
        if self.fsync == "interval" and self._dirty and self._fd is not None:
            mono = time.monotonic()
            if mono - self._last_fsync >= self.fsync_interval_s:
                os.fsync(self._fd)
                self._last_fsync = mono
                self._dirty = False

    def space_is_short(self) -> bool:
        """True when the filesystem has less room than one segment (or cannot say)."""
        try:
            st = os.statvfs(self.directory)
        except OSError:
            return True
        return st.f_bavail * st.f_frsize < self.segment_bytes

    # --- deleting and reading -----------------------------------------------------------------

    def delete_head(self) -> Segment:
        """Remove the oldest segment (sealing it first when it is the active one)."""
        head = self.segments[0]
        if not head.sealed and self._fd is not None and head is self.segments[-1]:
            os.close(self._fd)  # no fsync: the file is going away
            self._fd = None
        head.sealed = True
        self.segments.pop(0)
        with contextlib.suppress(FileNotFoundError):
            head.path.unlink()
        return head

    @staticmethod
    def read(seg: Segment, offset: int) -> SpoolRecord | None:
        """The intact record at `offset` of `seg`, or None (damaged, or the end)."""
        return read_one(seg.path, seg.seq, offset, seg.size)

    @staticmethod
    def resync(seg: Segment, offset: int) -> tuple[SpoolRecord | None, int]:
        """The next intact record at or after damaged bytes at `offset`, and the bytes skipped."""
        data = read_segment(seg.path)[: seg.size]
        skipped: list[int] = []
        for record in iter_records(data, seg.seq, offset, skipped):
            return record, sum(skipped)
        return None, sum(skipped)
