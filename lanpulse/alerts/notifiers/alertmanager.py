"""Prometheus Alertmanager, v2 API: POST /api/v2/alerts.

Firing alerts carry `endsAt = now + resolve_timeout` and are re-posted (by the dispatcher,
every `resend_interval`) before that passes, so Alertmanager never resolves them on its own;
a resolution carries the alert's real end time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lanpulse.alerts.notifiers.base import Notifier, generator_url, post_json, rfc3339, status_of
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import AlertmanagerSettings
from lanpulse.core.model import AlertEvent, now_ns

_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def label_name(name: str) -> str:
    """A Prometheus-valid label name: Alertmanager refuses the whole batch otherwise."""
    name = _INVALID.sub("_", name)
    return name if name and not name[0].isdigit() else f"_{name}"


class AlertmanagerNotifier:
    """Posts alerts to one Alertmanager."""

    name = "alertmanager"

    def __init__(
        self,
        url: str,
        *,
        resolve_timeout_s: float = 300.0,
        timeout_s: float = 10.0,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.resolve_timeout_ns = int(resolve_timeout_s * 1e9)
        self.timeout_s = timeout_s
        self.clock = clock

    def payload(self, events: Sequence[AlertEvent]) -> list[dict[str, object]]:
        """The v2 `postableAlerts` body for `events`."""
        now = self.clock()
        out: list[dict[str, object]] = []
        for e in events:
            resolved = status_of(e) == "resolved"
            ends = (e.ended_ns or now) if resolved else now + self.resolve_timeout_ns
            annotations = {**e.annotations, "summary": e.summary}
            if e.description:
                annotations["description"] = e.description
            if e.state == "flapping":
                annotations["flapping"] = "true"
            if e.value is not None:
                annotations["value"] = f"{e.value:g}"
            alert: dict[str, object] = {
                "labels": {label_name(k): v for k, v in e.labels.items() if v != ""},
                "annotations": annotations,
                "startsAt": rfc3339(e.started_ns or now),
                "endsAt": rfc3339(ends),
            }
            if generator_url(e):
                alert["generatorURL"] = generator_url(e)
            out.append(alert)
        return out

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """POST the events; SinkError when Alertmanager is down or refuses them."""
        await post_json(self.url, self.payload(events), what="alertmanager", timeout=self.timeout_s)


def build(s: AlertmanagerSettings, ctx: BuildContext) -> Notifier:
    """The notifier of an `alertmanager:` receiver."""
    return AlertmanagerNotifier(
        s.url, resolve_timeout_s=s.resolve_timeout, timeout_s=s.timeout, clock=ctx.clock
    )
