"""Interface roles as a tag (pure): `role` on every `interface` sample that has one.

Order: the device's overrides, then the rules in order (the daemon passes the configured
ones, then the built-in ones of config/roles.yaml). A rule may ask about the LLDP/CDP
neighbour on the port: the `neighbor` samples of the polls, kept per port in a
`PortNeighbors` the daemon owns (they outlive a reload). A role is decided once per device,
interface identity (name, alias, type, class) and what its neighbours are, and remembered,
so a poll pays one dict lookup per interface.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lanpulse.core.model import Sample, make_sample

INTERFACE = "interface"
NEIGHBOR = "neighbor"
DEVICE = "device"
_MEMO_MAX = 1_000_000  # interfaces remembered (about 150 MiB at most; the estate has ~70,000)


class NeighborMatch(Protocol):
    """config/roles.py's NeighborRule."""

    @property
    def capabilities(self) -> tuple[str, ...]: ...
    @property
    def unless(self) -> tuple[str, ...]: ...
    @property
    def classes(self) -> tuple[str, ...]: ...


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
    @property
    def profiles(self) -> tuple[str, ...]: ...  # the profile the device is polled with
    @property
    def neighbor(self) -> NeighborMatch | None: ...


@dataclass(frozen=True, slots=True)
class Neighbor:
    """One LLDP/CDP neighbour of a port: what it says it is, and the names it goes by."""

    caps: frozenset[str]
    keys: tuple[str, ...]  # remote_name, its first label, remote_address (lower case)


# A port's neighbours as a rule sees them: (capabilities, inventory class or None) each.
Resolved = tuple[tuple[frozenset[str], str | None], ...]


class PortNeighbors:
    """The neighbours LLDP/CDP last reported on each port, and each polled device's class.

    A poll's `neighbor` rows replace what was known of the ports they name; a port they do
    not name keeps its neighbour, so a role learnt from a neighbour survives the link going
    down (and the neighbour leaving the table) until another neighbour shows up there or
    the daemon restarts. Bounded by the estate's ports.
    """

    def __init__(self) -> None:
        self.by_name: dict[str, dict[str, tuple[Neighbor, ...]]] = {}
        self.by_index: dict[str, dict[str, tuple[Neighbor, ...]]] = {}
        self.classes: dict[str, str] = {}

    def observe(self, samples: Sequence[Sample]) -> None:
        """Take the neighbours and device classes of one poll's samples."""
        seen: dict[tuple[str, str, str], list[Neighbor]] = {}
        for s in samples:
            if s.measurement == DEVICE:
                cls = s.tags.get("class")
                if cls:
                    self.classes[s.tags.get("device", "")] = cls
            elif s.measurement == NEIGHBOR:
                tags = s.tags
                port = tags.get("local_port", "")
                key = (tags.get("device", ""), port, tags.get("local_port_index", ""))
                seen.setdefault(key, []).append(_neighbor(tags))
        for (device, port, index), found in seen.items():
            entry = tuple(found)
            if port:
                self.by_name.setdefault(device, {})[port] = entry
            if index:
                self.by_index.setdefault(device, {})[index] = entry

    def on_port(self, device: str, if_name: str, if_index: str) -> tuple[Neighbor, ...]:
        """The neighbours of an interface: by its name (LLDP's local port), else its index."""
        found = self.by_name.get(device, {}).get(if_name)
        if found is None:
            found = self.by_index.get(device, {}).get(if_index, ())
        return found

    def forget(self, keep: set[str]) -> None:
        """Drop what is known of devices no longer in the inventory."""
        for table in (self.by_name, self.by_index, self.classes):
            for device in [d for d in table if d not in keep]:
                del table[device]


def _neighbor(tags: Mapping[str, str]) -> Neighbor:
    caps = frozenset(c for c in tags.get("remote_caps", "").split(",") if c)
    keys: list[str] = []
    name = tags.get("remote_name", "").strip().lower()
    if name:
        keys.append(name)
        short = name.split(".", 1)[0]
        if short != name:
            keys.append(short)
    address = tags.get("remote_address")
    if address:
        keys.append(address.lower())
    return Neighbor(caps, tuple(keys))


