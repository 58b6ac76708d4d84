"""The spool's memory side: a copy of unsent batches, and batches the disk refused.

`RecordCache` spares the sender reading back from disk what was just written; `MemoryHold`
keeps what the disk refused (full, read-only) until it is sent or written. Both are bounded.
"""

from __future__ import annotations

from lanpulse.timeseries.segment import SpoolRecord

HELD_SEQ = 0  # segment number of held batches (segment files are numbered from 1)


class MemoryHold:
    """Held batches in arrival order; each is a `SpoolRecord` of segment HELD_SEQ."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._records: dict[int, SpoolRecord] = {}  # by hold number (the record's offset)
        self._bytes = 0
        self._next = 0

    def __bool__(self) -> bool:
        return bool(self._records)

    def records(self) -> list[SpoolRecord]:
        """The held batches, oldest first."""
        return list(self._records.values())

    @property
    def points(self) -> int:
        """Points held."""
        return sum(r.points for r in self._records.values())

    def add(self, payload: bytes, points: int, created_ns: int) -> int:
        """Hold one batch; the points of the oldest ones let go beyond `max_bytes`."""
        number = self._next
        self._next += 1
        self._records[number] = SpoolRecord(
            HELD_SEQ, number, number + 1, points, created_ns, payload
        )
        self._bytes += len(payload)
        lost = 0
        while self._bytes > self.max_bytes and len(self._records) > 1:
            lost += self._pop(next(iter(self._records))).points
        return lost

    def take(self, max_points: int, max_bytes: int) -> list[SpoolRecord]:
        """The oldest held batches up to the totals (at least one), left held until `ack`."""
        batch: list[SpoolRecord] = []
        points = size = 0
        for record in self._records.values():
            if batch and (points + record.points > max_points or size >= max_bytes):
                break
            batch.append(record)
            points += record.points
            size += len(record.payload)
        return batch

    def ack(self, records: tuple[SpoolRecord, ...] | list[SpoolRecord]) -> None:
        """Forget batches that were sent (or written to disk)."""
        for record in records:
            if record.offset in self._records:
                self._pop(record.offset)

    def clear(self) -> int:
        """Let go of everything; the points that were held."""
        points = self.points
        self._records.clear()
        self._bytes = 0
        return points

    def _pop(self, number: int) -> SpoolRecord:
        record = self._records.pop(number)
        self._bytes -= len(record.payload)
        return record


class RecordCache:
    """Unacknowledged on-disk records by (segment, offset), oldest first, up to `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.enabled = True
        self._records: dict[tuple[int, int], SpoolRecord] = {}
        self._bytes = 0

    def put(self, record: SpoolRecord) -> None:
        """Keep `record` unless that would pass the bound (the disk copy serves then)."""
        if self.enabled and self._bytes + len(record.payload) <= self.max_bytes:
            self._records[(record.seq, record.offset)] = record
            self._bytes += len(record.payload)

    def get(self, seq: int, offset: int) -> SpoolRecord | None:
        """The record at (seq, offset), if kept."""
        return self._records.get((seq, offset))

    def forget_before(self, seq: int, offset: int) -> None:
        """Forget what is behind the commit cursor (acknowledged, dropped, deleted)."""
        records = self._records
        while records:
            key = next(iter(records))
            if key >= (seq, offset):
                break
            self._bytes -= len(records.pop(key).payload)

    def clear(self) -> None:
        """Forget everything."""
        self._records.clear()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """Payload bytes kept."""
        return self._bytes
