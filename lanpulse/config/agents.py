"""The `agents:` section: the push receiver for Telegraf and other line-protocol agents.

agents:
  listen: 127.0.0.1:8186              # its own port, never the admin HTTP server's
  tls: {cert_file: tls/agents.crt, key_file: tls/agents.key}   # required off loopback
  tokens:
    - {name: desktops, token_file: secrets/desktops.token}           # a group token
    - {name: pc-0001, token_file: secrets/pc-0001.token, hosts: ["pc-0001"]}
  register: auto                     # auto | listed
  hosts:                             # listed agents: class, parent (the access switch)
    - {name: pc-0001, parent: floor2-sw1, labels: {site: hq}}
  interval: 60s                      # the agents' flush interval
  stale_after: 3                     # intervals without a push -> up = 0
  unmapped: pass                     # pass | drop
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.influx import Size
from lanpulse.config.paths import ConfigPath
from lanpulse.config.secrets import SecretFile, SecretValue, pick_secret
from lanpulse.config.tls import TlsFiles
from lanpulse.core.model import Secret
from lanpulse.core.push_map import check_regex

Regex = Annotated[str, Field(min_length=1)]


class AgentToken(BaseModel):
    """One token: a group's (any host) or an agent's own (`hosts` it may speak for)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(min_length=1)
    token: SecretValue | None = None
    token_file: SecretFile | None = None
    # Regexes (full match) of the host tags this token may push; empty: any host.
    hosts: list[Regex] = Field(default_factory=list)

    _check_hosts = field_validator("hosts")(lambda v: [check_regex(x) for x in v])

    @model_validator(mode="after")
    def _one_secret(self) -> AgentToken:
        if self.secret() is None:
            raise ValueError("expected token_file (or token: ${ENV})")
        return self

    def secret(self) -> Secret | None:
        """The token, from `token` or `token_file`."""
        return pick_secret(self.token, self.token_file, "token")


class AgentHostEntry(BaseModel):
    """A known agent host: its class, its parent in the topology, its labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    device_class: Literal["desktop", "server", "other"] | None = Field(None, alias="class")
    parent: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ClassRule(BaseModel):
    """`{match: {tag: regex}, class: server}`: the first matching rule gives the class."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    match: dict[str, Regex]
    device_class: Literal["desktop", "server", "other"] = Field(alias="class")

    _check_match = field_validator("match")(lambda v: {k: check_regex(x) for k, x in v.items()})


class AgentsSettings(BaseModel):
    """How agents push line protocol to lanpulse (InfluxDB v1 /write and v2 /api/v2/write)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    listen: str = "127.0.0.1:8186"
    tls: TlsFiles | None = None
    tokens: list[AgentToken] = Field(min_length=1)
    # `register:` in YAML (an attribute name pydantic's BaseModel already has).
    registration: Literal["auto", "listed"] = Field("auto", alias="register")
    hosts: list[AgentHostEntry] = Field(default_factory=list)
    # The agents' flush interval, and how many of them without a push make a host down.
    interval: PositiveDuration = 60.0
    stale_after: int = Field(3, ge=1)
    unmapped: Literal["pass", "drop"] = "pass"
    # Extra mapping files (*.yaml, like lanpulse/config/push/), relative to the config file.
    maps_dirs: list[ConfigPath] = Field(default_factory=list)
    # Which class an auto-registered host gets: the first rule whose tags all match
    # (`host` is the host tag); the default otherwise.
    classes: list[ClassRule] = Field(default_factory=list)
    default_class: Literal["desktop", "server", "other"] = "desktop"
    # Agent tags copied onto the host's samples as labels (e.g. a Telegraf global tag).
    label_tags: list[str] = Field(default_factory=list)
    # Per request, after gzip is undone: 413 above it. A request is parsed in the event
    # loop (parse + map ~60 ms per MiB on the benchmark VM): Telegraf's default batch of
    # 1,000 metrics is ~0.2 MiB.
    max_body: Size = 8 * 1024 * 1024
    max_inflight: int = Field(64, ge=1)  # requests parsed at once: 429 above it
    # Back-pressure: 503 + Retry-After while the shipper's queue or spool is this full.
    backlog_limit: float = Field(0.8, gt=0, le=1)
    retry_after: PositiveDuration = 10.0

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
            raise ValueError(f"bad listen address {value!r}, expected HOST:PORT")
        return value

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> AgentsSettings:
        if self.tls is None and not is_loopback(self.listen_host):
            raise ValueError(
                f"listen {self.listen!r} is not on loopback: agents' tokens would cross the "
                "network in clear text, expected a tls section (cert_file, key_file)"
            )
        names = [t.name for t in self.tokens]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"token name {dupes[0]!r} is used twice, expected unique names")
        hosts = [h.name for h in self.hosts]
        dupes = sorted({n for n in hosts if hosts.count(n) > 1})
        if dupes:
            raise ValueError(f"host {dupes[0]!r} is listed twice, expected unique names")
        return self

    @property
    def listen_host(self) -> str:
        """The address part of `listen` (brackets of an IPv6 address removed)."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def listen_port(self) -> int:
        """The port part of `listen`."""
        return int(self.listen.rpartition(":")[2])


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
