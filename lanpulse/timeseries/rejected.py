"""Batches the database refused for their content, kept aside in `rejected/` for inspection."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

from lanpulse.timeseries.segment import SpoolRecord, fsync_dir
from lanpulse.timeseries.spool_state import FsyncPolicy


class RejectedStore:
    """`rejected/SEQ-OFFSET.lp` (the line protocol) and `.json` (points, time, reason)."""

    def __init__(self, directory: Path, max_bytes: int, fsync: FsyncPolicy) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.files = len(list(directory.glob("*.lp")))

    def keep(self, records: Sequence[SpoolRecord], reason: str) -> Path:
        """Write the batch and its reason; the oldest files go beyond `max_bytes`."""
        first = records[0]
        stem = f"{first.seq:016d}-{first.offset:012d}"
        path = self.directory / f"{stem}.lp"
        path.write_bytes(b"".join(r.payload for r in records))
        points = sum(r.points for r in records)
        meta = {"points": points, "created_ns": first.created_ns, "error": reason}
        (self.directory / f"{stem}.json").write_text(json.dumps(meta) + "\n")
        if self.fsync != "never":
            fsync_dir(self.directory)
        self.files += 1
        self._trim()
        return path

    def _trim(self) -> None:
        files = sorted(self.directory.glob("*.lp"))
        total = sum(f.stat().st_size for f in files)
        while files and total > self.max_bytes:
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            self.files -= 1
            with contextlib.suppress(FileNotFoundError):
                oldest.with_suffix(".json").unlink()
