"""Interface roles as a tag (pure): `role` on every `interface` sample that has one.

Order: the device's overrides, then the rules in order (the daemon passes the configured
ones, then the built-in ones of config/roles.yaml). A role is decided once per device and
interface identity (name, alias, type, class) and remembered, so a poll pays one dict
lookup per interface.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from lanpulse.core.model import Sample, make_sample

INTERFACE = "interface"
_MEMO_MAX = 1_000_000  # interfaces remembered (about 150 MiB at most; the estate has ~70,000)


class RoleMatch(Protocol):
    """One rule (config/roles.py's RoleRule): the role, and what an interface must match
    (every condition given)."""

    @property
    def role(self) -> str: ...
    @property
    def name(self) -> str | None: ...  # regex searched in if_name
    @property
    def alias(self) -> str | None: ...  # regex searched in if_alias
    @property
    def if_type(self) -> tuple[str, ...]: ...
    @property
    def devices(self) -> tuple[str, ...]: ...
    @property
    def groups(self) -> tuple[str, ...]: ...
    @property
    def classes(self) -> tuple[str, ...]: ...


class _Compiled:
    __slots__ = ("alias", "classes", "devices", "groups", "if_type", "name", "role")

    def __init__(self, rule: RoleMatch) -> None:
        self.role = rule.role
        self.name = re.compile(rule.name) if rule.name else None
        self.alias = re.compile(rule.alias) if rule.alias else None
        self.if_type = frozenset(rule.if_type)
        self.devices = frozenset(rule.devices)
        self.groups = frozenset(rule.groups)
        self.classes = frozenset(rule.classes)

    def matches(self, tags: Mapping[str, str], group: str | None) -> bool:
        device = tags.get("device", "")
        if self.devices and device not in self.devices:
            return False
        if self.groups and group not in self.groups:
            return False
        if self.classes and tags.get("class") not in self.classes:
            return False
        if self.if_type and tags.get("if_type") not in self.if_type:
            return False
        if self.name and not self.name.search(tags.get("if_name", "")):
            return False
        return not (self.alias and not self.alias.search(tags.get("if_alias", "")))


class RoleTagger:
    """Adds the `role` tag to interface samples."""

    def __init__(
        self,
        rules: Sequence[RoleMatch],
        overrides: Mapping[str, Mapping[str, str]] | None = None,
        groups: Mapping[str, str] | None = None,
    ) -> None:
        self.overrides = overrides or {}
        self.rules = [_Compiled(r) for r in rules]
        self.groups = dict(groups or {})
        self._memo: dict[tuple[str, str, str, str, str | None], str | None] = {}

    def role(self, tags: Mapping[str, str]) -> str | None:
        """The role of the interface these tags describe, or None."""
        device = tags.get("device", "")
        name = tags.get("if_name", "")
        key = (device, name, tags.get("if_alias", ""), tags.get("if_type", ""), tags.get("class"))
        if key in self._memo:
            return self._memo[key]
        role = self.overrides.get(device, {}).get(name)
        if role is None:
            group = self.groups.get(device)
            role = next((r.role for r in self.rules if r.matches(tags, group)), None)
        if len(self._memo) >= _MEMO_MAX:
            self._memo.clear()
        self._memo[key] = role
        return role

    def apply(self, samples: Sequence[Sample]) -> Sequence[Sample]:
        """The samples, interface ones with their `role` tag (others unchanged)."""
        if not any(s.measurement == INTERFACE for s in samples):
            return samples
        out: list[Sample] = []
        for s in samples:
            if s.measurement == INTERFACE and "role" not in s.tags:
                role = self.role(s.tags)
                if role is not None:
                    s = make_sample(s.measurement, {**s.tags, "role": role}, s.fields, s.time_ns)
            out.append(s)
        return out
