"""lanpulse's own liveness for on-call: the `Watchdog` alert and the planned-stop notice.

`Watchdog` is the Prometheus convention for a dead man's switch: an alert that always
fires while lanpulse runs, re-posted to Alertmanager every `resend_interval`. Alertmanager
routes it to a dead-man's-switch service (docs/alerting.md); when lanpulse stops — crash or
not — the re-posts stop, the alert ends at its `endsAt`, and that service pages. A planned
stop also tells the people's receivers, so the silence that follows is not an all-clear.
"""

from __future__ import annotations

import socket

from lanpulse.core.model import AlertEvent

WATCHDOG = "Watchdog"
STOPPED = "lanpulse_stopped"


def _own_alert(rule: str, severity: str, summary: str, why: str, now_ns: int) -> AlertEvent:
    instance = socket.gethostname()
    return AlertEvent(
        rule=rule,
        severity=severity,
        state="firing",
        labels={"alertname": rule, "severity": severity, "instance": instance},
        value=None,
        summary=summary.format(instance=instance),
        description=why,
        started_ns=now_ns,
        time_ns=now_ns,
    )


def watchdog_event(now_ns: int) -> AlertEvent:
    """The always-firing alert (severity `none`, as in the Prometheus mixins)."""
    return _own_alert(
        WATCHDOG,
        "none",
        "lanpulse on {instance} is running (this alert always fires)",
        "A dead man's switch: route it to a service that pages when it stops arriving.",
        now_ns,
    )


def stop_notice(now_ns: int) -> AlertEvent:
    """The planned-stop notice for people's receivers."""
    return _own_alert(
        STOPPED,
        "info",
        "lanpulse on {instance} was stopped on purpose",
        "Monitoring is paused: alerts are neither evaluated nor resolved until it runs "
        "again, and its Watchdog alert goes quiet.",
        now_ns,
    )
