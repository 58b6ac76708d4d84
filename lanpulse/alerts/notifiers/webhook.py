"""A generic JSON webhook, in the shape of Alertmanager's webhook body (version 4)."""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.notifiers.base import Notifier, generator_url, post_json, rfc3339, status_of
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import WebhookSettings
from lanpulse.core.model import AlertEvent, Secret


def webhook_body(events: Sequence[AlertEvent], receiver: str) -> dict[str, object]:
    """`{version, status, receiver, alerts: [...], commonLabels}` for one group."""
    alerts = []
    for e in events:
        alerts.append(
            {
                "status": status_of(e),
                "state": e.state,
                "labels": dict(e.labels),
                "annotations": {
                    **e.annotations,
                    "summary": e.summary,
                    "description": e.description,
                },
                "generatorURL": generator_url(e),
                "value": e.value,
                "startsAt": rfc3339(e.started_ns),
                "endsAt": rfc3339(e.ended_ns) if e.ended_ns is not None else None,
            }
        )
    common = dict(events[0].labels) if events else {}
    for e in events[1:]:
        common = {k: v for k, v in common.items() if e.labels.get(k) == v}
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "source": "lanpulse",
        "receiver": receiver,
        "status": status,
        "alerts": alerts,
        "commonLabels": common,
    }


class WebhookNotifier:
    """POSTs each group as JSON to a URL, optionally with a bearer token."""

    name = "webhook"

    def __init__(self, url: str, *, token: Secret | None = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout_s = timeout_s

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """POST the group; SinkError on failure."""
        headers = {"Authorization": f"Bearer {self.token.reveal()}"} if self.token else {}
        await post_json(
            self.url,
            webhook_body(events, self.name),
            what="webhook",
            headers=headers,
            timeout=self.timeout_s,
        )


def build(s: WebhookSettings, ctx: BuildContext) -> Notifier:
    """The notifier of a `webhook:` receiver."""
    token = Secret(s.token.get_secret_value()) if s.token else None
    notifier = WebhookNotifier(s.url, token=token, timeout_s=s.timeout)
    notifier.name = ctx.receiver
    return notifier
