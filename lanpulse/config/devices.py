"""Inheritance defaults -> group -> device, and the checks only the whole inventory allows.

Merging is deep for `snmp`, `ssh` and `labels` (the device wins key by key) and plain for
the rest. A device polls SNMP unless it (or its group) names only `ssh:`; `defaults.ssh`
fills in SSH settings only for devices that use SSH.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lanpulse.config.inventory import (
    DefaultsSection,
    DeviceEntry,
    GroupSection,
    InheritedSection,
    SnmpSection,
)
from lanpulse.config.snmp_protocols import SnmpVersion, usm_problems
from lanpulse.config.sourcemap import Loc, Problem
from lanpulse.core.model import Device, SnmpCredentials, SshCredentials

DEFAULT_INTERVAL_S = 60.0


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to a mistyped `word`, or None when nothing is close."""
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _expected(word: str, choices: Iterable[str], what: str) -> str:
    names = sorted(choices)
    close = closest(word, names)
    if close:
        return f"did you mean {close!r}?"
    if not names:
        return f"expected a {what} defined in the configuration (there is none)"
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f"expected one of: {shown}"


def _layered(
    levels: Sequence[InheritedSection | None],
    section: str,
    credential_set: SnmpSection | None = None,
) -> dict[str, Any]:
    """`section` merged general -> specific; a credential set goes just before the device."""
    merged: dict[str, Any] = {}
    for position, level in enumerate(levels):
        if credential_set is not None and position == len(levels) - 1:
            merged.update(credential_set.set_values())
        part = getattr(level, section, None) if level is not None else None
        if part is not None:
            merged.update(part.set_values())
    return merged


def _first(levels: Sequence[InheritedSection | None], name: str) -> Any:
    """The value set at the most specific level (levels go general -> specific)."""
    for level in reversed(levels):
        if level is not None and name in level.model_fields_set:
            return getattr(level, name)
    return None


def _snmp(values: Mapping[str, Any], where: Loc, problems: list[Problem]) -> SnmpCredentials:
    version: SnmpVersion = values.get("version") or "2c"
    retries = values.get("retries")
    loc = (*where, "snmp")

    def need(ok: bool, message: str) -> None:
        if not ok:
            problems.append(Problem(loc, message))

    creds = SnmpCredentials(
        version=version,
        community=values.get("community") if version != "3" else None,
        user=values.get("user") if version == "3" else None,
        auth_protocol=values.get("auth_protocol") if version == "3" else None,
        auth_password=values.get("auth_password") if version == "3" else None,
        priv_protocol=values.get("priv_protocol") if version == "3" else None,
        priv_password=values.get("priv_password") if version == "3" else None,
        context=values.get("context"),
        timeout_s=values.get("timeout") or 2.0,
        retries=1 if retries is None else int(retries),
        max_repetitions=values.get("max_repetitions") or 25,
        engine=values.get("engine") or "native",
    )
    hint = "in the device, its group or defaults"
    if version != "3":
        need(
            creds.community is not None,
            f"SNMP v{version} needs a community, expected snmp.community or "
            f"snmp.community_file {hint}",
        )
        return creds
    need(creds.user is not None, f"SNMP v3 needs a user, expected snmp.user {hint}")
    for message in usm_problems(
        creds.auth_protocol,
        creds.auth_password,
        creds.priv_protocol,
        creds.priv_password,
        prefix="snmp.",
        where=hint,
    ):
        problems.append(Problem(loc, message))
    return creds


def credential_set_snmp(
    name: str, credential_set: SnmpSection, defaults: DefaultsSection
) -> tuple[SnmpCredentials, list[Problem]]:
    """The SNMP settings of a credential set over `defaults.snmp` (as a device naming it gets)."""
    problems: list[Problem] = []
    creds = _snmp(
        _layered([defaults, None], "snmp", credential_set), ("credentials", name), problems
    )
    return creds, problems


def _ssh(values: Mapping[str, Any], where: Loc, problems: list[Problem]) -> SshCredentials | None:
    loc = (*where, "ssh")
    platform = values.get("platform")
    if platform is None:
        problems.append(
            Problem(loc, "ssh needs a platform, expected ssh.platform (a netmiko device_type)")
        )
        return None
    if values.get("user") is None:
        problems.append(Problem(loc, "ssh needs a user, expected ssh.user"))
    optional = {
        "port": "port",
        "user": "user",
        "password": "password",
        "key_file": "key_file",
        "enable_secret": "enable_secret",
        "host_key_check": "host_key_check",
        "known_hosts": "known_hosts",
        "timeout": "timeout_s",
        "command_timeout": "command_timeout_s",
        "persistent": "persistent",
    }
    kwargs = {dst: values[src] for src, dst in optional.items() if values.get(src) is not None}
    return SshCredentials(platform=platform, **kwargs)


