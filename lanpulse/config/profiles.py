"""Load device profiles (YAML), resolve `extends`, and choose a profile for a device.

Profiles whose name starts with `_` are mixins: never selected on their own. Selection:
the longest sysObjectID prefix wins; then the first sysDescr pattern that matches (by
priority); then `generic`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import SnmpValue
from lanpulse.core.profile import Profile
from lanpulse.core.yaml_bounds import load_plain_yaml

BUILTIN_DIR = Path(__file__).parent / "profiles"
FALLBACK = "generic"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which profile was chosen for a device, and why (for `poll --explain`)."""

    profile: Profile
    reason: str


class ProfileSet:
    """Every resolved profile, with the selection index built once."""

    def __init__(self, profiles: Mapping[str, Profile]) -> None:
        self.profiles = dict(profiles)
        self._by_prefix: list[tuple[str, Profile]] = sorted(
            (
                (prefix, p)
                for p in self.profiles.values()
                if not p.name.startswith("_")
                for prefix in p.match.sysobjectid
            ),
            key=lambda item: (-len(item[0]), -item[1].priority),
        )
        self._by_descr: list[tuple[re.Pattern[str], Profile]] = [
            (re.compile(pattern), p)
            for p in sorted(self.profiles.values(), key=lambda p: -p.priority)
            if not p.name.startswith("_")
            for pattern in p.match.sysdescr
        ]

        self._by_evidence: list[Profile] = [
            p
            for p in sorted(self.profiles.values(), key=lambda p: (-p.priority, p.name))
            if not p.name.startswith("_") and p.match.answers
        ]

    def mib_columns(self) -> dict[str, str]:
        """MIB object name -> column OID, from the named sources of every table metric (the
        one place a column's OID is written; discovery finds its columns here). A name two
        vendors' MIBs both use for different columns (FASTPATH's under two enterprises) is
        left out: it names no one column."""
        found: dict[str, set[str]] = {}
        for profile in self.profiles.values():
            for metric in profile.metrics:
                if metric.scalar:
                    continue
                for sources in metric.sources().values():
                    for src in sources:
                        if src.name and src.oid:
                            found.setdefault(src.name, set()).add(src.oid)
        return {name: oids.pop() for name, oids in found.items() if len(oids) == 1}

    def get(self, name: str) -> Profile:
        """The named profile, or a ConfigError listing the names that exist."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(n for n in self.profiles if not n.startswith("_")))
            raise ConfigError(f"unknown profile {name!r}; expected one of: {known}") from None

    def probe_oids(self) -> tuple[str, ...]:
        """Scalar OIDs to GET with sysObjectID/sysDescr so `select` can use `match.probe`."""
        found: dict[str, None] = {}
        for p in self.profiles.values():
            found.update(dict.fromkeys(p.match.probe))
        return tuple(found)

    def evidence_oids(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The OIDs to GET and the columns to walk for class inference (`match.answers`)."""
        gets: dict[str, None] = {}
        walks: dict[str, None] = {}
        for p in self._by_evidence:
            for ev in p.match.answers:
                if ev.get:
                    gets[ev.get] = None
                elif ev.walk:
                    walks[ev.walk] = None
        return tuple(gets), tuple(walks)

    def select(
        self,
        sys_object_id: str,
        sys_descr: str,
        answered: Collection[str] = (),
        evidence: Mapping[str, list[int]] | None = None,
    ) -> Selection:
        """Choose by sysObjectID prefix, then sysDescr pattern, then class inference, then
        the generic fallback.

        `answered` holds the `probe_oids()` the device answered; a profile with
        `match.probe` is chosen only when one of its probes was answered, and one with
        `match.refine` only when sysDescr also matches. `evidence` (from
        `evidence_answers`) is what the device answered of `evidence_oids()`; without it
        no class is inferred.
        """
        oid = sys_object_id.lstrip(".")
        for prefix, profile in self._by_prefix:
            if oid == prefix or oid.startswith(prefix + "."):
                why = self._narrowed(profile, sys_descr, answered)
                if why is None:
                    continue
                return Selection(profile, f"sysObjectID {oid} starts with {prefix}{why}")
        for pattern, profile in self._by_descr:
            if pattern.search(sys_descr):
                return Selection(profile, f"sysDescr matches /{pattern.pattern}/")
        why = ""
        if evidence is not None:
            inferred = self._inferred(oid, evidence)
            if inferred is not None:
                return inferred
            why = " and the device answers none of the class evidence"
        return Selection(
            self.get(FALLBACK),
            f"no profile matches sysObjectID {oid or '(none)'}{why}: fallback",
        )

    def _inferred(self, oid: str, evidence: Mapping[str, list[int]]) -> Selection | None:
        """The first profile (by priority) whose evidence the device answers, with why."""
        for profile in self._by_evidence:
            for ev in profile.match.answers:
                got = ev.holds(evidence)
                if got is None:
                    continue
                source = f"{got} rows of {ev.walk}" if ev.walk else f"{ev.get} = {got}"
                return Selection(
                    profile,
                    f"no profile matches sysObjectID {oid or '(none)'} or sysDescr; class "
                    f"{profile.device_class or 'other'} inferred: the device answers "
                    f"{ev.what} ({source}{'' if ev.min <= 1 else f', at least {ev.min}'})",
                )
        return None

    def _narrowed(self, profile: Profile, sys_descr: str, answered: Collection[str]) -> str | None:
        """None when the profile's refine/probe conditions fail, else the extra reason."""
        why = ""
        if profile.match.refine:
            hit = next((r for r in profile.match.refine if re.search(r, sys_descr)), None)
            if hit is None:
                return None
            why += f" and sysDescr matches /{hit}/"
        if profile.match.probe:
            probe = next((o for o in profile.match.probe if o in answered), None)
            if probe is None:
                return None
            why += f" and the device answers {probe}"
        return why

    def selectable(self) -> list[Profile]:
        """Profiles that can be chosen (not mixins), sorted by name."""
        return sorted(
            (p for p in self.profiles.values() if not p.name.startswith("_")),
            key=lambda p: p.name,
        )


