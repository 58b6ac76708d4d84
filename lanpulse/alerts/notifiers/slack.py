"""Slack incoming webhook: `{"text": ..., "attachments": [...]}` (mrkdwn)."""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.notifiers.base import line, post_json, status_of, title
from lanpulse.core.model import AlertEvent, Secret

COLOURS = {"critical": "#d0021b", "warning": "#f5a623", "info": "#4a90e2", "resolved": "#2eb886"}


def slack_body(events: Sequence[AlertEvent]) -> dict[str, object]:
    """The incoming-webhook message for one group."""
    attachments = []
    for e in events:
        colour = COLOURS["resolved"] if status_of(e) == "resolved" else COLOURS.get(e.severity)
        attachments.append(
            {
                "color": colour or COLOURS["warning"],
                "title": line(e),
                "text": e.description,
                "fallback": e.summary,
            }
        )
    return {"text": f"*{title(events)}*", "attachments": attachments}


class SlackNotifier:
    """Posts each group to a Slack incoming webhook (the URL is the secret)."""

    name = "slack"

    def __init__(self, url: Secret, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """POST the group; SinkError on failure (never showing the URL)."""
        await post_json(self.url.reveal(), slack_body(events), what="slack", timeout=self.timeout_s)
