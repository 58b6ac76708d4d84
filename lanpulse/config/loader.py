"""Load the YAML configuration: every problem found at once, each on one line with its line.

    loaded = load_config("lanpulse.yaml")        # raises ConfigErrors listing every problem
    loaded.devices, loaded.settings, loaded.device("core-sw1")

The inventory is validated entry by entry, so that one broken device does not hide the
problems of the others, nor the duplicate names and unknown groups of the whole inventory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from lanpulse.config.devices import EntryRef, build_inventory
from lanpulse.config.discovery import reference_problems
from lanpulse.config.includes import IncludedInventory, include_inventory
from lanpulse.config.inventory import DefaultsSection, DeviceEntry, GroupSection
from lanpulse.config.secrets import SecretFileError, read_secret_file, secret_file_stem
from lanpulse.config.settings import INVENTORY_SECTIONS, LoadedConfig, Settings
from lanpulse.config.sourcemap import Loc, Problem, SourceMap, parse_yaml
from lanpulse.config.validation import problems_from
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import Device

EXTENSION_PREFIX = "x-"
ROOT_EXPECTED = "expected a mapping of sections (influxdb, defaults, groups, devices, ...)"


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, validate and merge the configuration file at `path`.

    Raises ConfigErrors (every problem, one line each, never a secret) when anything is wrong.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise _single(name, "the file does not exist, expected a readable YAML file") from None
    except IsADirectoryError:
        raise _single(name, "is a directory, expected a YAML file") from None
    except PermissionError:
        raise _single(name, "permission denied, expected a readable YAML file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _single(name, f"cannot read the file ({reason}), expected a YAML file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigErrors(
            [ConfigError("invalid UTF-8, expected a UTF-8 text file", file=name, line=line)]
        ) from None
    base_dir = Path(path).resolve().parent
    return load_config_text(text, name, environ=environ, base_dir=base_dir)


def load_config_text(
    text: str,
    filename: str = "<config>",
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> LoadedConfig:
    """Like `load_config`, from text; relative paths in it are taken from `base_dir` (or cwd)."""
    env = os.environ if environ is None else environ
    base = base_dir if base_dir is not None else Path.cwd()
    data, source, errors = parse_yaml(text, filename, env)
    if data is None and not errors:
        raise _single(filename, "the file is empty, " + ROOT_EXPECTED)
    if not isinstance(data, dict):
        if errors:
            raise ConfigErrors(errors)
        raise ConfigErrors([ConfigError(ROOT_EXPECTED, file=filename, line=source.line_for(()))])
    joined, include_errors = include_inventory(data, source, base, env)
    errors.extend(include_errors)
    checker = _Checker(data, source, {"base_dir": base}, joined)
    settings, devices = checker.run()
    errors.extend(joined.error(p) for p in checker.problems)
    if errors or settings is None:
        raise ConfigErrors(_sorted_unique(errors))
    return LoadedConfig(
        path=filename,
        settings=settings,
        devices=devices,
        base_dir=base,
        document=data,
        lines=source.lines,
    )


def build_devices(settings: Settings) -> tuple[Device, ...]:
    """The merged devices of validated settings; ConfigErrors (without lines) when inconsistent."""
    devices, problems = build_inventory(
        list(enumerate(settings.devices)),
        settings.groups,
        settings.defaults,
        credentials=settings.credentials,
    )
    if problems:
        errors = [ConfigError(p.message, key=_plain_key(p.loc)) for p in problems]
        raise ConfigErrors(errors)
    return devices


def _plain_key(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _single(filename: str, message: str) -> ConfigErrors:
    return ConfigErrors([ConfigError(message, file=filename)])


def _sorted_unique(errors: list[ConfigError]) -> list[ConfigError]:
    seen: set[str] = set()
    unique = []
    for err in errors:
        text = err.one_line()
        if text not in seen:
            seen.add(text)
            unique.append(err)
    return sorted(unique, key=lambda e: e.line or 0)


class _Checker:
    """Validates one parsed document piece by piece, collecting Problems."""

    def __init__(
        self,
        data: dict[str, Any],
        source: SourceMap,
        context: dict[str, Any],
        joined: IncludedInventory | None = None,
    ) -> None:
        self.data = data
        self.source = source
        self.context = context
        # Where each device was written: the main file or an `inventory:` include.
        self.joined = joined or IncludedInventory(source, data)
        self.problems: list[Problem] = []

    def _validate(self, model: type[BaseModel], value: object, loc: Loc) -> Any:
        """The validated section, or None (problems noted) when it or the YAML under it failed."""
        try:
            result = model.model_validate({} if value is None else value, context=self.context)
        except ValidationError as exc:
            source, data, local = self.joined.locate(loc)
            found = problems_from(exc, model, local, data, source.from_env)
            self.problems.extend(
                Problem((*loc, *p.loc[len(local) :]), p.message, p.line)
                for p in found
                if not source.is_tainted(p.loc)
            )
            return None
        return None if loc and self.joined.is_tainted(loc) else result

    def run(self) -> tuple[Settings | None, tuple[Device, ...]]:
        # `x-...` root keys hold YAML anchors to reuse (`<<: *v3`), as in docker compose.
        rest = {
            k: v
            for k, v in self.data.items()
            if k not in INVENTORY_SECTIONS and not k.startswith(EXTENSION_PREFIX)
        }
        self._check_secret_files(rest, ())
        root = self._validate(Settings, rest, ())
        defaults = self._validate(DefaultsSection, self.data.get("defaults"), ("defaults",))
        groups = self._groups()
        entries = self._devices()
        self._check_profiles_dirs(self.data.get("profiles_dirs"))
        raw_groups = self.data.get("groups")
        devices, problems = build_inventory(
            entries,
            groups,
            defaults,
            refs=self._refs(),
            known_groups=list(raw_groups) if isinstance(raw_groups, Mapping) else (),
            describe=self.joined.describe,
            credentials=root.credentials if root is not None else {},
        )
        self.problems.extend(problems)
        if root is not None:
            names = list(raw_groups) if isinstance(raw_groups, Mapping) else []
            self.problems.extend(reference_problems(root.discovery, root.credentials, names))
        if root is None or defaults is None or self.problems:
            return None, ()
        settings = root.model_copy(
            update={"defaults": defaults, "groups": groups, "devices": [e for _, e in entries]}
        )
        return settings, devices

    def _groups(self) -> dict[str, GroupSection]:
        raw = self.data.get("groups")
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.append(
                Problem(("groups",), "expected a mapping of group name -> group settings")
            )
            return {}
        groups: dict[str, GroupSection] = {}
        for name, value in raw.items():
            if not name or name != name.strip():
                self.problems.append(
                    Problem(("groups", name), f"bad group name {name!r}, expected a plain name")
                )
                continue
            group = self._validate(GroupSection, value, ("groups", name))
            if group is not None:
                groups[name] = group
        return groups

    def _devices(self) -> list[tuple[int, DeviceEntry]]:
        raw = self.data.get("devices")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problems.append(Problem(("devices",), "expected a list of devices (- name: ...)"))
            return []
        entries = []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                self.problems.append(
                    Problem(("devices", index), "expected a device mapping (name, address, ...)")
                )
                continue
            entry = self._validate(DeviceEntry, item, ("devices", index))
            if entry is not None:
                entries.append((index, entry))
        return entries

    def _check_secret_files(self, node: object, loc: Loc) -> None:
        """Sections owned elsewhere keep `*_file` paths as text: check them here, at load."""
        if isinstance(node, Mapping):
            for key, value in node.items():
                if secret_file_stem(str(key)) and isinstance(value, str) and value:
                    try:
                        read_secret_file(value, self.context["base_dir"])
                    except SecretFileError as exc:
                        self.problems.append(Problem((*loc, key), str(exc)))
                else:
                    self._check_secret_files(value, (*loc, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self._check_secret_files(value, (*loc, index))

    def _refs(self) -> list[EntryRef]:
        raw = self.data.get("devices")
        if not isinstance(raw, list):
            return []

        def text(item: Mapping[str, object], key: str) -> str | None:
            value = item.get(key)
            return value if isinstance(value, str) and value else None

        return [
            EntryRef(index, text(item, "name"), text(item, "group"), text(item, "parent"))
            for index, item in enumerate(raw)
            if isinstance(item, Mapping)
        ]

    def _check_profiles_dirs(self, dirs: object) -> None:
        base: Path = self.context["base_dir"]
        if not isinstance(dirs, list):
            return  # reported by the model
        for index, entry in enumerate(dirs):
            if isinstance(entry, str) and not (base / Path(entry).expanduser()).is_dir():
                self.problems.append(
                    Problem(
                        ("profiles_dirs", index),
                        f"profile directory {entry!r} does not exist, expected a directory",
                    )
                )
