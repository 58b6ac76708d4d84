"""Routes notifiable events to notifiers, with grouping, repeats and retries.

`submit` only queues (it never does I/O), so a notifier that is down cannot slow evaluation
or polling. `flush` sends the groups that are due, each in its own task; a failed delivery
stays queued and is retried with exponential backoff. The queue per receiver is bounded:
when it overflows, the oldest notifications are dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from lanpulse.alerts.notifiers.base import Notifier
from lanpulse.alerts.receiver_health import FAILING_AFTER, NotifierHealth
from lanpulse.alerts.records import notifiable
from lanpulse.alerts.routing import Route, RouteNode, first_matches
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent, now_ns

log = logging.getLogger(__name__)
NS = 1_000_000_000
AlertId = tuple[tuple[str, str], ...]
GroupKey = tuple[str, tuple[str, ...]]


@dataclass(slots=True)
class _Group:
    receiver: str
    route: Route
    pending: dict[AlertId, AlertEvent] = field(default_factory=dict)
    active: dict[AlertId, AlertEvent] = field(default_factory=dict)
    first_pending_ns: int = 0
    last_sent_ns: int | None = None
    last_full_ns: int | None = None  # last time the whole group went (repeats count from it)
    next_try_ns: int = 0
    failures: int = 0
    in_flight: bool = False


@dataclass(slots=True)
class DispatchStats:
    """Counters for self-monitoring."""

    delivered: int = 0
    failed_attempts: int = 0
    dropped: int = 0


def alert_id(event: AlertEvent) -> AlertId:
    """An alert's identity for receivers: its sorted labels."""
    return tuple(sorted(event.labels.items()))


