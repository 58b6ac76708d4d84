"""Merge found devices into an inventory file, keeping what people wrote; and say what changed.

The file is the `devices:` list the main configuration includes (`inventory: [...]`). A
device's own keys (address, class, profile, credentials, group, parent, labels...) are only
filled in when missing: an edit made by hand survives every later discovery unless `force`.
Only the `discovered:` block belongs to discovery and is rewritten each time. Devices are
never removed: one that a sweep of its subnet no longer finds gets `vanished_since`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from lanpulse.config.inventory import AgentFacts
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.discovery.records import FoundDevice, identity_keys

HEADER = (
    "# Written by `lanpulse discover`. Edit freely: keys you set are kept by later runs\n"
    "# (unless --force); only `discovered:` is rewritten. Devices are never removed here:\n"
    "# a device discovery no longer finds gets `discovered.vanished_since`.\n"
)
# Key order in the written file: identity first, discovery's own block last.
KEY_ORDER = (
    "name",
    "address",
    "port",
    "class",
    "profile",
    "credentials",
    "group",
    "parent",
    "labels",
)
ChangeKind = Literal["new", "changed", "vanished", "returned"]


@dataclass(frozen=True, slots=True)
class Change:
    """One line of `--diff`."""

    kind: ChangeKind
    name: str
    address: str
    detail: str = ""

    def line(self) -> str:
        """`+ name address detail` (new), `~` changed, `-` vanished, `=` returned."""
        mark = {"new": "+", "changed": "~", "vanished": "-", "returned": "="}[self.kind]
        return f"{mark} {self.name:<24} {self.address:<16} {self.detail}".rstrip()


@dataclass(slots=True)
class MergeResult:
    """The entries to write and what differs from the file as it was."""

    entries: list[dict[str, Any]]
    changes: list[Change] = field(default_factory=list)


def read_entries(path: str | Path) -> list[dict[str, Any]]:
    """The `devices:` of an inventory file as plain data; [] when it does not exist yet."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigErrors([ConfigError(f"cannot read the file ({reason})", file=name)]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigErrors(
            [
                ConfigError(
                    "invalid YAML, expected an inventory file with a `devices:` list",
                    file=name,
                    line=None if mark is None else mark.line + 1,
                )
            ]
        ) from None
    devices = (data or {}).get("devices") if isinstance(data, dict) or data is None else None
    if devices is None and (data is None or data == {}):
        return []
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise ConfigErrors([ConfigError("expected a `devices:` list of mappings", file=name)])
    return devices


def merge(
    entries: Sequence[Mapping[str, Any]],
    found: Sequence[FoundDevice],
    *,
    now: str,
    force: bool = False,
    may_vanish: Callable[[Mapping[str, Any]], bool] = lambda entry: False,
    elsewhere: Collection[tuple[str, str]] = (),
) -> MergeResult:
    """Fold `found` into `entries` (copies); `may_vanish` says which unmatched ones to flag.

    `elsewhere` holds (name, address) of devices written in other files of the
    configuration: they are known already, so they are neither added nor renamed into.
    """
    result = MergeResult([_copy(e) for e in entries])
    by_key = _index(result.entries)
    known_names = {n for n, _ in elsewhere} | {str(e.get("name")) for e in result.entries}
    known_addresses = {a for _, a in elsewhere}
    final_name: dict[str, str] = {}  # found name -> its name in the inventory
    matched: set[int] = set()
    pending_parent: list[tuple[dict[str, Any], str]] = []
    for device in found:
        position = _match(device, by_key)
        if position is None:
            if device.address in known_addresses or any(
                a in known_addresses for a in device.addresses
            ):
                continue
            entry = _new_entry(device, known_names, now)
            known_names.add(entry["name"])
            result.entries.append(entry)
            position = len(result.entries) - 1
            by_key.setdefault(("address", device.address), position)
            result.changes.append(Change("new", entry["name"], device.address, _what(device)))
        else:
            entry = result.entries[position]
            change = _update(entry, device, now, force)
            if change is not None:
                result.changes.append(change)
        matched.add(position)
        final_name[device.name] = str(entry["name"])
        if device.parent:
            pending_parent.append((entry, device.parent))
    for entry, parent in pending_parent:
        name = final_name.get(parent, parent)
        if name != entry["name"] and (force or "parent" not in entry):
            entry["parent"] = name
    for position, entry in enumerate(result.entries):
        if position in matched or not may_vanish(entry):
            continue
        facts = entry.setdefault("discovered", {})
        if not facts.get("vanished_since"):
            facts["vanished_since"] = now
            result.changes.append(
                Change("vanished", str(entry.get("name")), str(entry.get("address")), "not found")
            )
    return result


