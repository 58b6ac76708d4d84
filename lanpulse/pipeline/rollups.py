"""The rollup stage as a sink of the pipeline: polled samples in, hourly/daily rollups out.

The daemon gives it its own shipper (timeseries/rollup_target.py: its own spool directory
and, on InfluxDB 1.x, the long retention policy; on 2.x/3.x the rollup bucket), so a
rollup is as durable as a raw point and outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lanpulse.config.capacity import RollupSettings
from lanpulse.core.model import Sample, now_ns
from lanpulse.parsers.rollups import NS, RollupAggregator, field_plans

log = logging.getLogger(__name__)


class Numbers(Protocol):
    """Anything with numeric counters."""

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value."""
        ...


class RollupTarget(Protocol):
    """Where rollups go: a shipper (its own spool, the rollup policy or bucket)."""

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Queue samples without blocking."""
        ...

    async def start(self) -> None:
        """Start background work."""
        ...

    async def stop(self, deadline_s: float) -> bool:
        """Flush within the deadline."""
        ...

    def stats(self) -> Numbers:
        """Its counters."""
        ...


@dataclass(frozen=True, slots=True)
class RollupSinkStats:
    """Counters for self-monitoring: the stage's, and its shipper's prefixed `rollup_`."""

    rollup_samples: int
    rollup_series: int
    target: Mapping[str, int | float]

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value."""
        out = {f"rollup_{k}": v for k, v in self.target.items()}
        out |= {"rollup_samples": self.rollup_samples, "rollup_series": self.rollup_series}
        return out


class RollupSink:
    """Feeds every poll's samples to the aggregator; finished periods go to `target`."""

    def __init__(
        self,
        settings: RollupSettings,
        target: RollupTarget,
        *,
        clock_ns: Callable[[], int] = now_ns,
        tick_s: float = 30.0,
    ) -> None:
        self.aggregator = RollupAggregator(field_plans(settings.fields), settings.timezone)
        self.grace_ns = int(settings.grace * NS)
        self.target = target
        self.clock_ns = clock_ns
        self.tick_s = tick_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._emitted = 0

    def reconfigure(self, settings: RollupSettings) -> None:
        """Apply a reloaded `rollups:` section's aggregation: `grace` at once; a measurement
        whose fields changed (every one, when `timezone` did) has its open periods written
        as they are, as at a stop, and starts afresh (docs/capacity.md)."""
        self.grace_ns = int(settings.grace * NS)
        self._send(self.aggregator.replan(field_plans(settings.fields), settings.timezone))

    def _send(self, samples: list[Sample]) -> None:
        if samples:
            self._emitted += len(samples)
            self.target.submit_nowait(samples)

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Aggregate one poll's samples; forward the periods they closed."""
        self._send(self.aggregator.observe(samples))
        return True

    def submit_lines_nowait(self, lines: list[str]) -> bool:
        """Agents' unmapped points are not rolled up (the rollups cover the schema's own
        measurements): nothing to do."""
        return True

    def backlog(self) -> float:
        """0: the stage holds at most one open period per series in memory, and a full rollup
        shipper must not refuse agents' raw points (its own drops are counted)."""
        return 0.0

    async def _tick_loop(self) -> None:
        # Periods of series that stopped reporting are closed by the clock, not by a sample.
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.tick_s)
            self._send(self.aggregator.flush(self.clock_ns(), self.grace_ns))

    async def start(self) -> None:
        """Start the forwarder and the timer that closes silent periods."""
        await self.target.start()
        self._task = asyncio.create_task(self._tick_loop(), name="rollup-tick")

    async def stop(self, deadline_s: float) -> bool:
        """Emit the open (partial) periods, then flush the forwarder within the deadline.

        A restart within a period therefore writes that period twice with the same time: the
        later point (the rest of the period) replaces the first (docs/capacity.md).
        """
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._send(self.aggregator.flush(self.clock_ns(), everything=True))
        return await self.target.stop(deadline_s)

    def stats(self) -> RollupSinkStats:
        """How many rollup samples were made; how many series are open."""
        target = self.target.stats().as_fields()
        return RollupSinkStats(self._emitted, len(self.aggregator.series), target)
