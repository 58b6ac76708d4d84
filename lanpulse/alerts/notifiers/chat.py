"""What the chat webhooks share: the URL is the credential, the body is the only difference.

Slack and Teams each add one subclass naming its kind and its message body (slack.py,
teams.py); posting, timeouts and keeping the URL out of every error live here once.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanpulse.alerts.notifiers.base import post_json
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import ChatSettings
from lanpulse.core.model import AlertEvent, Secret


class ChatWebhookNotifier:
    """Posts each group to an incoming webhook whose URL is the secret."""

    name: str  # the receiver kind, set by each subclass

    def __init__(self, url: Secret, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def body(self, events: Sequence[AlertEvent]) -> dict[str, object]:
        """The JSON message of one group (each chat service has its own format)."""
        raise NotImplementedError

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """POST the group; SinkError on failure (never showing the URL)."""
        await post_json(
            self.url.reveal(), self.body(events), what=self.name, timeout=self.timeout_s
        )

    @classmethod
    def from_settings(cls, s: ChatSettings, ctx: BuildContext) -> ChatWebhookNotifier:
        """The notifier of a receiver's `slack:`/`teams:` section."""
        url = ctx.secret(s.url, s.url_file, "url")
        assert url is not None  # the settings require one of url and url_file
        return cls(url, timeout_s=s.timeout)
