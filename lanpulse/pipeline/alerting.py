"""The alert engine as a sink of the pipeline: samples in, `alert` samples and notifications out.

Evaluation is synchronous and cheap; delivery runs in the dispatcher's own task, so a
notifier that is down never slows polling (it retries, and its queue is persisted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lanpulse.alerts.control import AlertController
from lanpulse.alerts.service import AlertingService
from lanpulse.core.model import Sample, now_ns

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertSinkStats:
    """Counters for self-monitoring."""

    alert_samples: int
    alerts_firing: int

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value."""
        return {"alert_samples": self.alert_samples, "alerts_firing": self.alerts_firing}


class AlertSink:
    """Feeds every poll's samples to the alert engine and forwards the `alert` samples."""

    def __init__(
        self,
        service: AlertingService,
        forward: Callable[[Sequence[Sample]], None],
        clock_ns: Callable[[], int] = now_ns,
        tick_s: float = 5.0,
    ) -> None:
        self.service = service
        self.forward = forward
        self.clock_ns = clock_ns
        self.tick_s = tick_s
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._delivery: asyncio.Task[None] | None = None
        self._delivery_stop = asyncio.Event()
        self._alert_samples = 0
        self._sync: asyncio.Task[None] | None = None
        self.control = AlertController(
            lambda: self.service, self._forward, lambda: self.service.mirror, clock_ns
        )

    def _forward(self, samples: Sequence[Sample]) -> None:
        if samples:
            self._alert_samples += len(samples)
            self.forward(samples)

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        """Evaluate one poll's samples now; forward the resulting `alert` samples."""
        self._forward(self.service.observe(samples, self.clock_ns()))
        return True

    async def _tick_loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.tick_s)
            now = self.clock_ns()
            self._forward(self.service.tick(now))
            self._forward(self.service.remark(now))  # silences that began or ended
            # Mirroring to Alertmanager in its own task: one that is down must not delay
            # the alert timers by its connection timeout.
            if self._sync is None or self._sync.done():
                self._sync = asyncio.create_task(self.control.sync(), name="silence-mirror")

    async def start(self) -> None:
        """Restore persisted alert state and start the timers and the delivery task."""
        restored = self.service.load_state(self.clock_ns())
        if restored:
            log.info("restored %d alerts from the state file", restored)
        self._tasks = [asyncio.create_task(self._tick_loop(), name="alert-tick")]
        self.service.start_watchdog(self.clock_ns())
        self._start_delivery()

    def _start_delivery(self) -> None:
        self._delivery_stop = asyncio.Event()
        self._delivery = asyncio.create_task(
            self.service.dispatcher.run(self._delivery_stop), name="alert-delivery"
        )

    async def _stop_delivery(self, deadline_s: float) -> bool:
        if self._delivery is None:
            return True
        self._delivery_stop.set()
        done, _ = await asyncio.wait([self._delivery], timeout=deadline_s)
        if not done:
            self._delivery.cancel()
        self._delivery = None
        return bool(done)

    async def replace(self, new: AlertingService, deadline_s: float = 10.0) -> None:
        """Swap in a service built from a reloaded config, keeping alert state and queues.

        The old dispatcher stops first (its last flush sends what is due), then its
        undelivered notifications move to the new one, so nothing is sent twice or lost.
        """
        await self._stop_delivery(deadline_s)
        self.service = self.service.reload(new, self.clock_ns())
        self.service.start_watchdog(self.clock_ns())  # a new Alertmanager gets it too
        self._forward(self.service.orphans(self.clock_ns()))
        self._start_delivery()

    async def stop(self, deadline_s: float) -> bool:
        """Deliver what can be delivered within the deadline and save the state."""
        self._stop.set()
        await self.service.planned_stop(self.clock_ns(), min(5.0, deadline_s))
        pending: set[asyncio.Task[None]] = set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        if self._sync is not None and not self._sync.done():
            self._sync.cancel()  # unmirrored silences are mirrored after the next start
        delivered = await self._stop_delivery(deadline_s)
        try:
            self.service.save_state()
        except OSError as exc:
            log.error("cannot save alert state: %s", exc)
        return delivered and not pending

    def _queued(self) -> dict[str, int]:
        dispatcher = self.service.dispatcher
        return {name: dispatcher.queued(name) for name in dispatcher.notifiers}

    def notifier_health(self) -> dict[str, dict[str, object]]:
        """Per receiver: sent, failed, dropped, dead-lettered, queued, failing (/healthz)."""
        return self.service.dispatcher.health.as_json(self._queued())

    def notifier_metrics(self) -> str:
        """The same as Prometheus text, one series per receiver (/metrics)."""
        return self.service.dispatcher.health.prometheus(self._queued())

    def stats(self) -> AlertSinkStats:
        """How many alert samples were produced and how many alerts fire now."""
        return AlertSinkStats(self._alert_samples, self.service.firing())
