"""One APScheduler job per device: stable jitter, no overlapping runs, deadlines, limits.

A poll still running when its next run is due is skipped and counted, never stacked
(`max_instances=1`). The jitter is derived from the device name and taken from the epoch,
so a restart -- or another poller taking the device over (docs/scaling.md) -- keeps each
device's place in the interval and polls stay spread instead of bursting. A `gate` (a
cluster member's session fence) can refuse a poll; every skip is counted by reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from lanpulse.collectors.snmp import deadline_for
from lanpulse.core.model import Device
from lanpulse.pipeline.overload import LatenessHistogram, SkipCounter

log = logging.getLogger(__name__)

# The poller ends a poll at its deadline (+0.5 s) with an `up=0` sample; the scheduler cuts
# it only if that did not happen (a bug, a blocked event loop), this long after.
SAFETY_S = 2.0


def jitter_offset(name: str, interval_s: float) -> float:
    """A stable offset in [0, interval) for a device, from a hash of its name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") / 2**64) * interval_s


@dataclass
class SchedulerStats:
    """Counters the daemon reports about scheduling."""

    polls: int = 0
    polls_failed: int = 0
    polls_skipped: int = 0
    poll_errors: int = 0
    deadline_exceeded: int = 0
    in_flight: int = 0
    extra_polls: int = 0  # polls asked for out of schedule (`poll_now`: a trap came)


PollFn = Callable[[Device], Awaitable[bool]]
# A reason not to poll a device now (e.g. "fenced"), or None to poll it.
GateFn = Callable[[Device], str | None]


class PollScheduler:
    """Keeps one interval job per device and runs `poll_fn` under the global limit."""

    def __init__(
        self,
        poll_fn: PollFn,
        max_concurrent: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.poll_fn = poll_fn
        self.now = now
        self.stats = SchedulerStats()
        self.devices: dict[str, Device] = {}
        self._limit = asyncio.Semaphore(max_concurrent)
        self._tasks: set[asyncio.Task[None]] = set()
        # Devices with a poll running, scheduled or extra: a device is never polled twice
        # at once (its counters and label cache are one state).
        self._running: set[str] = set()
        self._stopping = False  # set by shutdown(): queued polls return without polling
        # APScheduler logs two lines per poll at INFO and its own warning per skipped run;
        # one line per event is ours to write (skips are logged and counted here).
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)
        self._scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self.gate: GateFn | None = None
        self.lateness = LatenessHistogram()
        self.skips = SkipCounter()

    def start(self) -> None:
        """Start firing jobs (call from inside the running event loop)."""
        self._scheduler.start()

    def _skip(self, reason: str) -> None:
        self.stats.polls_skipped += 1
        self.skips.skip(reason)

    def _on_skipped(self, event: JobExecutionEvent) -> None:
        self._skip("overlap")  # the previous poll of the device is still running

    def _on_missed(self, event: JobExecutionEvent) -> None:
        self._skip("late")  # started more than half an interval after it was due

    def overload_fields(self) -> dict[str, float]:
        """The lateness histogram and the skips per reason, as stats keys."""
        return {**self.lateness.as_fields(), **self.skips.as_fields()}

    def deadline_of(self, device: Device) -> float:
        """The safety net: the poll's own deadline plus slack (the poller reports first)."""
        return deadline_for(device) + SAFETY_S

    def add(self, device: Device) -> None:
        """Schedule a device (replacing its job if it exists)."""
        self.devices[device.name] = device
        now = self.now()
        phase = (
            jitter_offset(device.name, device.interval_s) - now.timestamp()
        ) % device.interval_s
        first = now + timedelta(seconds=phase)
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=device.interval_s, start_date=first, timezone=UTC),
            args=[device.name],
            id=device.name,
            name=device.name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(int(device.interval_s / 2), 1),
        )

    def remove(self, name: str) -> None:
        """Stop polling a device."""
        self.devices.pop(name, None)
        if self._scheduler.get_job(name):
            self._scheduler.remove_job(name)

    def poll_now(self, name: str) -> bool:
        """Poll a scheduled device now, out of schedule; False when it is not scheduled or
        a poll of it is running (that poll will show what the caller wants to see)."""
        if name not in self.devices or name in self._running or not self._scheduler.running:
            return False
        self.stats.extra_polls += 1
        task = asyncio.create_task(self._run(name, scheduled=False))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def _due(self, name: str, interval_s: float) -> datetime | None:
        """When the run starting now was due: the job's next run minus one interval."""
        job = self._scheduler.get_job(name)
        if job is None or job.next_run_time is None:
            return None
        due: datetime = job.next_run_time - timedelta(seconds=interval_s)
        return due

    async def _run(self, name: str, scheduled: bool = True) -> None:
        device = self.devices.get(name)
        if device is None or self._stopping:
            return
        due = self._due(name, device.interval_s) if scheduled else None
        reason = self.gate(device) if self.gate is not None else None
        if reason is not None:
            self._skip(reason)
            return
        if name in self._running:
            self._skip("extra_poll_running")
            return
        self._running.add(name)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            async with self._limit:
                if self._stopping:
                    return  # queued behind the limit when the stop came: never starts
                if due is not None:
                    self.lateness.observe((self.now() - due).total_seconds())
                self.stats.in_flight += 1
                try:
                    async with asyncio.timeout(self.deadline_of(device)):
                        ok = await self.poll_fn(device)
                except TimeoutError:
                    self.stats.deadline_exceeded += 1
                    ok = False
                    log.warning("poll of %s exceeded its deadline", name)
                except asyncio.CancelledError:
                    if not self._stopping:
                        raise
                    # Cut by shutdown() at its deadline: an ordinary end for the job (APScheduler
                    # would log every cancelled poll as a failed job, with a traceback).
                    return
                finally:
                    self.stats.in_flight -= 1
            self.stats.polls += 1
            if not ok:
                self.stats.polls_failed += 1
        finally:
            self._running.discard(name)
            if task is not None:
                self._tasks.discard(task)

    async def shutdown(self, deadline_s: float) -> int:
        """Stop scheduling, let in-flight polls finish within the deadline; return the count cut.

        APScheduler's asyncio executor cancels every running job when the scheduler shuts
        down, so the scheduler is only paused while the polls finish, and shut down after.
        """
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.pause()
        # Wake every poll queued behind the concurrency limit: each sees the stop and returns
        # at once, instead of starting when a slot frees (the limit is not needed any more).
        for _ in range(len(self._tasks)):
            self._limit.release()
        pending = [t for t in self._tasks if not t.done()]
        still: set[asyncio.Task[None]] = set()
        if pending:
            _, still = await asyncio.wait(pending, timeout=max(deadline_s, 0.0))
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=1.0)  # let them unwind (cancelled I/O)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        return len(still)
