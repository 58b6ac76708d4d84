"""The on-disk framing of spool segments: a file header, then length-and-CRC framed records.

A segment file starts with `FILE_MAGIC`. Each record is a 24-byte header
(`RECORD_MAGIC`, payload length, point count, creation time in ns, CRC-32) followed by the
payload (newline-terminated line protocol). The CRC covers the first 20 header bytes and the
payload, so a record torn by `kill -9` or a power cut (short, or with stale bytes) fails the
check; the scanner then looks for the next intact record instead of giving up on the file.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FILE_MAGIC = b"LPSPOOL1"
RECORD_MAGIC = b"LPRC"
_HEADER = struct.Struct("<4sIIqI")
HEADER_SIZE = _HEADER.size  # 24
MAX_PAYLOAD = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One batch as stored in a segment: where it is, how many points, and its bytes."""

    seq: int
    offset: int
    end: int
    points: int
    created_ns: int
    payload: bytes


def frame_header(payload: bytes, points: int, created_ns: int) -> bytes:
    """The 24-byte header of the record holding `payload` (written with it in one writev)."""
    head = struct.pack("<4sIIq", RECORD_MAGIC, len(payload), points, created_ns)
    crc = zlib.crc32(payload, zlib.crc32(head))
    return head + struct.pack("<I", crc)


def frame(payload: bytes, points: int, created_ns: int) -> bytes:
    """The bytes of one record (header + payload) ready for a single append."""
    return frame_header(payload, points, created_ns) + payload


def segment_name(seq: int) -> str:
    """File name of segment `seq`; zero-padded so a directory listing sorts in order."""
    return f"{seq:016d}.seg"


def segment_seq(path: Path) -> int | None:
    """The sequence number in a segment file name, or None for a file that is not one."""
    if path.suffix != ".seg" or not path.stem.isdigit():
        return None
    return int(path.stem)


@dataclass(slots=True)
class ScanResult:
    """What a full scan of one segment found."""

    valid_end: int  # end of the last intact record (where a torn tail starts)
    points: int
    records: int
    first_ns: int | None
    last_ns: int | None
    corrupt_bytes: int  # bytes skipped between intact records or in a torn tail


def read_at(data: bytes | memoryview, offset: int, seq: int) -> SpoolRecord | None:
    """The intact record at exactly `offset`, or None."""
    if offset + HEADER_SIZE > len(data):
        return None
    magic, length, points, created_ns, crc = _HEADER.unpack_from(data, offset)
    if magic != RECORD_MAGIC or length > MAX_PAYLOAD:
        return None
    end = offset + HEADER_SIZE + length
    if end > len(data):
        return None
    payload = bytes(data[offset + HEADER_SIZE : end])
    if zlib.crc32(payload, zlib.crc32(data[offset : offset + 20])) != crc:
        return None
    return SpoolRecord(seq, offset, end, points, created_ns, payload)


def read_one(path: Path, seq: int, offset: int, size: int) -> SpoolRecord | None:
    """The intact record at `offset` of a segment (reading only its bytes), or None."""
    with path.open("rb") as fh:
        fh.seek(offset)
        head = fh.read(HEADER_SIZE)
        if len(head) < HEADER_SIZE:
            return None
        length = int.from_bytes(head[4:8], "little")
        if offset + HEADER_SIZE + length > size:
            return None
        blob = head + fh.read(length)
    rec = read_at(blob, 0, seq)
    if rec is None:
        return None
    return SpoolRecord(seq, offset, offset + len(blob), rec.points, rec.created_ns, rec.payload)


def peek_created_ns(path: Path, offset: int) -> int | None:
    """The creation time in the record header at `offset` (unverified), or None."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            head = fh.read(HEADER_SIZE)
    except OSError:
        return None
    if len(head) < HEADER_SIZE or head[:4] != RECORD_MAGIC:
        return None
    created_ns: int = _HEADER.unpack(head)[3]
    return created_ns


def iter_records(
    data: bytes, seq: int, start: int, skipped: list[int] | None = None
) -> Iterator[SpoolRecord]:
    """Intact records from `start`, re-synchronising past damaged bytes (added to `skipped`)."""
    offset = max(start, len(FILE_MAGIC))
    while offset < len(data):
        record = read_at(data, offset, seq)
        if record is None:
            nxt = data.find(RECORD_MAGIC, offset + 1)
            while nxt != -1 and read_at(data, nxt, seq) is None:
                nxt = data.find(RECORD_MAGIC, nxt + 1)
            stop = len(data) if nxt == -1 else nxt
            if skipped is not None:
                skipped.append(stop - offset)
            offset = stop
            continue
        yield record
        offset = record.end


def read_segment(path: Path) -> bytes:
    """The bytes of a segment file ('' when it vanished meanwhile)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def scan_segment(path: Path) -> ScanResult:
    """Validate every record of a segment and total its points."""
    data = read_segment(path)
    skipped: list[int] = []
    if data[: len(FILE_MAGIC)] != FILE_MAGIC:
        skipped.append(min(len(data), len(FILE_MAGIC)))  # records behind it still count
    result = ScanResult(len(FILE_MAGIC), 0, 0, None, None, 0)
    for rec in iter_records(data, 0, len(FILE_MAGIC), skipped):
        result.valid_end = rec.end
        result.points += rec.points
        result.records += 1
        if result.first_ns is None:
            result.first_ns = rec.created_ns
        result.last_ns = rec.created_ns
    result.corrupt_bytes = sum(skipped)
    return result


def fsync_dir(path: Path) -> None:
    """Make a create, rename or unlink inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