def merge_device(
    entry: DeviceEntry,
    group: GroupSection | None,
    defaults: DefaultsSection,
    where: Loc,
    problems: list[Problem],
    credentials: Mapping[str, SnmpSection] | None = None,
) -> Device:
    """One Device from its entry, its group and the defaults; problems are appended.

    `credentials` holds the root `credentials:` sets a level may name.
    """
    levels: list[InheritedSection | None] = [defaults, group, entry]
    named = (entry, group)
    set_name = _first(levels, "credentials")
    credential_set = None
    if set_name is not None:
        credential_set = (credentials or {}).get(set_name)
        if credential_set is None:
            hint = _expected(set_name, credentials or {}, "credential set")
            problems.append(
                Problem((*where, "credentials"), f"unknown credential set {set_name!r}, {hint}")
            )
    uses_snmp = credential_set is not None or any(
        x is not None and x.snmp is not None for x in named
    )
    uses_ssh = any(x is not None and x.ssh is not None for x in named)
    snmp = None
    if uses_snmp or not uses_ssh:
        snmp = _snmp(_layered(levels, "snmp", credential_set), where, problems)
    ssh = _ssh(_layered(levels, "ssh"), where, problems) if uses_ssh else None
    labels: dict[str, str] = {}
    prefer: dict[str, str] = {}
    for level in levels:
        if level is not None and level.labels:
            labels.update(level.labels)
        if level is not None and level.prefer:
            prefer.update(level.prefer)
    return Device(
        name=entry.name,
        address=entry.address,
        port=_first(levels, "port") or 161,
        device_class=_first(levels, "device_class"),
        profile=_first(levels, "profile"),
        labels=labels,
        interval_s=_first(levels, "interval") or DEFAULT_INTERVAL_S,
        snmp=snmp,
        ssh=ssh,
        group=entry.group,
        parent=entry.parent,
        deadline_s=_first(levels, "deadline"),
        prefer=prefer,
        poller_group=_first(levels, "poller_group") or "default",
    )


@dataclass(frozen=True, slots=True)
class EntryRef:
    """What the cross-checks need of one `devices:` item, valid or not."""

    index: int
    name: str | None
    group: str | None
    parent: str | None


def check_references(
    refs: Sequence[EntryRef],
    group_names: Collection[str],
    describe: Callable[[Loc], str],
) -> list[Problem]:
    """Duplicate names, unknown groups, unknown or cyclic parents over every item."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for ref in refs:
        if ref.name is None:
            continue
        if ref.name in first_index:
            first = describe(("devices", first_index[ref.name], "name"))
            problems.append(
                Problem(
                    ("devices", ref.index, "name"),
                    f"duplicate device name {ref.name!r} (first used on {first}), "
                    "expected unique names",
                )
            )
        else:
            first_index[ref.name] = ref.index
    parents: dict[str, str | None] = {r.name: r.parent for r in refs if r.name is not None}
    for ref in refs:
        if ref.group is not None and ref.group not in group_names:
            hint = _expected(ref.group, group_names, "group")
            problems.append(
                Problem(("devices", ref.index, "group"), f"unknown group {ref.group!r}, {hint}")
            )
        if ref.parent is None:
            continue
        loc: Loc = ("devices", ref.index, "parent")
        if ref.parent == ref.name:
            problems.append(Problem(loc, "a device cannot be its own parent"))
        elif ref.parent not in first_index:
            hint = _expected(ref.parent, first_index, "device")
            problems.append(Problem(loc, f"unknown parent {ref.parent!r}, {hint}"))
        elif ref.name is not None and _in_cycle(ref.name, parents):
            problems.append(
                Problem(loc, f"parent {ref.parent!r} leads back to {ref.name!r}, expected no cycle")
            )
    return problems


def build_inventory(
    entries: Sequence[tuple[int, DeviceEntry]],
    groups: Mapping[str, GroupSection],
    defaults: DefaultsSection | None,
    *,
    refs: Sequence[EntryRef] | None = None,
    known_groups: Collection[str] = (),
    describe: Callable[[Loc], str] | None = None,
    credentials: Mapping[str, SnmpSection] | None = None,
) -> tuple[tuple[Device, ...], list[Problem]]:
    """Merge every valid entry, and cross-check the whole inventory.

    `entries` pairs each validated entry with its index in `devices:`. `refs` and
    `known_groups` also cover items and groups that failed validation (so one mistake is not
    reported twice); by default they come from `entries` and `groups`. `describe` turns a key
    path into "line N" for messages. With `defaults` None (they failed validation) only the
    cross-checks run: merging without them would report follow-on errors.
    """
    if refs is None:
        refs = [EntryRef(i, e.name, e.group, e.parent) for i, e in entries]
    group_names = set(groups) | set(known_groups)
    problems = check_references(refs, group_names, describe or (lambda loc: f"devices[{loc[1]}]"))
    flagged = {p.loc[1] for p in problems if p.loc[-1] in ("name", "group")}
    devices: list[Device] = []
    if defaults is None:
        return (), problems
    for index, entry in entries:
        if index in flagged:
            continue
        group = groups.get(entry.group) if entry.group is not None else None
        if entry.group is not None and group is None:
            continue  # the group itself is invalid, and reported where it is defined
        devices.append(
            merge_device(entry, group, defaults, ("devices", index), problems, credentials)
        )
    return tuple(devices), problems


def _in_cycle(start: str, parents: Mapping[str, str | None]) -> bool:
    current = parents.get(start)
    steps = 0
    while current is not None and steps <= len(parents):
        if current == start:
            return True
        current = parents.get(current)
        steps += 1
    return False
