"""Microsoft Teams incoming webhook (Workflows): a message with one Adaptive Card."""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.notifiers.base import (
    Notifier,
    fields,
    line,
    links,
    status_of,
    title,
)
from lanpulse.alerts.notifiers.chat import ChatWebhookNotifier
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import ChatSettings
from lanpulse.core.model import AlertEvent


def teams_body(events: Sequence[AlertEvent]) -> dict[str, object]:
    """The webhook message for one group: a title, per alert its line, description and a
    FactSet of its facts; links as OpenUrl actions."""
    actions: list[dict[str, object]] = []
    body: list[dict[str, object]] = [
        {
            "type": "TextBlock",
            "text": title(events),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    for e in events:
        colour = (
            "Good"
            if status_of(e) == "resolved"
            else ("Attention" if e.severity == "critical" else "Warning")
        )
        body.append({"type": "TextBlock", "text": line(e), "color": colour, "wrap": True})
        if e.description and status_of(e) == "firing":
            body.append(
                {"type": "TextBlock", "text": e.description, "isSubtle": True, "wrap": True}
            )
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in fields(e)]})
        actions += [
            {
                "type": "Action.OpenUrl",
                "title": f"{text}: {e.labels.get('device', e.rule)}",
                "url": url,
            }
            for text, url in links(e)
        ]
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions[:6]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


class TeamsNotifier(ChatWebhookNotifier):
    """Posts each group to a Teams incoming webhook (the URL is the secret)."""

    name = "teams"

    def body(self, events: Sequence[AlertEvent]) -> dict[str, object]:
        return teams_body(events)


def build(s: ChatSettings, ctx: BuildContext) -> Notifier:
    """The notifier of a `teams:` receiver."""
    return TeamsNotifier.from_settings(s, ctx)
