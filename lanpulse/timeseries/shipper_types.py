"""The shipper's value types: how it backs off after a failure, and what it reports."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

MAX_RETRY_AFTER_S = 600.0  # a server's Retry-After is honoured up to this


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: initial * factor**(n-1), capped, minus up to `jitter`."""

    initial_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the `failures`-th consecutive failure (1-based)."""
        base = min(self.max_s, self.initial_s * self.factor ** max(failures - 1, 0))
        return base * (1.0 - self.jitter * rand())


@dataclass(frozen=True, slots=True)
class ShipperStats:
    """Counters and gauges for the daemon's `lanpulse` self-monitoring measurement."""

    queue_depth: int
    spool_bytes: int
    spool_points: int
    spool_age_seconds: float
    points_submitted: int
    points_spooled: int
    points_written: int
    points_dropped: int
    points_rejected: int
    points_held: int  # in memory because the spool disk refuses writes
    spool_corrupt_bytes: int
    spool_degraded: int  # 1 while data is held in memory or after a drop (degraded_for_s)
    batches_written: int
    write_errors: int
    write_latency_seconds: float
    last_error: str | None

    def as_fields(self) -> dict[str, int | float]:
        """The numeric stats as field name -> value (`last_error` left out: no string fields)."""
        return {k: v for k, v in asdict(self).items() if isinstance(v, int | float)}
