"""The `discovery:` section: where discovery may send, with which credential sets, how fast.

Every address discovery sends to must lie inside `subnets` (the scope): sweeps enumerate
them, crawls follow only neighbours inside them. Credential sets are named entries of the
root `credentials:` section, tried in order; a subnet may list its own (per site).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.inventory import Name
from lanpulse.config.paths import ConfigPath
from lanpulse.config.sourcemap import Loc, Problem
from lanpulse.core.model import DEVICE_CLASSES

# The default pace is meant for WAN links: 100 requests/s of ~90 bytes is ~72 kbit/s.
DEFAULT_RATE = 100.0
DEFAULT_CONCURRENCY = 128


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(
            f"bad subnet {value!r}, expected an address/prefix such as 10.20.0.0/22"
        ) from None


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None
    return value


Network = Annotated[str, AfterValidator(_network)]
Regex = Annotated[str, AfterValidator(_regex)]


def _subnet_entry(value: object) -> object:
    return {"subnet": value} if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class SubnetSection(_Strict):
    """One subnet to sweep: a plain `10.20.0.0/22`, or a mapping with its own settings."""

    subnet: Network
    credentials: list[Name] | None = None  # tried in order; default: discovery.credentials
    site: Name | None = None  # default: from the sysLocation rules


class SiteRule(_Strict):
    """sysLocation matching `match` (a regex, searched) puts the device in `site`."""

    match: Regex
    site: Name


class EndpointSettings(_Strict):
    """The MAC -> IP -> switch port table (`lanpulse where`)."""

    file: ConfigPath = Field(default="endpoints.json", validate_default=True)
    interval: PositiveDuration = 900.0  # the daemon's refresh cycle


class DiscoverySettings(_Strict):
    """`discovery:` — scope, credential sets, pace, site rules, and the daemon's schedule."""

    subnets: list[Annotated[SubnetSection, BeforeValidator(_subnet_entry)]] = Field(
        default_factory=list
    )
    credentials: list[Name] = Field(default_factory=list)
    rate: Annotated[float, Field(gt=0, le=10000)] = DEFAULT_RATE  # requests per second
    concurrency: Annotated[int, Field(ge=1, le=4096)] = DEFAULT_CONCURRENCY
    port: Annotated[int, Field(ge=1, le=65535)] = 161  # the agents' UDP port
    timeout: PositiveDuration = 1.0
    retries: Annotated[int, Field(ge=0, le=5)] = 1
    sites: list[SiteRule] = Field(default_factory=list)
    seeds: list[str] = Field(default_factory=list)  # device names or addresses to crawl from
    depth: Annotated[int, Field(ge=0, le=32)] = 3
    output: ConfigPath = Field(default="inventory/discovered.yaml", validate_default=True)
    # Class -> group for new devices (e.g. {printer: printers}); groups must exist.
    groups: dict[str, Name] = Field(default_factory=dict)
    # The daemon: sweep and crawl every `interval` (absent: no scheduled discovery).
    interval: PositiveDuration | None = None
    # A device missing from sweeps longer than this is `vanished` (alert `device_vanished`).
    vanished_after: PositiveDuration = 86400.0
    # Validated even when absent, so its default file is taken from the config's folder too.
    endpoints: EndpointSettings = Field(default_factory=dict, validate_default=True)


def reference_problems(
    settings: DiscoverySettings, credential_sets: Collection[str], groups: Collection[str]
) -> list[Problem]:
    """Names `discovery:` uses that the rest of the file must define (sets, groups, classes)."""
    problems: list[Problem] = []

    def need(name: str, known: Collection[str], loc: Loc, what: str) -> None:
        if name not in known:
            shown = ", ".join(sorted(known)) or "none defined"
            problems.append(Problem(loc, f"unknown {what} {name!r}, expected one of: {shown}"))

    for i, name in enumerate(settings.credentials):
        need(name, credential_sets, ("discovery", "credentials", i), "credential set")
    for i, subnet in enumerate(settings.subnets):
        for j, name in enumerate(subnet.credentials or ()):
            loc: Loc = ("discovery", "subnets", i, "credentials", j)
            need(name, credential_sets, loc, "credential set")
    for device_class, group in settings.groups.items():
        need(device_class, DEVICE_CLASSES, ("discovery", "groups", device_class), "class")
        need(group, groups, ("discovery", "groups", device_class), "group")
    return problems
