"""What the engine's events become for storage (`alert` samples) and for people (status)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lanpulse.alerts.engine import FIRING, PENDING, AlertEngine
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


def alert_samples(events: Iterable[AlertEvent]) -> list[Sample]:
    """One `alert` sample per event (tags rule, severity and the series tags)."""
    out: list[Sample] = []
    for ev in events:
        tags = {k: v for k, v in ev.labels.items() if k != "alertname" and v != ""}
        tags["rule"] = ev.rule
        tags["severity"] = ev.severity
        fields: dict[str, int | float] = {"state": STATE_CODES[ev.state]}
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
                value=format_value(st.value),
                why=st.cr.rule.describe_condition(),
                since_ns=st.since_ns,
                notified=st.notified_as is not None,
                flapping=st.flapping,
            )
        )
    return sorted(out, key=lambda a: (a.rule, a.series))
