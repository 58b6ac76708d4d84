"""`inventory: [files or globs]`: devices kept in other YAML files, added to `devices:`.

Each included file holds `devices:` (nothing else), typically written by `lanpulse
discover`. Its devices join the main list after the main file's own, so one validation pass
checks names, groups and parents across all files; `IncludedInventory.locate` maps a key
path of the joined list back to the file and line where the device was written.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lanpulse.config.sourcemap import Loc, Problem, SourceMap, parse_yaml, to_config_error
from lanpulse.core.errors import ConfigError

_GLOB_CHARS = frozenset("*?[")
FILE_EXPECTED = "expected a YAML file with a `devices:` list"


@dataclass(frozen=True, slots=True)
class _Part:
    offset: int  # index in the joined `devices:` of this file's first device
    count: int
    source: SourceMap
    data: dict[str, object]


@dataclass(slots=True)
class IncludedInventory:
    """The main document plus the included files' devices, with where each came from."""

    main: SourceMap
    main_data: object
    parts: list[_Part] = field(default_factory=list)

    def locate(self, loc: Loc) -> tuple[SourceMap, object, Loc]:
        """The source, document and local key path of a key path in the joined document."""
        if len(loc) > 1 and loc[0] == "devices" and isinstance(loc[1], int):
            for part in self.parts:
                if part.offset <= loc[1] < part.offset + part.count:
                    return part.source, part.data, ("devices", loc[1] - part.offset, *loc[2:])
        return self.main, self.main_data, loc

    def error(self, problem: Problem) -> ConfigError:
        """The problem as a one-line error naming the file it was written in."""
        source, data, loc = self.locate(problem.loc)
        return to_config_error(Problem(loc, problem.message, problem.line), source, data)

    def describe(self, loc: Loc) -> str:
        """'line N' in the main file, 'FILE line N' in an included one."""
        source, _, local = self.locate(loc)
        line = f"line {source.line_for(local)}"
        return line if source is self.main else f"{source.file} {line}"

    def is_tainted(self, loc: Loc) -> bool:
        """True when the key path was already reported while reading its file."""
        source, _, local = self.locate(loc)
        return source.is_tainted(local)

    def from_env(self, loc: Loc) -> bool:
        """True when the value came from `${ENV}` (never echoed)."""
        source, _, local = self.locate(loc)
        return local in source.from_env


def include_inventory(
    data: dict[str, object],
    source: SourceMap,
    base_dir: Path,
    environ: Mapping[str, str],
) -> tuple[IncludedInventory, list[ConfigError]]:
    """Append the devices of every `inventory:` file to `data["devices"]` (in place)."""
    joined = IncludedInventory(source, data)
    patterns = data.get("inventory")
    if not isinstance(patterns, list):
        return joined, []  # absent, or reported by the model
    errors: list[ConfigError] = []
    devices = data.get("devices")
    if devices is None:
        devices = data["devices"] = []
    if not isinstance(devices, list):
        return joined, []  # reported by the checker
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, str):
            continue
        line = source.line_for(("inventory", index))
        for path in _expand(pattern, base_dir, source.file, line, errors):
            part, problems = _read(path, len(devices), environ)
            errors.extend(problems)
            if part is not None:
                devices.extend(part.data["devices"])  # type: ignore[arg-type]
                joined.parts.append(part)
    return joined, errors


def _expand(
    pattern: str, base_dir: Path, file: str, line: int | None, errors: list[ConfigError]
) -> list[Path]:
    full = base_dir / Path(pattern).expanduser()
    if _GLOB_CHARS & set(pattern):
        return sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
    if not full.is_file():
        errors.append(
            ConfigError(
                f"inventory file {pattern!r} does not exist, {FILE_EXPECTED} "
                "(or a glob such as inventory/*.yaml, which may match nothing)",
                file=file,
                line=line,
                key="inventory",
            )
        )
        return []
    return [full]


def _read(
    path: Path, offset: int, environ: Mapping[str, str]
) -> tuple[_Part | None, list[ConfigError]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return None, [ConfigError(f"cannot read the file ({reason}), {FILE_EXPECTED}", file=name)]
    data, source, errors = parse_yaml(text, name, environ)
    if errors:
        return None, errors
    if data is None:
        data = {}
    if isinstance(data, dict) and data.get("devices") is None:
        data["devices"] = []
    if not isinstance(data, dict) or not isinstance(data["devices"], list):
        return None, [ConfigError(FILE_EXPECTED, file=name, line=source.line_for(()))]
    extra = sorted(set(data) - {"devices"})
    if extra:
        return None, [
            ConfigError(
                f"unexpected key {extra[0]!r}, {FILE_EXPECTED} (nothing else)",
                file=name,
                line=source.line_for((extra[0],)),
            )
        ]
    devices = data["devices"]
    assert isinstance(devices, list)
    return _Part(offset, len(devices), source, data), []
