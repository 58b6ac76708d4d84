"""The spool's small persisted state: commit cursor, counters, and a read-only inspection."""

from __future__ import annotations

import fcntl
import json
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lanpulse.core.errors import LanpulseError
from lanpulse.timeseries.segment import (
    FILE_MAGIC,
    fsync_dir,
    iter_records,
    read_segment,
    segment_seq,
)

FsyncPolicy = Literal["always", "interval", "never"]

# The commit file holds two fixed-size slots, "GEN SEQ OFFSET POINTS CRC" padded to 64 bytes,
# written in turn in place (slot GEN % 2): one small pwrite per commit instead of a new file,
# an fsync and a rename. A crash can tear only the slot being written; the other one still
# holds the previous cursor, so at most the batch whose commit was torn is sent again.
COMMIT_SLOT = 64
COMMIT_FILE_SIZE = 2 * COMMIT_SLOT


class SpoolError(LanpulseError):
    """The spool directory cannot be used (locked by another process, unwritable)."""


@dataclass(frozen=True, slots=True)
class SpoolCounters:
    """Totals that survive restarts (kept in `counters.json`)."""

    dropped_points: int = 0
    rejected_points: int = 0
    corrupt_bytes: int = 0


@dataclass(frozen=True, slots=True)
class SpoolState:
    """A snapshot of the spool for stats and `lanpulse spool status`."""

    directory: str
    segments: int
    bytes: int  # bytes on disk not yet acknowledged (segments minus the committed prefix)
    points: int  # points waiting to be sent
    oldest_ns: int | None  # creation time of the oldest unsent batch
    newest_ns: int | None
    rejected_files: int
    counters: SpoolCounters
    held_points: int = 0  # of `points`, held in memory because the disk refused them


def atomic_write(path: Path, text: str, fsync: FsyncPolicy) -> None:
    """Replace `path` with `text` so a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        if fsync != "never":
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if fsync == "always":
        fsync_dir(path.parent)


def lock_directory(directory: Path) -> int:
    """flock `directory/LOCK` for this process (writing its pid); the open fd."""
    try:
        fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise SpoolError(f"spool directory {directory}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise SpoolError(
            f"spool directory {directory} is in use by another lanpulse process"
            + (f" (pid {holder})" if holder else "")
        ) from None
    try:  # only informative (who holds the lock): a full disk must not stop the start
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass
    return fd


class CounterFile:
    """The spool's running totals, persisted best effort (a full disk keeps them in memory)."""

    def __init__(self, directory: Path, fsync: FsyncPolicy) -> None:
        self.path = directory / "counters.json"
        self.fsync = fsync
        self.counters = load_counters(directory)
        self.saved = True

    def bump(
        self, dropped_points: int = 0, rejected_points: int = 0, corrupt_bytes: int = 0
    ) -> None:
        """Add to the totals and save them."""
        c = self.counters
        self.counters = SpoolCounters(
            c.dropped_points + dropped_points,
            c.rejected_points + rejected_points,
            c.corrupt_bytes + corrupt_bytes,
        )
        self.saved = False
        self.save()

    def save(self) -> None:
        """Write the totals if they changed; on failure (disk full) try again next time."""
        if self.saved:
            return
        try:
            save_counters(self.path, self.counters, self.fsync)
            self.saved = True
        except OSError:
            pass


def save_counters(path: Path, counters: SpoolCounters, fsync: FsyncPolicy) -> None:
    """Persist the counters (`counters.json`)."""
    text = json.dumps(
        {
            "dropped_points": counters.dropped_points,
            "rejected_points": counters.rejected_points,
            "corrupt_bytes": counters.corrupt_bytes,
        }
    )
    atomic_write(path, text + "\n", fsync)


def commit_slot(gen: int, seq: int, offset: int, points: int) -> bytes:
    """One slot of the commit file: the cursor, its generation and a CRC-32 over both."""
    body = f"{gen} {seq} {offset} {points}"
    text = f"{body} {zlib.crc32(body.encode()):08x}"
    return text.ljust(COMMIT_SLOT - 1).encode() + b"\n"


def parse_commit(data: bytes) -> tuple[int, int, int, int] | None:
    """(generation, seq, offset, points) of the newest intact slot, or None.

    A commit file written before slots existed ("SEQ OFFSET POINTS") reads as generation 0.
    """
    best: tuple[int, int, int, int] | None = None
    if len(data) == COMMIT_FILE_SIZE:
        for start in (0, COMMIT_SLOT):
            try:
                gen, seq, offset, points, crc = data[start : start + COMMIT_SLOT].split()
                body = b" ".join((gen, seq, offset, points))
                if int(crc, 16) != zlib.crc32(body):
                    continue
                slot = int(gen), int(seq), int(offset), int(points)
            except ValueError:
                continue  # torn or damaged: the other slot holds the previous cursor
            if best is None or slot[0] > best[0]:
                best = slot
        return best
    try:
        seq, offset, points = data.split()
        return 0, int(seq), int(offset), int(points)
    except ValueError:
        return None


