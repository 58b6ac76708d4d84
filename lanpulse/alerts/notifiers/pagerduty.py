"""PagerDuty Events API v2 (`POST /v2/enqueue`): one `trigger` or `resolve` event per alert.

The alert's id is the `dedup_key`, so a repeat or a retry updates the same incident and a
resolution closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.notifiers.base import Notifier, post_json, rfc3339, status_of
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import PagerDutySettings
from lanpulse.core.model import AlertEvent, Secret

# PagerDuty knows critical, error, warning and info.
SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}


def pagerduty_event(e: AlertEvent, routing_key: str) -> dict[str, object]:
    """The Events API v2 body of one alert."""
    resolved = status_of(e) == "resolved"
    body: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": "resolve" if resolved else "trigger",
        "dedup_key": alert_id(e.labels),
    }
    if resolved:
        return body
    notes = dict(e.annotations)
    links = [
        {"href": notes[key], "text": text}
        for key, text in (("grafana_url", "Grafana"), ("runbook_url", "Runbook"))
        if notes.get(key)
    ]
    details = {**{k: v for k, v in e.labels.items() if v}, **notes}
    if e.description:
        details["description"] = e.description
    body["payload"] = {
        "summary": e.summary[:1024],
        "source": e.labels.get("device") or "lanpulse",
        "severity": SEVERITIES.get(e.severity, "warning"),
        "timestamp": rfc3339(e.started_ns or e.time_ns),
        "component": e.labels.get("class", ""),
        "group": e.labels.get("group") or e.labels.get("site", ""),
        "class": e.rule,
        "custom_details": details,
    }
    body["client"] = "lanpulse"
    if notes.get("status_url"):
        body["client_url"] = notes["status_url"]
    if links:
        body["links"] = links
    return body


class PagerDutyNotifier:
    """Sends each alert of a group as its own PagerDuty event."""

    name = "pagerduty"

    def __init__(self, routing_key: Secret, *, url: str, timeout_s: float = 10.0) -> None:
        self.routing_key = routing_key
        self.url = url
        self.timeout_s = timeout_s

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """POST every event; SinkError on the first failure (the group is retried, and
        PagerDuty deduplicates what was already taken)."""
        for e in events:
            body = pagerduty_event(e, self.routing_key.reveal())
            await post_json(self.url, body, what="pagerduty", timeout=self.timeout_s)


def build(s: PagerDutySettings, ctx: BuildContext) -> Notifier:
    """The notifier of a `pagerduty:` receiver."""
    key = ctx.secret(s.routing_key, s.routing_key_file, "routing_key")
    assert key is not None  # the settings require one of routing_key and routing_key_file
    return PagerDutyNotifier(key, url=s.url, timeout_s=s.timeout)
