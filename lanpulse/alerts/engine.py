"""The alert engine: one small state machine per alert (rule + series tags).

inactive -> pending (condition true, waiting out `for`) -> firing -> resolved (inactive).
Every transition becomes an AlertEvent; whether notifiers get it is decided here too
(maintenance, a parent device that is down, flapping, a child waiting for its parent) and
written into `AlertEvent.suppressed_by`. Time is always passed in, never read.

(~400 lines: the state machine and the suppression decisions read the same per-alert state
in one pass; identity, matching, maintenance and templates have their own modules.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from lanpulse.alerts.identity import (  # re-exported: store.py and tests import them here
    DESCRIPTIVE_TAGS,
    SeriesKey,
    series_key,
)
from lanpulse.alerts.maintenance import MaintenanceCalendar, MaintenanceWindow
from lanpulse.alerts.matcher import ABSENT, CompiledRule, compile_rules
from lanpulse.alerts.rules import Rule
from lanpulse.alerts.template import format_value, render
from lanpulse.core.model import AlertEvent, Sample

INACTIVE, PENDING, FIRING = 0, 1, 2
__all__ = ["DESCRIPTIVE_TAGS", "AlertEngine", "series_key"]
AlertKey = tuple[str, SeriesKey]
NS = 1_000_000_000
# labels, now -> why they are muted ("silence:ID"), or None; set by the service.
SilenceCheck = Callable[[Mapping[str, str], int], str | None]


class AlertState:
    """The mutable state of one alert (kept only while it is not plainly inactive)."""

    __slots__ = (
        "cr",
        "fired_ns",
        "flapping",
        "key",
        "last_seen_ns",
        "notified_as",
        "since_ns",
        "state",
        "tags",
        "transitions",
        "value",
    )

    def __init__(self, cr: CompiledRule, key: AlertKey, tags: Mapping[str, str]) -> None:
        self.cr = cr
        self.key = key
        self.tags = dict(tags)
        self.state = INACTIVE
        self.since_ns = 0
        self.fired_ns = 0
        self.last_seen_ns = 0
        self.value: float | None = None
        self.notified_as: str | None = None  # what notifiers believe: None, firing, flapping
        self.flapping = False
        self.transitions: list[int] = []


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Tunables of the engine (from `alerting:`)."""

    flap_transitions: int = 4
    flap_window_s: float = 900.0
    dependency_wait_s: float = 90.0
    down_rule: str = "device_down"
    stale_after_s: float = 3600.0


