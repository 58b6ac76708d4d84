"""Overload made visible and cheap: how late polls start, and why polls were skipped.

A daemon that cannot keep up starts polls late and then skips them. Both are counted in
constant memory (a fixed-bucket histogram, one counter per reason) and logged as one
summary line per minute while it lasts, never one line per poll: at 25,000 devices a
line per skipped poll was ~1,200 lines a second (issue 15).
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable

log = logging.getLogger("lanpulse.pipeline.scheduler")

# Seconds; Prometheus' default buckets stretched to a 5-minute printer interval.
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
SUMMARY_EVERY_S = 60.0
# Skip reasons that mean the poller cannot keep up (others: a fence, a trap's extra poll).
OVERLOAD = frozenset({"late", "overlap"})


class LatenessHistogram:
    """`lanpulse_poll_lateness_seconds`: start time of a poll minus its due time."""

    def __init__(self, buckets: tuple[float, ...] = LATENESS_BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        """Count one poll that started `seconds` after it was due."""
        seconds = max(seconds, 0.0)
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.sum += seconds
        self.count += 1

    def as_fields(self, name: str = "poll_lateness_seconds") -> dict[str, float]:
        """Cumulative buckets, sum and count, as stats keys (`name_bucket{le="0.1"}`)."""
        out: dict[str, float] = {}
        running = 0
        for bound, n in zip((*self.buckets, float("inf")), self.counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            out[f'{name}_bucket{{le="{le}"}}'] = running
        out[f"{name}_sum"] = self.sum
        out[f"{name}_count"] = self.count
        return out


class SkipCounter:
    """Skipped polls per reason, and the one summary log line per minute."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.by_reason: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self._logged_at: float | None = None

    def skip(self, reason: str) -> None:
        """Count a skipped poll; log a summary at most once a minute (at once the first time)."""
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        self._pending[reason] = self._pending.get(reason, 0) + 1
        now = self.clock()
        if self._logged_at is None or now - self._logged_at >= SUMMARY_EVERY_S:
            total = sum(self._pending.values())
            reasons = ", ".join(f"{r}: {n}" for r, n in sorted(self._pending.items()))
            since = "" if self._logged_at is None else f" in the last {now - self._logged_at:.0f}s"
            why = "; the poller is overloaded" if OVERLOAD & self._pending.keys() else ""
            log.warning("%d polls skipped%s (%s)%s", total, since, reasons, why)
            self._pending.clear()
            self._logged_at = now

    def as_fields(self) -> dict[str, float]:
        """`polls_skipped_by_reason{reason="overlap"}` for each reason seen."""
        return {f'polls_skipped_by_reason{{reason="{r}"}}': n for r, n in self.by_reason.items()}
