"""Alerting wired from its settings: engine + dispatcher + state file, for the daemon."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from lanpulse.alerts.dispatcher import Dispatcher
from lanpulse.alerts.engine import FIRING, INACTIVE, AlertEngine, EngineOptions
from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.maintenance import windows_from_settings
from lanpulse.alerts.mirror import AlertmanagerSilences, silence_mirror
from lanpulse.alerts.notifiers.alertmanager import AlertmanagerNotifier
from lanpulse.alerts.notifiers.base import Notifier
from lanpulse.alerts.pages import PageWriter
from lanpulse.alerts.records import alert_samples, notifiable
from lanpulse.alerts.rules import Rule
from lanpulse.alerts.silences import SilenceBook
from lanpulse.alerts.store import StateStore, restore, snapshot
from lanpulse.alerts.watchdog import stop_notice, watchdog_event
from lanpulse.alerts.wiring import build_notifiers, build_routes, build_tree
from lanpulse.config.alerting import AlertingSettings
from lanpulse.config.grafana import GrafanaSettings
from lanpulse.core.model import AlertEvent, Sample, now_ns

log = logging.getLogger(__name__)
NS = 1_000_000_000


class AlertingService:
    """Engine, dispatcher and state file together; see `lanpulse.alerts` for the calls."""

    def __init__(
        self,
        engine: AlertEngine,
        dispatcher: Dispatcher,
        store: StateStore | None = None,
        checkpoint_s: float = 60.0,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.store = store
        self.checkpoint_ns = int(checkpoint_s * NS)
        self.clock = clock
        self._saved_ns = 0
        # alert id -> the state last written to the `alert` measurement: `alerts_firing`
        # counts from it, so /metrics and the measurement cannot disagree.
        self.written: dict[str, Sample] = {}
        self.mirror: AlertmanagerSilences | None = None  # silences mirrored there
        self.pages = PageWriter({r.name: r for r in engine.rules})
        self.adopt(SilenceBook())

    def adopt(self, book: SilenceBook) -> None:
        """Use `book`'s silences and acknowledgements (a new service on reload keeps them)."""
        self.book = book
        self.engine.silenced = self._silenced
        self.dispatcher.held = self._held

    def _silenced(self, labels: Mapping[str, str], now_ns: int) -> str | None:
        silence = self.book.silencing(labels, now_ns)
        return None if silence is None else f"silence:{silence.id}"

    def _held(self, labels: Mapping[str, str]) -> bool:
        return (
            alert_id(labels) in self.book.acks
            or self.book.silencing(labels, self.clock()) is not None
        )

    def marks(self, event: AlertEvent) -> tuple[bool, bool]:
        """(muted, acked) of an event, for the `alert` measurement."""
        muted = (event.suppressed_by or "").startswith("silence:") or (
            self.book.silencing(event.labels, event.time_ns or self.clock()) is not None
        )
        return muted, alert_id(event.labels) in self.book.acks

    def record(self, events: Sequence[AlertEvent]) -> list[Sample]:
        """The `alert` samples of `events`; ends the acknowledgement of resolved alerts."""
        samples = alert_samples(events, self.marks)
        for sample in samples:
            aid = sample.tags["alert_id"]
            if sample.fields["state"] == 0:
                self.written.pop(aid, None)
                self.book.release(aid)
            else:
                self.written[aid] = sample
        return samples

    def release_unfiring_acks(self) -> list[str]:
        """End the acknowledgements of alerts this engine holds that are not firing (they
        ended with their alert). One made through another poller-group member from its
        slightly stale view of this one's alerts can arrive just after its alert resolved;
        kept, it would hold that alert's next firing. Their ids."""
        if not self.book.acks:
            return []
        unfiring = {
            alert_id(self.engine.labels(st))
            for st in self.engine.alerts.values()
            if st.state != FIRING
        }
        ended = sorted(unfiring & self.book.acks.keys())
        for aid in ended:
            self.book.release(aid)
        return ended

    def firing(self) -> int:
        """How many alerts the `alert` measurement shows as firing now."""
        return sum(1 for sample in self.written.values() if sample.fields["state"] == 2)

    def remark(self, now_ns: int) -> list[Sample]:
        """Samples for alerts whose muted/acked marks changed (a silence or an ack was set or
        ended), so dashboards follow without waiting for the next transition."""
        out = []
        for aid, last in list(self.written.items()):
            labels = {**last.tags, "alertname": last.tags["rule"]}
            muted = self.book.silencing(labels, now_ns) is not None
            fields = {**last.fields, "muted": int(muted), "acked": int(aid in self.book.acks)}
            if fields != dict(last.fields):
                self.written[aid] = Sample("alert", last.tags, fields, now_ns)
                out.append(self.written[aid])
        return out

    def orphans(self, now_ns: int) -> list[Sample]:
        """After a reload: resolved samples for alerts written as active that the engine no
        longer holds (their rule was removed; otherwise they would show firing forever), and
        fresh samples for active alerts whose identity changed (a rule's labels or severity
        were edited), so the measurement and `alerts_firing` keep agreeing."""
        live = {
            alert_id(self.engine.labels(st)): st
            for st in self.engine.alerts.values()
            if st.state != INACTIVE
        }
        out = []
        for aid in [a for a in self.written if a not in live]:
            last = self.written.pop(aid)
            out.append(Sample("alert", last.tags, {**last.fields, "state": 0}, now_ns))
        unwritten = [
            self.engine.current(st, now_ns) for a, st in live.items() if a not in self.written
        ]
        return out + self.record(unwritten)

    @classmethod
    def from_settings(
        cls,
        settings: AlertingSettings,
        rules: Iterable[Rule],
        *,
        base_dir: Path,
        parents: Mapping[str, str] | None = None,
        groups: Mapping[str, str] | None = None,
        clock: Callable[[], int] = now_ns,
        grafana: GrafanaSettings | None = None,
        directory: Mapping[str, Mapping[str, str]] | None = None,
        status_url: str | None = None,
    ) -> AlertingService:
        """Build everything from the validated `alerting:` section and its rules.

        `directory`: device -> inventory facts for pages (address, group, labels);
        `status_url`: the daemon's status page as people reach it (`web.external_url`).
        """
        rules = list(rules)
        engine = AlertEngine(
            rules,
            parents=parents,
            groups=groups,
            maintenance=windows_from_settings(settings.maintenance),
            options=EngineOptions(
                flap_transitions=settings.flapping.transitions,
                flap_window_s=settings.flapping.window,
                dependency_wait_s=settings.dependency_wait,
                down_rule=settings.down_rule,
                stale_after_s=settings.stale_after,
            ),
        )
        dispatcher = Dispatcher(
            build_notifiers(settings, base_dir, clock, grafana),
            build_routes(settings),
            tree=build_tree(settings),
            retry_initial_s=settings.retry.initial,
            retry_max_s=settings.retry.maximum,
            max_queued=settings.retry.max_queued,
            clock=clock,
        )
        store = None
        if settings.state_file:
            path = Path(settings.state_file)
            store = StateStore(path if path.is_absolute() else base_dir / path)
        service = cls(engine, dispatcher, store, clock=clock)
        service.pages = PageWriter(
            {r.name: r for r in rules},
            timezone=settings.timezone,
            grafana_url=grafana.url if grafana is not None else None,
            status_url=status_url,
            directory=directory or {},
        )
        service.mirror = silence_mirror(settings)
        return service

    def reload(self, new: AlertingService, now_ns: int) -> AlertingService:
        """Carry this service's alert state and undelivered notifications over to `new`
        (built from a validated new config, on SIGHUP); returns `new`."""
        restore(new.engine, snapshot(self.engine), now_ns)
        new.dispatcher.restore(self.dispatcher.snapshot())
        # Running totals stay running; dead letters get another chance with the new config.
        new.dispatcher.health = self.dispatcher.health
        new.dispatcher.stats = self.dispatcher.stats
        new.dispatcher.dead = self.dispatcher.dead
        retried = new.dispatcher.retry_dead()
        if retried:
            log.info("reload: %d dead-lettered notification(s) queued again", retried)
        new._saved_ns = self._saved_ns
        new.adopt(self.book)
        new.pages.facts = self.pages.facts
        new.written = dict(self.written)
        return new

    def load_state(self, now_ns: int) -> int:
        """Restore engine and undelivered notifications from the state file."""
        if self.store is None:
            return 0
        data = self.store.load()
        if data is None:
            return 0
        restored = restore(self.engine, data, now_ns)
        self.dispatcher.restore(data.get("dispatcher", []))
        self.book.restore(data.get("silences", {}))
        self.dispatcher.dead = {
            str(r): [AlertEvent(**e) for e in events]
            for r, events in data.get("dead_letters", {}).items()
        }
        self.written = {
            str(w["alert_id"]): Sample("alert", w["tags"], w["fields"], int(w["time_ns"]))
            for w in data.get("written", [])
        }
        self._saved_ns = now_ns
        return restored

    def save_state(self) -> None:
        """Write the state file now (at shutdown; `tick` does it every checkpoint)."""
        if self.store is None:
            return
        data = snapshot(self.engine)
        data["dispatcher"] = self.dispatcher.snapshot()
        data["silences"] = self.book.snapshot()
        data["dead_letters"] = {
            r: [asdict(e) for e in events] for r, events in self.dispatcher.dead.items() if events
        }
        data["written"] = [
            {"alert_id": k, "tags": s.tags, "fields": s.fields, "time_ns": s.time_ns}
            for k, s in self.written.items()
        ]
        self.store.save(data)

    def alertmanagers(self) -> list[str]:
        """Delivery keys of the Alertmanager receivers."""
        return [
            k for k, n in self.dispatcher.notifiers.items() if isinstance(n, AlertmanagerNotifier)
        ]

    def start_watchdog(self, now_ns: int) -> None:
        """Queue the always-firing Watchdog for every Alertmanager (their routes re-post it
        every `resend_interval` for as long as the daemon runs)."""
        for key in self.alertmanagers():
            self.dispatcher.submit([watchdog_event(now_ns)], only=key)

    async def planned_stop(self, now_ns: int, timeout_s: float) -> None:
        """Tell people's receivers that this stop is planned (best effort, bounded)."""
        notice = self.pages.annotate(stop_notice(now_ns), now_ns)
        people = [n for k, n in self.dispatcher.notifiers.items() if k not in self.alertmanagers()]

        async def tell(notifier: Notifier) -> None:
            try:
                await asyncio.wait_for(notifier.send([notice]), timeout_s)
            except Exception as exc:  # a receiver down must not delay or break the stop
                log.warning("planned-stop notice to %s not delivered: %s", notifier.name, exc)

        await asyncio.gather(*(tell(n) for n in people))

    def observe(self, samples: Sequence[Sample], now_ns: int) -> list[Sample]:
        """Evaluate samples, queue notifications; the `alert` samples for the writer."""
        self.pages.observe(samples)
        events = self.engine.observe(samples, now_ns)
        if events:
            self.submit(events, now_ns)
        return self.record(events)

    def submit(self, events: Sequence[AlertEvent], now_ns: int) -> None:
        """Queue the notifiable events, annotated for the people who get them."""
        self.dispatcher.submit(self.pages.annotate(e, now_ns) for e in notifiable(events))

    def tick(self, now_ns: int) -> list[Sample]:
        """Timers, absence, releases; saves state when due. The `alert` samples."""
        events = self.engine.tick(now_ns)
        if events:
            self.submit(events, now_ns)
        # Saved on a schedule, not per event: timers and seen-healthy series change silently.
        if now_ns - self._saved_ns >= self.checkpoint_ns:
            try:
                self.save_state()
            except OSError as exc:
                log.error("cannot write alert state %s: %s", self.store and self.store.path, exc)
            self._saved_ns = now_ns
            self.book.prune(now_ns)
        return self.record(events)