class _Compiled:
    __slots__ = (
        "alias",
        "classes",
        "devices",
        "groups",
        "if_type",
        "name",
        "nb_caps",
        "nb_classes",
        "nb_unless",
        "neighbor",
        "profiles",
        "role",
    )

    def __init__(self, rule: RoleMatch) -> None:
        self.role = rule.role
        self.name = re.compile(rule.name) if rule.name else None
        self.alias = re.compile(rule.alias) if rule.alias else None
        self.if_type = frozenset(rule.if_type)
        self.devices = frozenset(rule.devices)
        self.groups = frozenset(rule.groups)
        self.classes = frozenset(rule.classes)
        self.profiles = frozenset(rule.profiles)
        nb = rule.neighbor
        self.neighbor = nb is not None
        self.nb_caps = frozenset(nb.capabilities) if nb else frozenset()
        self.nb_unless = frozenset(nb.unless) if nb else frozenset()
        self.nb_classes = frozenset(nb.classes) if nb else frozenset()

    def matches(
        self, tags: Mapping[str, str], group: str | None, profile: str | None, neighbors: Resolved
    ) -> bool:
        device = tags.get("device", "")
        if self.devices and device not in self.devices:
            return False
        if self.profiles and profile not in self.profiles:
            return False
        if self.groups and group not in self.groups:
            return False
        if self.classes and tags.get("class") not in self.classes:
            return False
        if self.if_type and tags.get("if_type") not in self.if_type:
            return False
        if self.name and not self.name.search(tags.get("if_name", "")):
            return False
        if self.alias and not self.alias.search(tags.get("if_alias", "")):
            return False
        return not self.neighbor or any(self._neighbor_is(c, k) for c, k in neighbors)

    def _neighbor_is(self, caps: frozenset[str], cls: str | None) -> bool:
        # A known device is what the inventory says (a hypervisor bridging VMs says
        # "bridge" too); an unknown one is what it says it is.
        if cls is not None:
            return cls in self.nb_classes
        return bool(caps & self.nb_caps) and not caps & self.nb_unless


class RoleTagger:
    """Adds the `role` tag to interface samples."""

    def __init__(
        self,
        rules: Sequence[RoleMatch],
        overrides: Mapping[str, Mapping[str, str]] | None = None,
        groups: Mapping[str, str] | None = None,
        *,
        neighbors: PortNeighbors | None = None,
        known: Mapping[str, str] | None = None,
        classes: Mapping[str, str] | None = None,
        profile_of: Callable[[str], str | None] | None = None,
    ) -> None:
        """`known`: inventory names (lower case, also their first label) and addresses ->
        device name; `classes`: device name -> the class the inventory gives it;
        `profile_of`: device name -> the profile its polls use (the poller knows it)."""
        self.overrides = overrides or {}
        self.rules = [_Compiled(r) for r in rules]
        self.groups = dict(groups or {})
        self.neighbors = neighbors if neighbors is not None else PortNeighbors()
        self.known = dict(known or {})
        self.classes = dict(classes or {})
        self.profile_of = profile_of or (lambda _device: None)
        self._memo: dict[
            tuple[str, str, str, str, str | None, str | None, Resolved], str | None
        ] = {}

    def _resolve(self, found: tuple[Neighbor, ...]) -> Resolved:
        out = []
        for n in found:
            device = next((d for k in n.keys if (d := self.known.get(k))), None)
            cls = None
            if device is not None:
                cls = self.classes.get(device) or self.neighbors.classes.get(device) or "other"
            out.append((n.caps, cls))
        return tuple(out)

    def role(self, tags: Mapping[str, str]) -> str | None:
        """The role of the interface these tags describe, or None."""
        device = tags.get("device", "")
        name = tags.get("if_name", "")
        found = self.neighbors.on_port(device, name, tags.get("if_index", ""))
        resolved = self._resolve(found) if found else ()
        profile = self.profile_of(device)
        key = (
            device,
            name,
            tags.get("if_alias", ""),
            tags.get("if_type", ""),
            tags.get("class"),
            profile,
            resolved,
        )
        if key in self._memo:
            return self._memo[key]
        role = self.overrides.get(device, {}).get(name)
        if role is None:
            group = self.groups.get(device)
            role = next(
                (r.role for r in self.rules if r.matches(tags, group, profile, resolved)), None
            )
        if len(self._memo) >= _MEMO_MAX:
            self._memo.clear()
        self._memo[key] = role
        return role

    def apply(self, samples: Sequence[Sample]) -> Sequence[Sample]:
        """The samples, interface ones with their `role` tag (others unchanged); the poll's
        neighbours are taken first, so a port's role follows them in the same poll."""
        self.neighbors.observe(samples)
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


def known_devices(devices: Sequence[tuple[str, str]]) -> dict[str, str]:
    """(name, address) of the inventory -> the `known` map: a neighbour's advertised system
    name (as is, or its first label) or management address -> device name."""
    out: dict[str, str] = {}
    for name, address in devices:
        lower = name.lower()
        out.setdefault(lower, name)
        out.setdefault(lower.split(".", 1)[0], name)
        out.setdefault(address.lower(), name)
    return out
