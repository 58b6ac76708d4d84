"""The `alerting:` section (owned by the alert engine): rule files, notifiers, routes,
maintenance windows, flapping and dependency parameters, and the state file."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from lanpulse.config.durations import Duration
from lanpulse.config.network import Host, HttpUrl, Port
from lanpulse.config.paths import ConfigPath
from lanpulse.core.matchers import parse_matcher

# The receivers of the single-receiver form (`alerting.email:` ...), named after their kind.
RECEIVERS: tuple[str, ...] = ("alertmanager", "email", "webhook", "slack", "teams")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def known_zone(value: str) -> str:
    """An IANA time zone name, checked; ValueError naming an example otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin, UTC)") from None
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


M = TypeVar("M", bound=BaseModel)


def _regexes(value: dict[str, str]) -> dict[str, str]:
    for label, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{label}: invalid regular expression {pattern!r}: {exc}") from None
    return value


# label -> regular expression, compiled once to check it.
RegexMap = Annotated[dict[str, str], AfterValidator(_regexes)]


def one_of(model: M, key: str) -> M:
    """`key` or `key_file`, exactly one (a secret given inline or in a file)."""
    if (getattr(model, key) is None) == (getattr(model, f"{key}_file") is None):
        raise ValueError(f"set one of {key} and {key}_file")
    return model


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
    ca_file: ConfigPath | None = None
    user: str | None = None
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
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
    """A Slack or Microsoft Teams incoming webhook; the URL itself is the credential
    (`url`, or `url_file` holding it)."""

    url: SecretStr | None = None
    url_file: ConfigPath | None = None
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _one_url(self) -> ChatSettings:
        return one_of(self, "url")


class PagerDutySettings(_Section):
    """PagerDuty Events API v2: one trigger/resolve event per alert, deduplicated by alert."""

    routing_key: SecretStr | None = None  # the integration key of the PagerDuty service
    routing_key_file: ConfigPath | None = None
    url: str = "https://events.pagerduty.com/v2/enqueue"
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _one_key(self) -> PagerDutySettings:
        return one_of(self, "routing_key")


# Notifier kinds and their settings: a receiver holds one or more of them. Adding a kind is
# its settings model here (an entry below and a field of ReceiverSettings) plus its module
# lanpulse/alerts/notifiers/<kind>.py with `build(settings, ctx)`; the registry there finds
# it by name.
NOTIFIER_KINDS: dict[str, type[BaseModel]] = {
    "alertmanager": AlertmanagerSettings,
    "email": EmailSettings,
    "webhook": WebhookSettings,
    "slack": ChatSettings,
    "teams": ChatSettings,
    "pagerduty": PagerDutySettings,
}
ReceiverName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class ReceiverSettings(_Section):
    """A named receiver: where one team's notifications go (one or more kinds)."""

    name: ReceiverName
    alertmanager: AlertmanagerSettings | None = None
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    slack: ChatSettings | None = None
    teams: ChatSettings | None = None
    pagerduty: PagerDutySettings | None = None

    def kinds(self) -> list[tuple[str, BaseModel]]:
        """(kind, settings) of every notifier this receiver has."""
        return [(k, v) for k in NOTIFIER_KINDS if (v := getattr(self, k)) is not None]

    @model_validator(mode="after")
    def _some_kind(self) -> ReceiverSettings:
        if not self.kinds():
            raise ValueError(f"name at least one of: {', '.join(NOTIFIER_KINDS)}")
        return self


class RouteNodeSettings(_Section):
    """A node of the routing tree, as in Alertmanager: the first matching child (or every
    matching child up to one without `continue`) takes an alert; a node no child takes it
    from handles it itself. Unset timings and `group_by` are inherited from the parent."""

    receiver: str | None = None
    receivers: list[str] = []  # lanpulse extension: several receivers on one node
    matchers: list[str] = []  # "class=printer", "site=~hq|branch", "severity!=info"
    match: dict[str, str | list[str]] = {}
    match_re: RegexMap = {}
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    continue_: bool = Field(False, alias="continue")
    routes: list[RouteNodeSettings] = []

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_matcher(text)
        return value

    def names(self) -> list[str]:
        """The receivers this node names itself."""
        return ([self.receiver] if self.receiver else []) + self.receivers

    def walk(self, path: str = "route") -> list[tuple[str, RouteNodeSettings]]:
        """Every node with its key path (route, route.routes[0], ...)."""
        out = [(path, self)]
        for i, child in enumerate(self.routes):
            out += child.walk(f"{path}.routes[{i}]")
        return out


class RouteSettings(_Section):
    """Which receivers get which alerts, and how they are grouped and repeated."""

    match: dict[str, str | list[str]] = {}
    match_re: RegexMap = {}
    receivers: list[str]
    group_by: list[str] = ["alertname"]
    group_wait: Duration = 30.0
    group_interval: Duration = 300.0
    repeat_interval: Duration = 4 * 3600.0
    continue_: bool = Field(False, alias="continue")


class Recurrence(_Section):
    """A weekly (or daily when `days` is empty) window starting at `at` for `duration`."""

    days: list[Weekday] = []
    at: time
    duration: Duration
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


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
    receivers_: list[ReceiverSettings] = Field(default_factory=list, alias="receivers")
    route: RouteNodeSettings | None = None
    # Times in notifications (began, ended) are shown in this zone.
    timezone: str = "UTC"
    maintenance: list[MaintenanceWindowSettings] = []
    state_file: ConfigPath | None = Field(default="var/alerts-state.json", validate_default=True)
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

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)

    def named(self) -> list[ReceiverSettings]:
        """Every receiver: the `receivers:` list plus the single-receiver keys (`email:`...,
        each a receiver named after its kind)."""
        legacy = [
            ReceiverSettings.model_validate({"name": kind, kind: getattr(self, kind)})
            for kind in RECEIVERS
            if getattr(self, kind) is not None
        ]
        return [*legacy, *self.receivers_]

    def receivers(self) -> list[str]:
        """The names of the configured receivers."""
        names = [r.name for r in self.named()]
        return [*names, "grafana"] if self.grafana_annotations else names

    @model_validator(mode="after")
    def _routes_name_receivers(self) -> AlertingSettings:
        configured = set(self.receivers())
        named = [r.name for r in self.named()]
        dup = sorted({n for n in named if named.count(n) > 1})
        if dup:
            raise ValueError(f"receivers: {dup[0]!r} is defined twice, expected unique names")
        for i, route in enumerate(self.routes):
            for name in route.receivers:
                if name not in configured:
                    raise ValueError(
                        f"routes[{i}].receivers: {name!r} is not configured; "
                        f"configured: {sorted(configured)}"
                    )
        if self.route is not None:
            if self.routes:
                raise ValueError("use either route (a tree) or routes (a list), not both")
            if not self.route.names():
                raise ValueError("route.receiver: the root route needs a receiver")
            for path, node in self.route.walk():
                for name in node.names():
                    if name not in configured:
                        raise ValueError(
                            f"{path}.receiver: {name!r} is not configured; "
                            f"configured: {sorted(configured)}"
                        )
        return self