def render(entries: Sequence[Mapping[str, Any]]) -> str:
    """The inventory file's text: the header, then `devices:` with keys in a stable order."""
    ordered = [_ordered(e) for e in entries]
    body = yaml.safe_dump(
        {"devices": ordered}, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return HEADER + body


def write(path: str | Path, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write atomically (a reader never sees half a file; the daemon may reload meanwhile)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(render(entries))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    for key in ("labels", "discovered", "snmp", "ssh"):
        if isinstance(out.get(key), Mapping):
            out[key] = dict(out[key])
    return out


def _index(entries: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """How a found device is recognised: engine ID, then name, then any address."""
    index: dict[tuple[str, str], int] = {}
    for position, entry in enumerate(entries):
        facts = entry.get("discovered") or {}
        for key in identity_keys(_agent(facts)):
            index.setdefault(("identity", key), position)
        index.setdefault(("name", str(entry.get("name"))), position)
        for address in [entry.get("address"), *(facts.get("addresses") or [])]:
            if address:
                index.setdefault(("address", str(address)), position)
    return index


def _match(device: FoundDevice, index: Mapping[tuple[str, str], int]) -> int | None:
    keys = [("identity", key) for key in identity_keys(device.agent)]
    keys.append(("address", device.address))
    keys.extend(("address", a) for a in device.addresses)
    keys.append(("name", device.name))
    return next((index[k] for k in keys if k in index), None)


def _agent(facts: Mapping[str, Any]) -> AgentFacts:
    """The agent facts of an entry's `discovered:` block (as written, maybe by hand)."""
    return AgentFacts.model_validate(
        {k: str(facts[k]) for k in AgentFacts.model_fields if facts.get(k)}
    )


def _own_keys(device: FoundDevice) -> dict[str, Any]:
    """The device keys discovery proposes (never a secret: credentials is a set's name)."""
    keys: dict[str, Any] = {"address": device.address}
    if device.port != 161:
        keys["port"] = device.port
    for key, value in (
        ("class", device.device_class),
        ("profile", device.profile),
        ("credentials", device.credentials),
        ("group", device.group),
    ):
        if value:
            keys[key] = value
    labels = dict(device.labels)
    if device.site:
        labels["site"] = device.site
    if labels:
        keys["labels"] = labels
    return keys


def _facts(device: FoundDevice, previous: Mapping[str, Any], now: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"source": device.source}
    facts.update((k, v) for k, v in device.agent.model_dump().items() if v)
    if len(device.addresses) > 1:
        facts["addresses"] = list(device.addresses)
    facts["first_seen"] = previous.get("first_seen") or now
    facts["last_seen"] = now
    return facts


def _new_entry(device: FoundDevice, taken: Collection[str], now: str) -> dict[str, Any]:
    name = device.name
    if name in taken:
        name = f"{name}-{device.address.replace(':', '-')}"
    return {"name": name, **_own_keys(device), "discovered": _facts(device, {}, now)}


def _update(entry: dict[str, Any], device: FoundDevice, now: str, force: bool) -> Change | None:
    """Fill missing keys (all with `force`), refresh `discovered`; the change to report."""
    old = entry.get("discovered") or {}
    differences = []
    if str(entry.get("address")) != device.address and device.address not in (
        old.get("addresses") or []
    ):
        differences.append(f"address {entry.get('address')} -> {device.address}")
    for key, what in (
        ("sys_object_id", "model"),
        ("sys_descr", "sysDescr"),
        ("sys_name", "sysName"),
    ):
        before, after = old.get(key), getattr(device.agent, key)
        if before and after and before != after:
            differences.append(f"{what} {before!r} -> {after!r}")
    for key, value in _own_keys(device).items():
        if key == "labels":
            labels = dict(entry.get("labels") or {})
            for label, text in value.items():
                if force or label not in labels:
                    labels[label] = text
            entry["labels"] = labels
        elif force or key not in entry:
            entry[key] = value
    returned = bool(old.get("vanished_since"))
    entry["discovered"] = _facts(device, old, now)
    name, address = str(entry["name"]), str(entry.get("address"))
    if differences:
        return Change("changed", name, address, "; ".join(differences))
    if returned:
        return Change("returned", name, address, f"found again (vanished {old['vanished_since']})")
    return None


def _what(device: FoundDevice) -> str:
    parts = [p for p in (device.device_class, device.profile) if p]
    if device.site:
        parts.append(f"site {device.site}")
    if device.parent:
        parts.append(f"parent {device.parent}")
    return " ".join(parts)


def _ordered(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: entry[k] for k in KEY_ORDER if k in entry}
    out.update({k: v for k, v in entry.items() if k not in out and k != "discovered"})
    if "discovered" in entry:
        out["discovered"] = entry["discovered"]
    return out
