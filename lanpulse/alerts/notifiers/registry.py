"""The notifier kinds a receiver can hold: kind -> how to build it from its settings.

Adding a kind: its settings model in `lanpulse.config.alerting.NOTIFIER_KINDS`, its module
here in `notifiers/`, and one entry in `BUILDERS` (checked against the settings at import).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from lanpulse.alerts.notifiers.alertmanager import AlertmanagerNotifier
from lanpulse.alerts.notifiers.base import Notifier
from lanpulse.alerts.notifiers.email import EmailNotifier
from lanpulse.alerts.notifiers.pagerduty import PagerDutyNotifier
from lanpulse.alerts.notifiers.slack import SlackNotifier
from lanpulse.alerts.notifiers.teams import TeamsNotifier
from lanpulse.alerts.notifiers.webhook import WebhookNotifier
from lanpulse.config.alerting import NOTIFIER_KINDS
from lanpulse.config.secrets import SecretFileError, read_secret_file
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Secret, now_ns


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What builders need beyond their settings."""

    base_dir: Path
    receiver: str
    clock: Callable[[], int] = now_ns

    def path(self, value: str) -> str:
        """A configured path, relative ones from the configuration's folder."""
        path = Path(value)
        return str(path if path.is_absolute() else self.base_dir / path)

    def secret(self, inline: SecretStr | None, file: str | None, key: str) -> Secret | None:
        """The secret given inline or in a file (read now: a missing file is an error now)."""
        if inline is not None:
            return Secret(inline.get_secret_value())
        if file is None:
            return None
        try:
            return read_secret_file(file, self.base_dir)
        except SecretFileError as exc:
            raise ConfigError(str(exc), key=f"{self.receiver}.{key}_file") from None


Builder = Callable[[Any, BuildContext], Notifier]


def _alertmanager(s: Any, ctx: BuildContext) -> Notifier:
    return AlertmanagerNotifier(
        s.url, resolve_timeout_s=s.resolve_timeout, timeout_s=s.timeout, clock=ctx.clock
    )


def _email(s: Any, ctx: BuildContext) -> Notifier:
    return EmailNotifier(
        s.host,
        s.port,
        s.from_,
        s.to,
        starttls=s.starttls,
        tls=s.tls,
        user=s.user,
        password=ctx.secret(s.password, s.password_file, "password"),
        ca_file=ctx.path(s.ca_file) if s.ca_file else None,
        verify_tls=s.verify_tls,
        subject_prefix=s.subject_prefix,
        timeout_s=s.timeout,
    )


def _webhook(s: Any, ctx: BuildContext) -> Notifier:
    token = Secret(s.token.get_secret_value()) if s.token else None
    notifier = WebhookNotifier(s.url, token=token, timeout_s=s.timeout)
    notifier.name = ctx.receiver
    return notifier


def _chat(
    kind: type[SlackNotifier] | type[TeamsNotifier],
) -> Callable[[Any, BuildContext], Notifier]:
    def build(s: Any, ctx: BuildContext) -> Notifier:
        url = ctx.secret(s.url, s.url_file, "url")
        assert url is not None  # the settings require one of url and url_file
        return kind(url, timeout_s=s.timeout)

    return build


def _pagerduty(s: Any, ctx: BuildContext) -> Notifier:
    key = ctx.secret(s.routing_key, s.routing_key_file, "routing_key")
    assert key is not None  # the settings require one of routing_key and routing_key_file
    return PagerDutyNotifier(key, url=s.url, timeout_s=s.timeout)


BUILDERS: dict[str, Builder] = {
    "alertmanager": _alertmanager,
    "email": _email,
    "webhook": _webhook,
    "slack": _chat(SlackNotifier),
    "teams": _chat(TeamsNotifier),
    "pagerduty": _pagerduty,
}
if set(BUILDERS) != set(NOTIFIER_KINDS):  # pragma: no cover - a developer's mistake
    raise RuntimeError(f"notifier kinds disagree: {sorted(BUILDERS)} vs {sorted(NOTIFIER_KINDS)}")
