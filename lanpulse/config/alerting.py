"""The `alerting:` section (owned by the alert engine): rule files, notifiers, routes,
maintenance windows, flapping and dependency parameters, and the state file."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from lanpulse.alerts.rules import parse_duration
from lanpulse.config.network import Host, HttpUrl, Port

# Seconds, written as `30s`, `5m`, `1h30m` or a plain number.
Duration = Annotated[float, BeforeValidator(parse_duration)]
RECEIVERS: tuple[str, ...] = ("alertmanager", "email", "webhook", "slack", "teams")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AlertmanagerSettings(_Section):
    """Prometheus Alertmanager (v2 API). Firing alerts are re-posted every `resend_interval`,
    each time valid for `resolve_timeout`, so Alertmanager never resolves one on its own."""

    url: HttpUrl
    resolve_timeout: Duration = 300.0
    resend_interval: Duration = 60.0
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _resend_before_timeout(self) -> AlertmanagerSettings:
        if self.resend_interval >= self.resolve_timeout:
            raise ValueError("resend_interval must be shorter than resolve_timeout")
        return self


class EmailSettings(_Section):
    """SMTP delivery: plain, STARTTLS (`starttls: true`) or implicit TLS (`tls: true`)."""

    host: Host
    port: Port = 25
    from_: str = Field(alias="from")
    to: list[str]
    starttls: bool = False
    tls: bool = False
    verify_tls: bool = True
    ca_file: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    password_file: str | None = None
    subject_prefix: str = "[lanpulse]"
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _consistent(self) -> EmailSettings:
        if self.starttls and self.tls:
            raise ValueError("choose one of starttls and tls")
        if self.password is not None and self.password_file is not None:
            raise ValueError("choose one of password and password_file")
        if not self.to:
            raise ValueError("to: expected at least one recipient")
        return self


class WebhookSettings(_Section):
    """A generic JSON webhook (Alertmanager's webhook body shape)."""

    url: HttpUrl
    token: SecretStr | None = None  # sent as `Authorization: Bearer ...`
    timeout: Duration = 10.0


class ChatSettings(_Section):
    """A Slack or Microsoft Teams incoming webhook; the URL itself is the credential."""

    url: SecretStr
    timeout: Duration = 10.0


class RouteSettings(_Section):
    """Which receivers get which alerts, and how they are grouped and repeated."""

    match: dict[str, str | list[str]] = {}
    match_re: dict[str, str] = {}
    receivers: list[str]
    group_by: list[str] = ["alertname"]
    group_wait: Duration = 30.0
    group_interval: Duration = 300.0
    repeat_interval: Duration = 4 * 3600.0
    continue_: bool = Field(False, alias="continue")

    @field_validator("match_re")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            re.compile(pattern)
        return value


class Recurrence(_Section):
    """A weekly (or daily when `days` is empty) window starting at `at` for `duration`."""

    days: list[Weekday] = []
    at: time
    duration: Duration
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin, UTC)") from None
        return value


class MaintenanceWindowSettings(_Section):
    """Alerts of the devices, groups or labels named here are recorded but not notified."""

    name: str
    devices: list[str] = []
    groups: list[str] = []
    labels: dict[str, str] = {}
    start: datetime | None = None
    end: datetime | None = None
    every: Recurrence | None = None

    @model_validator(mode="after")
    def _when(self) -> MaintenanceWindowSettings:
        if not (self.devices or self.groups or self.labels):
            raise ValueError("name at least one of devices, groups or labels")
        if self.every is None and (self.start is None or self.end is None):
            raise ValueError("expected start and end (one-off) or every (recurring)")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class FlappingSettings(_Section):
    """`transitions` firing/resolved changes within `window` make an alert flap; it is quiet
    until it has been stable for a whole window."""

    transitions: int = Field(4, ge=2, le=1000)
    window: Duration = 900.0


class RetrySettings(_Section):
    """Backoff of a notifier that is down, and how many notifications wait for it."""

    initial: Duration = 5.0
    maximum: Duration = 300.0
    max_queued: int = Field(10_000, ge=1, le=10_000_000)


class AlertingSettings(_Section):
    """Rule files and notifiers (the shipped default packs load unless disabled)."""

    rules_files: list[str] = []
    disabled_packs: list[str] = []
    disabled_rules: list[str] = []
    alertmanager: AlertmanagerSettings | None = None
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    slack: ChatSettings | None = None
    teams: ChatSettings | None = None
    routes: list[RouteSettings] = []
    maintenance: list[MaintenanceWindowSettings] = []
    state_file: str | None = "var/alerts-state.json"
    # Draw firing and resolved alerts as annotations in Grafana (the `grafana:` section's
    # connection).
    grafana_annotations: bool = False
    flapping: FlappingSettings = FlappingSettings.model_validate({})
    retry: RetrySettings = RetrySettings.model_validate({})
    # A child's firing alert waits this long for its parent's device-down before it is sent.
    dependency_wait: Duration = 90.0
    down_rule: str = "device_down"
    # A firing alert whose series has not been reported for this long is resolved.
    stale_after: Duration = 3600.0

    def receivers(self) -> list[str]:
        """The names of the configured notifiers."""
        names = [name for name in RECEIVERS if getattr(self, name) is not None]
        return [*names, "grafana"] if self.grafana_annotations else names

    @model_validator(mode="after")
    def _routes_name_receivers(self) -> AlertingSettings:
        configured = set(self.receivers())
        for i, route in enumerate(self.routes):
            for name in route.receivers:
                if name not in configured:
                    raise ValueError(
                        f"routes[{i}].receivers: {name!r} is not configured; "
                        f"configured: {sorted(configured)}"
                    )
        return self