class CommitFile:
    """The persisted commit cursor of an open spool: two slots rewritten in place in turn."""

    def __init__(self, directory: Path, fsync: FsyncPolicy, fsync_interval_s: float) -> None:
        self.path = directory / "commit"
        self.fsync = fsync
        self.fsync_interval_s = fsync_interval_s
        try:
            found = parse_commit(self.path.read_bytes())
            slotted = self.path.stat().st_size == COMMIT_FILE_SIZE
        except FileNotFoundError:
            found, slotted = None, False
        gen, seq, offset, points = found or (0, 0, 0, 0)
        self.cursor = (seq, offset, points)  # as found on disk
        self._gen = gen  # the next write (gen + 1) goes to the other, older slot
        if not slotted:
            # First start, or a commit file from before slots: replace it whole, once.
            both = commit_slot(gen + 2, *self.cursor) + commit_slot(gen + 1, *self.cursor)
            if (gen + 2) % 2:
                both = both[COMMIT_SLOT:] + both[:COMMIT_SLOT]
            atomic_write(self.path, both.decode(), fsync)
            self._gen = gen + 2
        self._fd: int | None = os.open(self.path, os.O_RDWR)
        self._synced = 0.0  # monotonic time of the last fdatasync ("interval")
        self._dirty = False  # written since the last fdatasync ("interval")

    def write(self, seq: int, offset: int, points: int) -> None:
        """Persist the cursor: one pwrite into the older slot, fdatasync as the policy says."""
        if self._fd is None:
            raise SpoolError(f"{self.path} is closed")
        self._gen += 1
        os.pwrite(
            self._fd, commit_slot(self._gen, seq, offset, points), (self._gen % 2) * COMMIT_SLOT
        )
        if self.fsync == "always":
            os.fdatasync(self._fd)  # in place, same size: no metadata, no directory to sync
        elif self.fsync == "interval":
            if self.sync_due():
                os.fdatasync(self._fd)
                self._synced = time.monotonic()
                self._dirty = False
            else:
                self._dirty = True

    def sync_due(self) -> bool:
        """True when the next `write` fdatasyncs (always, or an `interval` has passed)."""
        if self.fsync == "interval":
            return time.monotonic() - self._synced >= self.fsync_interval_s
        return self.fsync == "always"

    def sync_if_due(self) -> None:
        """fdatasync an unsynced write once the interval has passed (`interval`, when idle)."""
        if self._dirty and self._fd is not None and self.sync_due():
            os.fdatasync(self._fd)
            self._synced = time.monotonic()
            self._dirty = False

    def close(self) -> None:
        """Sync (unless `never`) and close."""
        if self._fd is not None:
            if self.fsync != "never":
                os.fdatasync(self._fd)
            os.close(self._fd)
            self._fd = None


def load_commit(directory: Path) -> tuple[int, int, int]:
    """The persisted commit cursor (segment seq, offset, points before it); zeros if none."""
    try:
        found = parse_commit((directory / "commit").read_bytes())
    except FileNotFoundError:
        return 0, 0, 0
    return found[1:] if found is not None else (0, 0, 0)


def load_counters(directory: Path) -> SpoolCounters:
    """The persisted dropped / rejected / corrupt totals."""
    try:
        raw = json.loads((directory / "counters.json").read_text())
        return SpoolCounters(
            int(raw.get("dropped_points", 0)),
            int(raw.get("rejected_points", 0)),
            int(raw.get("corrupt_bytes", 0)),
        )
    except (FileNotFoundError, ValueError, AttributeError):
        return SpoolCounters()


def inspect_spool(directory: str | Path) -> SpoolState:
    """Read-only snapshot of a spool directory (works while its owner is running)."""
    root = Path(directory)
    if not (root / "segments").is_dir():
        raise SpoolError(f"{root} is not a lanpulse spool directory (no segments/ inside)")
    seq0, offset0, _ = load_commit(root)
    segments = points = pending = 0
    oldest: int | None = None
    newest: int | None = None
    for path in sorted((root / "segments").glob("*.seg")):
        seq = segment_seq(path)
        if seq is None or seq < seq0:
            continue
        data = read_segment(path)
        start = offset0 if seq == seq0 else len(FILE_MAGIC)
        seg_points = 0
        for rec in iter_records(data, seq, start):
            seg_points += rec.points
            pending += rec.end - rec.offset
            oldest = rec.created_ns if oldest is None else oldest
            newest = rec.created_ns
        segments += 1
        points += seg_points
    return SpoolState(
        directory=str(root),
        segments=segments,
        bytes=pending,
        points=points,
        oldest_ns=oldest,
        newest_ns=newest,
        rejected_files=len(list((root / "rejected").glob("*.lp"))),
        counters=load_counters(root),
    )