class AlertEngine:
    """Evaluates samples against rules; `observe` on every batch, `tick` every few seconds."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        parents: Mapping[str, str] | None = None,
        groups: Mapping[str, str] | None = None,
        maintenance: Sequence[MaintenanceWindow] = (),
        options: EngineOptions | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.rules = tuple(rules)
        self._by_measurement, self._compiled = compile_rules(self.rules)
        self._calendar = MaintenanceCalendar(maintenance)
        self.alerts: dict[AlertKey, AlertState] = {}
        self._pending: set[AlertKey] = set()
        self._attention: set[AlertKey] = set()  # firing but not (or not yet) notified, flapping
        self._absent_seen: dict[AlertKey, tuple[int, dict[str, str]]] = {}
        self._ok: set[AlertKey] = set()  # series seen healthy (for `only_after_ok` rules)
        self._down: set[str] = set()  # devices whose down rule is pending or firing
        self._recovered: dict[str, int] = {}  # device -> when its down alert resolved
        self.silenced: SilenceCheck = lambda _labels, _now: None
        self.set_topology(parents or {}, groups or {})

    # -- inputs -------------------------------------------------------------------------

    def set_topology(self, parents: Mapping[str, str], groups: Mapping[str, str]) -> None:
        """Device -> parent and device -> group, from the inventory (call again on reload)."""
        self._parents = dict(parents)
        self._groups = dict(groups)
        children: dict[str, list[str]] = {}
        for child, parent in self._parents.items():
            children.setdefault(parent, []).append(child)
        self._children = children
        self._behind_cache: dict[str, tuple[str, ...]] = {}

    def observe(self, samples: Iterable[Sample], now_ns: int) -> list[AlertEvent]:
        """Evaluate a batch of samples; the events of every resulting transition."""
        events: list[AlertEvent] = []
        by_m = self._by_measurement
        alerts = self.alerts
        for s in samples:
            crs = by_m.get(s.measurement)
            if crs is None:
                continue
            tags = s.tags
            fields = s.fields
            skey: SeriesKey | None = None
            for cr in crs:
                value = fields.get(cr.field)
                # Rules watch numeric fields only (rules.py refuses text ones).
                if value is None or isinstance(value, str) or not cr.selects(tags, fields):
                    continue
                if skey is None:
                    skey = series_key(tags)
                key = (cr.name, skey)
                st = alerts.get(key)
                if cr.condition == ABSENT:
                    self._absent_seen[key] = (now_ns, dict(tags))
                    if st is not None and st.state == FIRING:
                        self._resolve(st, now_ns, events)
                    continue
                active = st is not None and st.state != INACTIVE
                if not cr.test(value, active):
                    if cr.only_after_ok:
                        self._ok.add(key)
                    if active:
                        assert st is not None
                        st.value = value
                        st.last_seen_ns = now_ns
                        self._resolve(st, now_ns, events)
                    continue
                if st is None:
                    if cr.only_after_ok and key not in self._ok:
                        continue
                    st = alerts[key] = AlertState(cr, key, tags)
                st.value = value
                st.last_seen_ns = now_ns
                if st.state == INACTIVE:
                    self._start_pending(st, now_ns, events)
                elif st.state == PENDING and now_ns - st.since_ns >= cr.for_ns:
                    self._fire(st, now_ns, events)
        return events

    def tick(self, now_ns: int) -> list[AlertEvent]:
        """Fire pending alerts whose `for` ran out, detect absence and staleness, release
        notifications whose suppression ended, and end flapping that calmed down."""
        events: list[AlertEvent] = []
        stale_ns = int(self.options.stale_after_s * NS)
        for key in list(self._pending):
            st = self.alerts[key]
            # A series that stopped reporting is not confirmed by its silence: see below.
            if now_ns - st.since_ns >= st.cr.for_ns and now_ns - st.last_seen_ns < stale_ns:
                self._fire(st, now_ns, events)
        for key, (last_ns, tags) in self._absent_seen.items():
            cr = self._compiled[key[0]]
            if now_ns - last_ns >= cr.for_ns:
                gone = self.alerts.get(key)
                if gone is None:
                    gone = self.alerts[key] = AlertState(cr, key, tags)
                if gone.state == INACTIVE:
                    gone.since_ns = last_ns
                    gone.last_seen_ns = now_ns  # absence is what it observes, so never stale
                    self._fire(gone, now_ns, events)
                else:
                    gone.last_seen_ns = now_ns
        for st in [a for a in self.alerts.values() if a.state != INACTIVE]:
            if now_ns - st.last_seen_ns >= stale_ns:
                self._resolve(st, now_ns, events, reason="series no longer reported")
        window_ns = int(self.options.flap_window_s * NS)
        for st in [a for a in self.alerts.values() if a.state == INACTIVE and not a.flapping]:
            if not st.transitions or now_ns - st.transitions[-1] >= window_ns:
                st.transitions.clear()
                self._forget_if_done(st)
        for key in list(self._attention):
            st = self.alerts[key]
            if st.flapping and now_ns - st.transitions[-1] >= window_ns:
                st.flapping = False
                st.transitions.clear()
            event = self._reconcile(st, now_ns)
            if event is not None:
                events.append(event)
            self._forget_if_done(st)
        return events

    # -- transitions --------------------------------------------------------------------

    def _start_pending(self, st: AlertState, now_ns: int, events: list[AlertEvent]) -> None:
        st.state = PENDING
        st.since_ns = now_ns
        if st.cr.name == self.options.down_rule:
            self._down.add(st.tags.get("device", ""))
        if st.cr.for_ns <= 0:
            self._fire(st, now_ns, events)
            return
        self._pending.add(st.key)
        events.append(self._event(st, "pending", now_ns, suppressed_by="pending"))

    def _fire(self, st: AlertState, now_ns: int, events: list[AlertEvent]) -> None:
        self._pending.discard(st.key)
        st.state = FIRING
        st.fired_ns = now_ns
        if st.cr.name == self.options.down_rule:
            self._down.add(st.tags.get("device", ""))
        flap_event = self._note_transition(st, now_ns)
        notify = self._reconcile(st, now_ns)
        if notify is not None:
            events.append(notify)
        else:
            reason = "flapping" if st.flapping else self._why_quiet(st, now_ns)
            events.append(self._event(st, "firing", now_ns, suppressed_by=reason or "unchanged"))
            self._attention.add(st.key)
        if flap_event is not None:
            events.append(flap_event)

    def _resolve(
        self, st: AlertState, now_ns: int, events: list[AlertEvent], reason: str = ""
    ) -> None:
        was = st.state
        st.state = INACTIVE
        self._pending.discard(st.key)
        if st.cr.name == self.options.down_rule:
            device = st.tags.get("device", "")
            self._down.discard(device)
            if was == FIRING:
                self._recovered[device] = now_ns
        if was == PENDING:
            events.append(self._event(st, "inactive", now_ns, suppressed_by="never fired"))
            self._forget_if_done(st)
            return
        flap_event = self._note_transition(st, now_ns)
        notify = self._reconcile(st, now_ns, reason)
        if notify is not None:
            events.append(notify)
        else:
            quiet = "flapping" if st.flapping else "not notified as firing"
            events.append(self._event(st, "resolved", now_ns, suppressed_by=quiet, note=reason))
        if flap_event is not None:
            events.append(flap_event)
        self._forget_if_done(st)

    def _note_transition(self, st: AlertState, now_ns: int) -> AlertEvent | None:
        """Count a firing/resolved change; the one `flapping` event when it starts to flap."""
        window_ns = int(self.options.flap_window_s * NS)
        st.transitions = [t for t in st.transitions if now_ns - t < window_ns]
        st.transitions.append(now_ns)
        if st.flapping or len(st.transitions) < self.options.flap_transitions:
            return None
        st.flapping = True
        self._attention.add(st.key)
        reason = self._why_quiet(st, now_ns, defer=False)
        if reason is None:
            st.notified_as = "flapping"
        return self._event(st, "flapping", now_ns, suppressed_by=reason)

    def _reconcile(self, st: AlertState, now_ns: int, note: str = "") -> AlertEvent | None:
        """The notification that makes receivers agree with the alert's state, if one is due."""
        if st.flapping:
            return None
        if st.state == FIRING and st.notified_as != "firing":
            if self._why_quiet(st, now_ns) is not None:
                return None
            st.notified_as = "firing"
            self._attention.discard(st.key)
            return self._event(st, "firing", now_ns)
        if st.state != FIRING and st.notified_as is not None:
            st.notified_as = None
            self._attention.discard(st.key)
            return self._event(st, "resolved", now_ns, note=note)
        if st.state != FIRING:
            self._attention.discard(st.key)
        return None

    def _why_quiet(self, st: AlertState, now_ns: int, defer: bool = True) -> str | None:
        """Why this alert must not be notified now (maintenance, parent down, waiting)."""
        device = st.tags.get("device")
        window = self._calendar.window_for(st.tags, self._groups.get(device or ""), now_ns)
        if window is not None:
            return f"maintenance:{window.name}"
        muted = self.silenced(self.labels(st), now_ns)
        if muted is not None:
            return muted
        if device is None:
            return None
        wait_ns = int(self.options.dependency_wait_s * NS)
        parent = self._parents.get(device)
        seen = {device}
        while parent is not None and parent not in seen:
            if parent in self._down:
                return f"parent:{parent}"
            # Children answer again only on their next poll after the parent is back.
            if now_ns - self._recovered.get(parent, -wait_ns) < wait_ns:
                return f"parent:{parent} (recovering)"
            seen.add(parent)
            parent = self._parents.get(parent)
        if defer and device in self._parents and now_ns - st.fired_ns < wait_ns:
            return "waiting for parent"
        return None

    def _forget_if_done(self, st: AlertState) -> None:
        # An inactive alert is kept only for its flapping history (pruned in `tick`).
        if st.state == INACTIVE and not st.flapping and st.notified_as is None:
            self._attention.discard(st.key)
            if not st.transitions:
                self.alerts.pop(st.key, None)

    # -- output -------------------------------------------------------------------------

    def behind(self, device: str) -> tuple[str, ...]:
        """The devices that hang (transitively) off `device` in the topology, sorted."""
        cached = self._behind_cache.get(device)
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = list(self._children.get(device, ()))
        while stack:
            child = stack.pop()
            if child not in seen and child != device:
                seen.add(child)
                stack.extend(self._children.get(child, ()))
        self._behind_cache[device] = out = tuple(sorted(seen))
        return out

    def unreachable_behind(self, device: str) -> tuple[tuple[str, ...], int]:
        """The devices behind `device` whose own down rule is pending or firing (they were
        polled and did not answer), and how many devices are behind it in all."""
        behind = self.behind(device)
        return tuple(d for d in behind if d in self._down), len(behind)

    def current(self, st: AlertState, now_ns: int) -> AlertEvent:
        """An event saying where `st` stands now (for re-writing it, not for notifying)."""
        state = {PENDING: "pending", FIRING: "firing"}.get(st.state, "inactive")
        return self._event(st, state, now_ns, suppressed_by="current state")

    @staticmethod
    def labels(st: AlertState) -> dict[str, str]:
        """What receivers see of an alert: series tags, the rule's labels, alertname, severity."""
        rule = st.cr.rule
        return {**st.tags, **dict(rule.labels), "alertname": rule.name, "severity": rule.severity}

    def _event(
        self,
        st: AlertState,
        state: str,
        now_ns: int,
        suppressed_by: str | None = None,
        note: str = "",
    ) -> AlertEvent:
        rule = st.cr.rule
        device = st.tags.get("device", "")
        down: tuple[str, ...] = ()
        total = 0
        if rule.name == self.options.down_rule and device and state != "resolved":
            down, total = self.unreachable_behind(device)
        variables: dict[str, object] = {
            **st.tags,
            "rule": rule.name,
            "severity": rule.severity,
            "field": rule.field,
            "value": format_value(st.value),
            "threshold": rule.threshold,
            "for": f"{rule.for_s:g}s",
            "behind": len(down),
            "behind_devices": ", ".join(down),
        }
        summary = render(rule.summary, variables)
        description = render(rule.description, variables)
        if down:
            shown = ", ".join(down[:20]) + (f" (+{len(down) - 20})" if len(down) > 20 else "")
            description = (
                f"{description} {len(down)} of the {total} device(s) behind {device} "
                f"do not answer either: {shown}."
            )
        if note:
            description = f"{description} ({note})"
        labels = self.labels(st)
        ended = now_ns if state in ("resolved", "inactive") else None
        return AlertEvent(
            rule=rule.name,
            severity=rule.severity,
            state=state,  # type: ignore[arg-type]
            labels=labels,
            value=None if st.value is None else float(st.value),
            summary=summary,
            description=description.strip(),
            started_ns=st.since_ns,
            ended_ns=ended,
            time_ns=now_ns,
            suppressed_by=suppressed_by,
        )
