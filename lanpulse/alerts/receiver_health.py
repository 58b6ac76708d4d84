"""How each receiver is doing: notifications sent, failed, dropped, dead-lettered, queued.

Shown per receiver in `/metrics` and `/healthz` (with several workers, the supervisor merges
the workers' reports with `merge_reports` and renders them with the same `prometheus_lines`).
A receiver that keeps failing (or refuses a
notification for good) raises the `notifier_failing` alert, which goes to the *other*
receivers, and resolves when a delivery to it succeeds again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lanpulse.core.model import AlertEvent

FAILING_RULE = "notifier_failing"
# Consecutive failed attempts (retryable ones) before a receiver counts as failing.
FAILING_AFTER = 3
_COUNTERS = (
    ("sent", "notifications delivered"),
    ("failed", "delivery attempts that failed"),
    ("dropped", "notifications dropped because the receiver's queue was full"),
    ("dead_lettered", "notifications a receiver refused for good, kept as dead letters"),
)
_SUMMED = (*(key for key, _ in _COUNTERS), "queued")


@dataclass(slots=True)
class ReceiverHealth:
    """Counters and the failing state of one receiver."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    dead_lettered: int = 0
    failing_since_ns: int | None = None
    last_error: str = ""


def failing_event(receiver: str, state: str, since_ns: int, now_ns: int, why: str) -> AlertEvent:
    """The `notifier_failing` alert of `receiver` (state `firing` or `resolved`)."""
    labels = {"alertname": FAILING_RULE, "receiver": receiver, "severity": "warning"}
    return AlertEvent(
        rule=FAILING_RULE,
        severity="warning",
        state=state,  # type: ignore[arg-type]
        labels=labels,
        value=None,
        summary=f"notifications to receiver {receiver} fail",
        description=why,
        started_ns=since_ns,
        ended_ns=now_ns if state == "resolved" else None,
        time_ns=now_ns,
    )


class NotifierHealth:
    """Per-receiver health, kept by the dispatcher."""

    def __init__(self) -> None:
        self.receivers: dict[str, ReceiverHealth] = {}

    def of(self, receiver: str) -> ReceiverHealth:
        """The record of `receiver` (created on first use)."""
        rh = self.receivers.get(receiver)
        if rh is None:
            rh = self.receivers[receiver] = ReceiverHealth()
        return rh

    def failed(self, receiver: str, attempts: int, error: str, now_ns: int) -> AlertEvent | None:
        """Note a failed attempt; the firing `notifier_failing` event when it starts failing."""
        rh = self.of(receiver)
        rh.failed += 1
        rh.last_error = error
        if rh.failing_since_ns is not None or attempts < FAILING_AFTER:
            return None
        rh.failing_since_ns = now_ns
        return failing_event(receiver, "firing", now_ns, now_ns, error)

    def delivered(self, receiver: str, count: int, now_ns: int) -> AlertEvent | None:
        """Note a delivery; the resolved `notifier_failing` event when it was failing."""
        rh = self.of(receiver)
        rh.sent += count
        since = rh.failing_since_ns
        if since is None:
            return None
        rh.failing_since_ns = None
        return failing_event(receiver, "resolved", since, now_ns, "delivering again")

    def as_json(self, queued: Mapping[str, int]) -> dict[str, dict[str, object]]:
        """Per receiver, for `/healthz`."""
        out: dict[str, dict[str, object]] = {}
        for name in sorted(set(self.receivers) | set(queued)):
            rh = self.of(name)
            out[name] = {
                "sent": rh.sent,
                "failed": rh.failed,
                "dropped": rh.dropped,
                "dead_lettered": rh.dead_lettered,
                "queued": queued.get(name, 0),
                "failing": rh.failing_since_ns is not None,
                "last_error": rh.last_error,
            }
        return out

    def prometheus(self, queued: Mapping[str, int]) -> str:
        """Prometheus text, one series per receiver (`receiver` label)."""
        return prometheus_lines(self.as_json(queued))


Report = Mapping[str, Mapping[str, object]]


def merge_reports(reports: Iterable[Report]) -> dict[str, dict[str, object]]:
    """Several processes' `as_json` reports as one: counts summed; failing when any process
    finds the receiver failing, with a failing process's last error first."""
    by_name: dict[str, list[Mapping[str, object]]] = {}
    for report in reports:
        for name, health in report.items():
            by_name.setdefault(name, []).append(health)
    return {name: _merged(healths) for name, healths in sorted(by_name.items())}


def _merged(healths: list[Mapping[str, object]]) -> dict[str, object]:
    failing = [h for h in healths if h.get("failing")]
    errors = (str(h.get("last_error") or "") for h in (*failing, *healths))
    return {
        **{key: sum(_count(h.get(key)) for h in healths) for key in _SUMMED},
        "failing": bool(failing),
        "last_error": next((e for e in errors if e), ""),
    }


def _count(value: object) -> int:
    """A report's number (`failing` is a bool: 1 or 0); 0 for anything else."""
    return int(value) if isinstance(value, int) else 0


def prometheus_lines(health: Report) -> str:
    """Prometheus text of an `as_json` report, one series per receiver (`receiver` label)."""
    names = sorted(health)
    lines: list[str] = []
    for key, help_text in _COUNTERS:
        metric = f"lanpulse_notifications_{key}_total"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
        lines += [f'{metric}{{receiver="{n}"}} {_count(health[n].get(key))}' for n in names]
    gauges = (
        ("lanpulse_notifications_queued", "notifications waiting for delivery", "queued"),
        ("lanpulse_notifier_failing", "1 while a receiver keeps failing", "failing"),
    )
    for metric, help_text, key in gauges:
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
        lines += [f'{metric}{{receiver="{n}"}} {_count(health[n].get(key))}' for n in names]
    return "\n".join(lines) + "\n" if names else ""