def _number(value: SnmpValue) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def evidence_answers(
    scalars: Mapping[str, SnmpValue], columns: Mapping[str, Mapping[str, SnmpValue]]
) -> dict[str, list[int]]:
    """What a device answered of `evidence_oids()`, as numbers (1 for a text value): a
    GET's value, a walked column's row values."""
    out: dict[str, list[int]] = {oid: [_number(v)] for oid, v in scalars.items()}
    for oid, rows in columns.items():
        if rows:
            out[oid] = [_number(v) for v in rows.values()]
    return out


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read profile: {exc.strerror}", file=str(path)) from None
    data = load_plain_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ConfigError("a profile must be a mapping", file=str(path))
    for key, kind, expected in (
        ("metrics", list, "a list of metrics"),
        ("extends", list | str, "a profile name or a list of them"),
        ("match", dict, "a mapping (sysobjectid, sysdescr)"),
    ):
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise ConfigError(f"expected {expected}", file=str(path), key=key)
    data.setdefault("name", path.stem)
    data["source_file"] = str(path)
    return data


def _merge(parents: Iterable[dict[str, Any]], child: dict[str, Any]) -> dict[str, Any]:
    """Child keys win; metrics merge by name (a child's metric replaces a parent's,
    or with `patch: true` only overrides the keys it names)."""
    merged: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for layer in [*parents, child]:
        for key, value in layer.items():
            if key == "metrics":
                for m in value or []:
                    if isinstance(m, dict) and m.get("drop"):
                        metrics.pop(m.get("name", ""), None)
                    elif isinstance(m, dict) and m.get("patch"):
                        # A patch changes some keys of an inherited metric (e.g. adds a
                        # vendor processor) without repeating the whole metric.
                        patch = {k: v for k, v in m.items() if k != "patch"}
                        metrics[m.get("name", "")] = {**metrics.get(m.get("name", ""), {}), **patch}
                    elif isinstance(m, dict):
                        metrics[m.get("name", f"#{len(metrics)}")] = m
            elif key not in ("match", "priority", "extends") or layer is child:
                merged[key] = value
    merged["metrics"] = list(metrics.values())
    merged["name"] = child["name"]
    return merged


def load_profiles(extra_dirs: Iterable[str | Path] = ()) -> ProfileSet:
    """Load the built-in profiles and any user directories (later files override)."""
    raw: dict[str, dict[str, Any]] = {}
    errors: list[ConfigError] = []
    for directory in [BUILTIN_DIR, *map(Path, extra_dirs)]:
        if not directory.is_dir():
            errors.append(ConfigError("profile directory does not exist", file=str(directory)))
            continue
        for path in sorted(directory.rglob("*.yaml")):
            if "cli" in path.relative_to(directory).parts[:-1]:
                continue  # CLI (SSH) profiles have their own loader
            try:
                data = _read_raw(path)
            except ConfigError as exc:
                errors.append(exc)
                continue
            raw[data["name"]] = data
    resolved: dict[str, Profile] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        data = raw[name]
        parents = []
        for parent in data.get("extends", []) or []:
            if parent in chain:
                raise ConfigError(
                    f"extends cycle: {' -> '.join((*chain, parent))}",
                    file=data["source_file"],
                    key="extends",
                )
            if parent not in raw:
                raise ConfigError(
                    f"extends unknown profile {parent!r}", file=data["source_file"], key="extends"
                )
            parents.append(resolve(parent, (*chain, parent)))
        return _merge(parents, data)

    for name, data in raw.items():
        try:
            merged = resolve(name, (name,))
            resolved[name] = Profile.model_validate(merged)
        except ConfigError as exc:
            errors.append(exc)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                errors.append(ConfigError(err["msg"], file=data["source_file"], key=loc))
    if errors:
        raise ConfigErrors(errors)
    if FALLBACK not in resolved:
        raise ConfigError(f"the built-in {FALLBACK!r} profile is missing", file=str(BUILTIN_DIR))
    _check_processors(resolved.values())
    return ProfileSet(resolved)


def _check_processors(profiles: Iterable[Profile]) -> None:
    from lanpulse.parsers.quirks import PROCESSORS

    errors = [
        ConfigError(
            f"unknown processor {name!r}; known: {', '.join(sorted(PROCESSORS))}",
            file=p.source_file,
            key=f"metrics.{m.name}.processors",
        )
        for p in profiles
        for m in p.metrics
        for name in m.processors
        if name not in PROCESSORS
    ]
    if errors:
        raise ConfigErrors(errors)


# One per process, on purpose: the shipped profiles are read-only package data that no
# configuration changes; `profiles_dirs` are loaded per config (`load_profiles(dirs)`) and
# dropped on reload. Each poller compiles its own profiles (`CompiledProfile`).
@lru_cache(maxsize=1)
def builtin_profiles() -> ProfileSet:
    """The built-in profiles, loaded once per process."""
    return load_profiles()
