"""Rollups from the local spool: the embedded default store (no `influxdb:` section).

`lanpulse demo` and installations without InfluxDB keep the rollups in the rollup spool
(`spool.directory` + `-rollups`); a report reads its segments read-only (safe while the
daemon runs) and decodes the line protocol. A period written twice (a restart cut it) keeps
its last point, as InfluxDB would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanpulse.core.model import Sample
from lanpulse.reports.source import Series, SourceError
from lanpulse.timeseries.lineprotocol_decode import decode_lines
from lanpulse.timeseries.segment import FILE_MAGIC, iter_records, read_segment, segment_seq


class SpoolSource:
    """Rollup points of a spool directory, loaded once."""

    def __init__(self, directory: str | Path) -> None:
        root = Path(directory)
        if not (root / "segments").is_dir():
            raise SourceError(f"{root} holds no rollups yet (no segments/ inside)")
        # measurement -> series tags -> time -> fields (the last point of a time wins)
        self._points: dict[str, dict[tuple[tuple[str, str], ...], dict[int, Sample]]] = {}
        for path in sorted((root / "segments").glob("*.seg")):
            seq = segment_seq(path)
            if seq is None:
                continue
            for record in iter_records(read_segment(path), seq, len(FILE_MAGIC)):
                for sample in decode_lines(record.payload):
                    series = self._points.setdefault(sample.measurement, {})
                    key = tuple(sorted(sample.tags.items()))
                    series.setdefault(key, {})[sample.time_ns] = sample

    def series(
        self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int
    ) -> list[Series]:
        """Every series of a rollup measurement with the named fields over [start, end)."""
        out: list[Series] = []
        for key, by_time in sorted(self._points.get(measurement, {}).items()):
            points = [
                (t, {f: float(s.fields[f]) for f in fields if f in s.fields})
                for t, s in sorted(by_time.items())
                if start_ns <= t < end_ns
            ]
            if points:
                out.append(Series(dict(key), points))
        return out
