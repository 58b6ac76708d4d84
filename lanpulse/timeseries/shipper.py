"""The shipper: samples -> line protocol -> durable spool -> writer, as two asyncio tasks.

`submit` only enqueues (the poll loop never waits on disk or network). The appender task
encodes, batches (`batch_size` points or `flush_interval_s`) and appends to the spool in a
worker thread; the sender task sends the oldest unacknowledged batches one request at a
time, commits them after the acknowledgement, and backs off while the sink fails. With no
writer (no `influxdb:` section) data stays in the spool for `lanpulse spool replay`.
(~465 lines: the two tasks share the queue, the counters and the flush waiters; the spool,
the encoder, the writers and the value types live in their own modules.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import cast

from lanpulse.core.errors import SinkError
from lanpulse.core.model import Sample
from lanpulse.timeseries.lineprotocol import encode_poll
from lanpulse.timeseries.segment import SpoolRecord
from lanpulse.timeseries.shipper_types import MAX_RETRY_AFTER_S, Backoff, ShipperStats
from lanpulse.timeseries.spool import Spool, SpoolError
from lanpulse.timeseries.writer import Writer, WriteRejected

__all__ = ["Backoff", "Shipper", "ShipperStats"]

log = logging.getLogger("lanpulse.timeseries")

_FLUSH = object()  # queue marker: append what is pending now
_TICK = object()  # queue marker from the batch timer: the pending lines may be due
APPEND_GRACE_S = 5.0  # at stop, appending what is queued may take this long past the deadline
IDLE_WAKE_S = 5.0  # an idle sender looks at the spool (and expires old data) this often


class _Lines(list[str]):
    """A queue item of ready line protocol (told apart from a poll's samples by type)."""

    __slots__ = ()


class Shipper:
    """Owns one spool and at most one writer; start it, submit samples, stop it."""

    def __init__(
        self,
        spool: Spool,
        writer: Writer | None,
        *,
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        queue_max: int = 10_000,
        max_retries: int = 0,
        backoff: Backoff | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        degraded_for_s: float = 300.0,
    ) -> None:
        self.spool = spool
        self.writer = writer
        spool.keep_in_memory(writer is not None)  # without a sender nothing would free it
        self.batch_size = max(batch_size, 1)
        self.flush_interval_s = flush_interval_s
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self._monotonic = monotonic
        self._rand = rand
        self._sleep = sleep or self._wait_or_stop
        self._queue: asyncio.Queue[Sequence[Sample] | object] = asyncio.Queue(queue_max)
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # flush() calls waiting for progress; _notify() wakes them without a lock or a task.
        self._progress: list[asyncio.Future[None]] = []
        self._next_expire = 0.0  # when the idle sender next expires old segments
        self._tick: asyncio.TimerHandle | None = None  # armed while lines are pending
        self._enqueued = 0  # queue items put (samples lists and flush markers)
        self._appended = 0  # queue items fully handled by the appender
        self._submitted = 0
        self._spooled = 0
        self._dropped = 0  # queue full or not encodable; spool drops come from the spool
        self._written = 0
        self._batches = 0
        self._write_errors = 0
        self._latency = 0.0
        self._last_error: str | None = None
        self._last_drop_mono: float | None = None  # the shipper's own drops (queue full...)
        self._failing = False  # the last write failed: the data waits in the spool
        self.degraded_for_s = degraded_for_s
        self.problems = spool.problems  # one "log once" state for the spool and the sender

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the appender (and, with a writer, the sender) tasks."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._append_loop(), name="spool-appender"))
        if self.writer is not None:
            self._tasks.append(asyncio.create_task(self._send_loop(), name="spool-sender"))

    async def stop(self, deadline_s: float = 10.0) -> bool:
        """Send what can be sent within the deadline (not waiting on a failing database),
        spool the rest, stop the tasks, close writer and spool; True if all was sent.

        What is queued is appended to the spool even past the deadline (up to
        APPEND_GRACE_S more: a local disk write), so a stop never drops collected data.
        """
        drained = False
        if self._tasks:
            drained = await self.flush(
                deadline_s, wait_while_failing=False, append_grace_s=APPEND_GRACE_S
            )
        self._stopping.set()
        self._disarm_tick()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.writer is not None:
            await self.writer.close()
        await asyncio.to_thread(self.spool.close)
        return drained

    async def set_writer(self, writer: Writer | None) -> None:
        """Swap the sink (config reload): the spool and its order stay, the old writer closes.

        A batch in flight on the old writer finishes first; None turns sending off.
        """
        old, self.writer = self.writer, writer
        self.spool.keep_in_memory(writer is not None)
        if old is not None and old is not writer:
            await old.close()
        running = any(t.get_name() == "spool-sender" and not t.done() for t in self._tasks)
        if writer is not None and self._tasks and not running:
            self._tasks.append(asyncio.create_task(self._send_loop(), name="spool-sender"))
        self._wake.set()

    # --- submitting -----------------------------------------------------------------------

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Queue one poll's samples without waiting; False (and counted) when the queue is full."""
        self._submitted += len(samples)
        try:
            self._queue.put_nowait(samples)
        except asyncio.QueueFull:
            self._dropped += len(samples)
            self._last_drop_mono = self._monotonic()
            self.problems.report(
                "queue-full",
                f"shipper queue full ({self._queue.maxsize} polls waiting): samples dropped",
            )
            return False
        self._enqueued += 1
        return True

    def submit_lines_nowait(self, lines: list[str]) -> bool:
        """Queue ready line protocol (an agent's points passed through unchanged, nanosecond
        timestamps); False (and counted) when the queue is full."""
        self._submitted += len(lines)
        try:
            self._queue.put_nowait(_Lines(lines))
        except asyncio.QueueFull:
            self._dropped += len(lines)
            return False
        self._enqueued += 1
        return True

    def backlog(self) -> float:
        """How full the shipper is, 0..1: the larger of its queue and its spool (a push
        receiver answers 503 above a limit, so agents keep their data and retry)."""
        queue = self._queue.qsize() / self._queue.maxsize if self._queue.maxsize else 0.0
        return max(queue, self.spool.state().bytes / self.spool.max_bytes)

    async def submit(self, samples: Sequence[Sample]) -> None:
        """Queue one poll's samples, waiting for room when the queue is full."""
        self._submitted += len(samples)
        await self._queue.put(samples)
        self._enqueued += 1

    async def flush(
        self, deadline_s: float, *, wait_while_failing: bool = True, append_grace_s: float = 0.0
    ) -> bool:
        """Append everything queued; with a writer, also wait until the spool is sent.

        Returns True when all of it happened within `deadline_s`. `wait_while_failing=False`
        stops waiting for the sender once the database fails (the data stays spooled);
        appending may take `append_grace_s` beyond the deadline.
        """
        end = self._monotonic() + deadline_s
        try:
            self._queue.put_nowait(_FLUSH)
        except asyncio.QueueFull:
            try:
                await asyncio.wait_for(self._queue.put(_FLUSH), timeout=deadline_s)
            except TimeoutError:
                return False
        self._enqueued += 1
        target = self._enqueued
        self._wake.set()

        def sent() -> bool:
            if self.writer is None or (self._failing and not wait_while_failing):
                return True
            return self.spool.state().points == 0

        loop = asyncio.get_running_loop()
        while not (self._appended >= target and sent()):
            limit = end if self._appended >= target else end + append_grace_s
            remaining = limit - self._monotonic()
            if remaining <= 0:
                return False
            progress = loop.create_future()
            self._progress.append(progress)
            try:
                # The timeout only bounds the wait: every append, commit or idle sender wakes us.
                async with asyncio.timeout(min(remaining, 0.5)):
                    await progress
            except TimeoutError:
                pass
            finally:
                if progress in self._progress:  # timed out: not woken by _notify()
                    self._progress.remove(progress)
        return True

    def _notify(self) -> None:
        """Wake the flush() calls waiting for progress (a cheap no-op without any)."""
        waiters, self._progress = self._progress, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # --- appender -------------------------------------------------------------------------

    async def _append_loop(self) -> None:
        # Per poll this loop costs little more than the encoding: it waits on the queue
        # without a timeout (`wait_for` would wrap every get in a task and a timer), takes
        # whatever else is queued without waiting, lets a timer armed once per batch drop a
        # _TICK in when the batch is due, and wakes flush() waiters only when there are any.
        lines: list[str] = []
        first_at = 0.0
        queue = self._queue
        while True:
            item = await queue.get()
            handled = 0  # queue items taken, _TICKs aside (flush() counts the others)
            flush_now = False
            while True:
                if item is _FLUSH:
                    flush_now = True
                    handled += 1
                elif item is not _TICK:
                    if not lines:
                        first_at = self._monotonic()
                    if type(item) is _Lines:
                        lines.extend(item)
                    else:
                        self._encode_into(cast("Sequence[Sample]", item), lines)
                    handled += 1
                if flush_now or len(lines) >= self.batch_size:
                    break  # append before taking more: order, and flush() sees it done
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            due = bool(lines) and self._monotonic() - first_at >= self.flush_interval_s
            while lines and (flush_now or due or len(lines) >= self.batch_size):
                chunk, lines = lines[: self.batch_size], lines[self.batch_size :]
                await self._append(chunk)
                due = due and bool(lines)
            if lines:
                self._arm_tick(first_at + self.flush_interval_s)
            else:
                self._disarm_tick()
            if handled:
                self._appended += handled
                self._notify()

    def _encode_into(self, samples: Sequence[Sample], lines: list[str]) -> None:
        """Append the lines of one poll's samples to `lines`, counting the ones left out."""
        self._dropped += encode_poll(samples, lines, self._unencodable)

    def _unencodable(self, sample: Sample, exc: Exception) -> None:
        # A malformed sample (a bug upstream) must not stop the appender.
        self._report("encode", f"sample not encodable ({type(exc).__name__}: {exc})")

    def _arm_tick(self, due_at: float) -> None:
        """Have a _TICK queued at `due_at` (our monotonic clock) unless one is armed."""
        if self._tick is None:
            delay = max(due_at - self._monotonic(), 0.0)
            self._tick = asyncio.get_running_loop().call_later(delay, self._on_tick)

    def _disarm_tick(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def _on_tick(self) -> None:
        self._tick = None
        # A non-empty queue wakes the appender anyway (and it then re-checks what is due);
        # queueing only into an empty one means a _TICK never takes a poll's place.
        if self._queue.empty():
            self._queue.put_nowait(_TICK)

    async def _append(self, lines: list[str]) -> None:
        lines.append("")  # the payload's final newline, without copying it once more
        payload = "\n".join(lines).encode()
        del lines[-1]
        try:
            # The spool holds in memory what the disk refuses; only its own file state
            # (the commit cursor) can fail here.
            await asyncio.to_thread(self.spool.append, payload, len(lines))
        except (OSError, SpoolError) as exc:
            self._dropped += len(lines)
            self._last_drop_mono = self._monotonic()
            self._report(
                "spool-append", f"spool {self.spool.directory}: {len(lines)} points dropped: {exc}"
            )
            return
        self._spooled += len(lines)
        self._wake.set()

    # --- sender ---------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        # Per batch: the records just appended come from the spool's memory, and the commit is
        # one small in-place write (unless an fsync is due), both without a thread hop; the
        # request takes one. Cleared before reading, `_wake` cannot miss an append that lands
        # while the spool is read.
        failures = 0
        spool = self.spool
        while not self._stopping.is_set():
            writer = self.writer
            if writer is None:
                return  # sending turned off by set_writer(None)
            self._wake.clear()
            try:
                batch = await asyncio.to_thread(spool.read_batch, self.batch_size)
            except OSError as exc:  # a segment vanished or cannot be read: say so, retry
                failures += 1
                self._report(
                    "spool-read", f"spool {spool.directory}: cannot read: {exc} (retrying)"
                )
                await self._sleep(self.backoff.delay(failures, self._rand))
                continue
            if not batch:
                self._notify()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_WAKE_S):
                        await self._wake.wait()
                if self._monotonic() >= self._next_expire:
                    # Appends expire old segments themselves; this is for a spool nobody
                    # appends to (no polls), so every IDLE_WAKE_S is often enough. Likewise
                    # for the last appends and commits before a quiet spell with `interval`
                    # fsync (they fsync themselves when the interval has passed).
                    self._next_expire = self._monotonic() + IDLE_WAKE_S
                    await asyncio.to_thread(self._idle_upkeep)
                continue
            payload = b"".join(r.payload for r in batch)
            points = sum(r.points for r in batch)
            started = self._monotonic()
            try:
                await writer.write(payload, points)
            except WriteRejected as exc:
                self._write_errors += 1
                if exc.partial:
                    # InfluxDB stored the good points; only the refused ones are lost to it.
                    # The batch is still kept in rejected/ for inspection (a replay is
                    # harmless: InfluxDB overwrites identical points).
                    self._written += max(points - exc.dropped, 0)
                await self._quarantine(batch, str(exc))
                failures = 0
                continue
            except Exception as exc:
                # The sender is a task boundary: whatever a writer raises, the data stays
                # in the spool and the loop goes on. Known failures arrive as SinkError.
                if not isinstance(exc, SinkError):
                    exc = SinkError(
                        f"{writer.describe()}: {type(exc).__name__}: {exc}", retryable=True
                    )
                self._write_errors += 1
                failures += 1
                self._failing = True
                self._notify()  # a stop waiting for the send need not wait any longer
                self._report("write", f"{exc} (data kept, retrying)")
                if exc.retryable and self.max_retries and failures >= self.max_retries:
                    await self._quarantine(batch, f"gave up after {failures} attempts: {exc}")
                    failures = 0
                    continue
                delay = self.backoff.delay(failures, self._rand)
                if exc.retry_after is not None:
                    delay = min(exc.retry_after, MAX_RETRY_AFTER_S)
                elif not exc.retryable:
                    delay = self.backoff.max_s  # a config problem: retry slowly, keep the data
                await self._sleep(delay)
                continue
            self._latency = self._monotonic() - started
            try:
                await asyncio.to_thread(spool.commit, *batch)
            except OSError as exc:  # the cursor file: these batches may be sent once more
                self._report("spool-commit", f"spool {spool.directory}: cannot commit: {exc}")
            self._written += points
            self._batches += 1
            failures = 0
            self._failing = False
            self.problems.resolved("write", f"writes to {writer.describe()} resumed")
            self._notify()

    def _idle_upkeep(self) -> None:
        self.spool.expire()
        self.spool.sync_due()

    async def _wait_or_stop(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _quarantine(self, batch: list[SpoolRecord], reason: str) -> None:
        path = await asyncio.to_thread(self.spool.quarantine, batch, reason)
        points = sum(r.points for r in batch)
        self._last_error = reason
        log.error("%s; %d points quarantined in %s", reason, points, path)
        self._notify()

    def _report(self, key: str, message: str) -> None:
        """Log a failure once, then summarised (not on every retry); the stats keep the latest."""
        self._last_error = message
        self.problems.report(key, message)

    def _dropped_recently(self, now_ns: int) -> bool:
        spool_drop = self.spool.last_drop_ns
        if spool_drop is not None and now_ns - spool_drop < self.degraded_for_s * 1e9:
            return True
        own = self._last_drop_mono
        return own is not None and self._monotonic() - own < self.degraded_for_s

    # --- stats ----------------------------------------------------------------------------

    def stats(self, now_ns: int | None = None) -> ShipperStats:
        """A snapshot of the counters for self-monitoring."""
        state = self.spool.state()
        now = time.time_ns() if now_ns is None else now_ns
        age = (now - state.oldest_ns) / 1e9 if state.oldest_ns is not None else 0.0
        return ShipperStats(
            queue_depth=self._queue.qsize(),
            spool_bytes=state.bytes,
            spool_points=state.points,
            spool_age_seconds=max(age, 0.0),
            points_submitted=self._submitted,
            points_spooled=self._spooled,
            points_written=self._written,
            points_dropped=self._dropped + state.counters.dropped_points,
            points_rejected=state.counters.rejected_points,
            points_held=state.held_points,
            spool_corrupt_bytes=state.counters.corrupt_bytes,
            spool_degraded=int(state.held_points > 0 or self._dropped_recently(now)),
            batches_written=self._batches,
            write_errors=self._write_errors,
            write_latency_seconds=self._latency,
            last_error=self._last_error,
        )
