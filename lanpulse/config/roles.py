"""The `roles:` section: interface roles (uplink, access, server, wan, virtual) as a tag.

Explicit overrides come first, then configured rules (regex on name or alias, interface
type, LLDP/CDP neighbour; per device or group); the built-in rules of `roles.yaml` (virtual
interface types and names, WAN names, a switch or router as neighbour, uplink aliases, then
access for switches and server for servers and arrays) decide the rest.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lanpulse.core.model import DeviceClass, NeighborCapability

Role = Literal["uplink", "access", "server", "wan", "virtual"]
ROLES: tuple[str, ...] = ("uplink", "access", "server", "wan", "virtual")


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from None
    return value


class NeighborRule(BaseModel):
    """What the LLDP/CDP neighbour on the port must be: a known inventory device of one of
    `classes`, or a device that says it has one of `capabilities` and none of `unless`
    (the `remote_caps` tag of `neighbor`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capabilities: tuple[NeighborCapability, ...] = ()
    unless: tuple[NeighborCapability, ...] = ()
    classes: tuple[DeviceClass, ...] = ()


class RoleRule(BaseModel):
    """One rule: the role, and what an interface must match (all given conditions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    name: str | None = None  # regex searched in if_name
    alias: str | None = None  # regex searched in if_alias
    if_type: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()  # the profile the device is polled with
    neighbor: NeighborRule | None = None

    _check_name = field_validator("name", "alias")(_regex)


class RoleSettings(BaseModel):
    """Configured role rules (before the built-in ones) and per-device overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    rules: tuple[RoleRule, ...] = ()
    # device -> interface name -> role: the last word.
    overrides: dict[str, dict[str, Role]] = Field(default_factory=dict)


@cache
def builtin_rules() -> tuple[RoleRule, ...]:
    """The rules shipped in `roles.yaml`."""
    data = yaml.safe_load((Path(__file__).with_name("roles.yaml")).read_text(encoding="utf-8"))
    return tuple(RoleRule.model_validate(r) for r in data["rules"])
