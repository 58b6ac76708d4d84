"""What the engine's events become for storage (`alert` samples) and for people (status)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lanpulse.alerts.engine import FIRING, PENDING, AlertEngine
from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.template import format_value
from lanpulse.core.model import AlertEvent, Sample

STATE_CODES: dict[str, int] = {
    "inactive": 0,
    "resolved": 0,
    "pending": 1,
    "firing": 2,
    "flapping": 2,
}
NOTIFIED_STATES = frozenset({"firing", "resolved", "flapping"})


# event -> (muted, acked): whether a silence covers it and whether someone acknowledged it.
Marks = Callable[[AlertEvent], tuple[bool, bool]]


def alert_samples(events: Iterable[AlertEvent], marks: Marks | None = None) -> list[Sample]:
    """One `alert` sample per event: tags rule, severity, the series tags and `alert_id` (one
    series per alert, so two interfaces of one device are two series); fields state, value,
    muted and acked (dashboards show a muted or acknowledged alert as such, not as firing)."""
    out: list[Sample] = []
    for ev in events:
        tags = {k: v for k, v in ev.labels.items() if k != "alertname" and v != ""}
        tags["rule"] = ev.rule
        tags["severity"] = ev.severity
        tags["alert_id"] = alert_id(ev.labels)
        muted, acked = marks(ev) if marks is not None else (False, False)
        fields: dict[str, int | float] = {
            "state": STATE_CODES[ev.state],
            "muted": int(muted),
            "acked": int(acked),
        }
        if ev.value is not None:
            fields["value"] = ev.value
        out.append(Sample("alert", tags, fields, ev.time_ns))
    return out


def notifiable(events: Iterable[AlertEvent]) -> list[AlertEvent]:
    """The events notifiers must get: firing, resolved, flapping, and not suppressed."""
    return [e for e in events if e.state in NOTIFIED_STATES and e.suppressed_by is None]


@dataclass(frozen=True, slots=True)
class AlertStatus:
    """An alert that is pending or firing, and why, for `lanpulse alerts test`."""

    rule: str
    state: str
    series: str
    id: str
    severity: str
    value: str
    why: str
    since_ns: int
    notified: bool
    flapping: bool


def active_alerts(engine: AlertEngine) -> list[AlertStatus]:
    """Every pending or firing alert, sorted by rule and series."""
    out: list[AlertStatus] = []
    for st in engine.alerts.values():
        if st.state not in (PENDING, FIRING):
            continue
        series = ",".join(f"{k}={v}" for k, v in sorted(st.tags.items()))
        out.append(
            AlertStatus(
                rule=st.cr.name,
                state="firing" if st.state == FIRING else "pending",
                series=series,
                id=alert_id(engine.labels(st)),
                severity=st.cr.rule.severity,
                value=format_value(st.value),
                why=st.cr.rule.describe_condition(),
                since_ns=st.since_ns,
                notified=st.notified_as is not None,
                flapping=st.flapping,
            )
        )
    return sorted(out, key=lambda a: (a.rule, a.series))
