"""Slack incoming webhook: Block Kit, one section per alert with its facts as fields."""

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

COLOURS = {"critical": "#d0021b", "warning": "#f5a623", "info": "#4a90e2", "resolved": "#2eb886"}
MAX_FIELDS = 10  # Block Kit's limit per section


def _mrkdwn(text: str) -> str:
    """Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(events: Sequence[AlertEvent]) -> dict[str, object]:
    """The incoming-webhook message for one group (`text` is the notification fallback)."""
    attachments = []
    for e in events:
        colour = COLOURS["resolved"] if status_of(e) == "resolved" else COLOURS.get(e.severity)
        blocks: list[dict[str, object]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_mrkdwn(line(e))}*"}}
        ]
        if e.description and status_of(e) == "firing":
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(e.description)}}
            )
        shown = [
            {"type": "mrkdwn", "text": f"*{name}*\n{_mrkdwn(value)}"} for name, value in fields(e)
        ]
        for start in range(0, len(shown), MAX_FIELDS):
            blocks.append({"type": "section", "fields": shown[start : start + MAX_FIELDS]})
        if links(e):
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}
                        for text, url in links(e)
                    ],
                }
            )
        attachments.append({"color": colour or COLOURS["warning"], "blocks": blocks})
    header = {"type": "header", "text": {"type": "plain_text", "text": title(events)[:150]}}
    return {"text": title(events), "blocks": [header], "attachments": attachments}


class SlackNotifier(ChatWebhookNotifier):
    """Posts each group to a Slack incoming webhook (the URL is the secret)."""

    name = "slack"

    def body(self, events: Sequence[AlertEvent]) -> dict[str, object]:
        return slack_body(events)


def build(s: ChatSettings, ctx: BuildContext) -> Notifier:
    """The notifier of a `slack:` receiver."""
    return SlackNotifier.from_settings(s, ctx)