class Dispatcher:
    """Queues notifiable events per receiver and group, and delivers them when due."""

    def __init__(
        self,
        notifiers: Mapping[str, Notifier],
        routes: Sequence[Route],
        *,
        tree: RouteNode | None = None,
        retry_initial_s: float = 5.0,
        retry_max_s: float = 300.0,
        max_queued: int = 10_000,
        clock: Callable[[], int] = now_ns,
        held: Callable[[Mapping[str, str]], bool] = lambda _labels: False,
    ) -> None:
        self.notifiers = dict(notifiers)
        self.held = held  # labels -> silenced or acknowledged now (no repeats)
        self.routes = tuple(routes)  # flat, first (Alertmanager's catch-all, old `routes:`)
        self.tree = tree  # then the routing tree, if any
        self.retry_initial_ns = int(retry_initial_s * NS)
        self.retry_max_ns = int(retry_max_s * NS)
        self.max_queued = max_queued
        self.clock = clock
        self.stats = DispatchStats()
        self.health = NotifierHealth()
        # Notifications a receiver refused for good (e.g. SMTP 554), per receiver: kept, shown
        # in /metrics, and tried again on reload or `lanpulse alerts retry`.
        self.dead: dict[str, list[AlertEvent]] = {}
        self._groups: dict[GroupKey, _Group] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._count: dict[str, int] = {}  # queued notifications per receiver

    # -- queueing -----------------------------------------------------------------------

    def submit(self, events: Iterable[AlertEvent], *, only: str | None = None) -> int:
        """Queue the notifiable ones of `events` (for receiver `only`, or every receiver
        their routes name except the one a `notifier_failing` alert is about)."""
        queued = 0
        for ev in notifiable(events):
            about = ev.labels.get("receiver") if ev.rule == "notifier_failing" else None
            for route in self._routes_for(ev.labels):
                key = tuple(ev.labels.get(g, "") for g in route.group_by)
                for receiver in route.receivers:
                    if receiver == about or (only is not None and receiver != only):
                        continue
                    if receiver in self.notifiers:
                        self._queue(receiver, route, (receiver, key), ev)
                        queued += 1
        return queued

    def _routes_for(self, labels: Mapping[str, str]) -> list[Route]:
        out = first_matches(self.routes, labels)
        if self.tree is not None and (not out or out[-1].continue_):
            out += self.tree.match(labels)
        return out

    def all_routes(self) -> list[Route]:
        """Every route, flat ones first."""
        return [*self.routes, *(self.tree.walk() if self.tree is not None else ())]

    def _queue(self, receiver: str, route: Route, key: GroupKey, ev: AlertEvent) -> None:
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(receiver, route)
        if not group.pending:
            group.first_pending_ns = ev.time_ns or self.clock()
        aid = alert_id(ev)
        if aid not in group.pending:
            self._count[receiver] = self._count.get(receiver, 0) + 1
        group.pending[aid] = ev
        if self._count[receiver] > self.max_queued:
            self._bound(receiver)

    def _bound(self, receiver: str) -> None:
        groups = [g for g in self._groups.values() if g.receiver == receiver]
        excess = sum(len(g.pending) for g in groups) - self.max_queued
        self._count[receiver] = sum(len(g.pending) for g in groups)
        if excess <= 0:
            return
        self._count[receiver] -= excess
        queued = sorted(
            ((ev.time_ns, g, aid) for g in groups for aid, ev in g.pending.items()),
            key=lambda item: item[0],
        )
        for _, g, aid in queued[:excess]:
            del g.pending[aid]
        self.stats.dropped += excess
        self.health.of(receiver).dropped += excess
        log.warning("%s: queue full, dropped the %d oldest notifications", receiver, excess)

    def queued(self, receiver: str | None = None) -> int:
        """How many notifications wait for delivery (for one receiver, or all)."""
        return sum(
            len(g.pending)
            for g in self._groups.values()
            if receiver is None or g.receiver == receiver
        )

    # -- delivery -----------------------------------------------------------------------

    def _due(self, g: _Group, now: int) -> bool:
        if g.in_flight or now < g.next_try_ns:
            return False
        if g.pending:
            if g.failures:
                return True
            if g.last_sent_ns is None:
                return now >= g.first_pending_ns + int(g.route.group_wait_s * NS)
            return now >= g.last_sent_ns + int(g.route.group_interval_s * NS)
        return self._repeat_due(g, now)

    def _repeatable(self, g: _Group) -> dict[AlertId, AlertEvent]:
        """The group's firing alerts that a repeat may include."""
        if not g.route.honours_holds:
            return g.active
        return {aid: ev for aid, ev in g.active.items() if not self.held(ev.labels)}

    def _repeat_due(self, g: _Group, now: int) -> bool:
        return (
            g.last_full_ns is not None
            and now >= g.last_full_ns + int(g.route.repeat_interval_s * NS)
            and bool(self._repeatable(g))
        )

    async def flush(self, now_ns: int | None = None, *, wait: bool = True) -> int:
        """Start delivery of every group that is due; with `wait`, wait for them.

        Returns how many groups were started.
        """
        now = self.clock() if now_ns is None else now_ns
        started: list[asyncio.Task[None]] = []
        for g in list(self._groups.values()):
            if self._due(g, now):
                g.in_flight = True
                task = asyncio.create_task(self._deliver(g, now))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started.append(task)
        if wait and started:
            await asyncio.gather(*started)
        return len(started)

    async def _deliver(self, g: _Group, now: int) -> None:
        sending = dict(g.pending)
        full = g.route.whole_group or not sending or self._repeat_due(g, now)
        batch = {**self._repeatable(g), **sending} if full else sending
        try:
            await self.notifiers[g.receiver].send(list(batch.values()))
        except Exception as exc:  # a notifier failing in any way must not lose the batch
            self.stats.failed_attempts += 1
            retryable = not isinstance(exc, SinkError) or exc.retryable
            g.failures += 1
            # A permanent refusal makes the receiver failing at once; retryable ones after
            # a few attempts in a row.
            attempts = g.failures if retryable else max(g.failures, FAILING_AFTER)
            self._note(self.health.failed(g.receiver, attempts, str(exc), now))
            if not retryable:
                dead = self.dead.setdefault(g.receiver, [])
                dead.extend(sending.values())
                self.health.of(g.receiver).dead_lettered += len(sending)
                log.error(
                    "%s: delivery refused for good, %d notification(s) kept as dead letters "
                    "(tried again on reload or `lanpulse alerts retry`): %s",
                    g.receiver,
                    len(sending),
                    exc,
                )
                self._sent(g, sending, now, full)
                return
            backoff = min(self.retry_initial_ns * 2 ** (g.failures - 1), self.retry_max_ns)
            if isinstance(exc, SinkError) and exc.retry_after:
                backoff = max(backoff, int(exc.retry_after * NS))
            g.next_try_ns = now + backoff
            log.warning(
                "%s: delivery failed (attempt %d), retrying in %.0fs: %s",
                g.receiver,
                g.failures,
                backoff / NS,
                exc,
            )
        else:
            self.stats.delivered += len(batch)
            self._note(self.health.delivered(g.receiver, len(batch), now))
            self._sent(g, sending, now, full)
        finally:
            g.in_flight = False

    def _note(self, event: AlertEvent | None) -> None:
        if event is not None:
            log.warning("%s: %s", event.summary, event.state)
            self.submit([event])

    def retry_dead(self) -> int:
        """Queue every dead letter again (reload, `lanpulse alerts retry`); how many."""
        dead, self.dead = self.dead, {}
        count = 0
        for receiver, events in dead.items():
            if receiver in self.notifiers:
                count += self.submit(events, only=receiver)
        return count

    def _sent(self, g: _Group, sending: Mapping[AlertId, AlertEvent], now: int, full: bool) -> None:
        for aid, ev in sending.items():
            if g.pending.get(aid) is ev:  # a newer event may have arrived during the send
                del g.pending[aid]
                self._count[g.receiver] -= 1
            # A flapping notice is said once: later group messages and repeats must not
            # show it as firing while the device may long be fine (issue 16).
            if ev.state == "firing":
                g.active[aid] = ev
            else:
                g.active.pop(aid, None)
        g.failures = 0
        g.next_try_ns = 0
        g.last_sent_ns = now if (g.active or g.pending) else None
        if full or g.last_full_ns is None:
            g.last_full_ns = g.last_sent_ns
        if g.last_sent_ns is None:
            g.last_full_ns = None

    async def run(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        """Deliver until `stop` is set (the daemon's task); then a last flush."""
        while not stop.is_set():
            await self.flush(wait=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
        await self.flush(wait=True)

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """Undelivered and active notifications, for the state file."""
        out = []
        for (receiver, key), g in self._groups.items():
            if g.pending or g.active:
                out.append(
                    {
                        "receiver": receiver,
                        "key": list(key),
                        "pending": [asdict(e) for e in g.pending.values()],
                        "active": [asdict(e) for e in g.active.values()],
                        "last_sent_ns": g.last_sent_ns,
                    }
                )
        return out

    def restore(self, data: Iterable[dict[str, Any]]) -> None:
        """Reload a snapshot (receivers that are no longer configured are skipped)."""
        for item in data:
            receiver = item["receiver"]
            if receiver not in self.notifiers:
                continue
            events = [AlertEvent(**e) for e in item.get("pending", [])]
            active = [AlertEvent(**e) for e in item.get("active", [])]
            first = (events or active)[:1]
            route = next(
                (
                    r
                    for r in self.routes
                    if first and receiver in r.receivers and r.matches(first[0].labels)
                ),
                None,
            )
            if route is None:
                continue
            g = _Group(receiver, route)
            g.pending = {alert_id(e): e for e in events}
            g.active = {alert_id(e): e for e in active}
            g.first_pending_ns = min((e.time_ns for e in events), default=0)
            g.last_sent_ns = g.last_full_ns = item.get("last_sent_ns")
            self._groups[(receiver, tuple(item["key"]))] = g
            self._count[receiver] = self._count.get(receiver, 0) + len(g.pending)
