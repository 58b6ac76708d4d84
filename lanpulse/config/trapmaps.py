"""Load trap maps (`lanpulse/config/traps/*.yaml`, plus `traps.maps_dirs`), like profiles.

A file is `traps: {EVENT: {oid, severity, tags, fields, message, ...}}` (see core/trapmap.py).
A later directory's map of the same OID replaces an earlier one, so a site can re-map a
shipped trap; the same OID twice in one directory is an error. Every problem is reported at
once, one line each with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from lanpulse.config.sourcemap import Problem, parse_yaml, to_config_error
from lanpulse.config.validation import problems_from
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.trapmap import TrapMap, TrapMapSet

BUILTIN_DIR = Path(__file__).parent / "traps"


def load_trap_maps(extra_dirs: Iterable[str | Path] = ()) -> TrapMapSet:
    """The shipped maps overridden by the user's directories; ConfigErrors listing problems."""
    maps: dict[str, TrapMap] = {}
    errors: list[ConfigError] = []
    for directory in [BUILTIN_DIR, *map(Path, extra_dirs)]:
        if not directory.is_dir():
            errors.append(ConfigError("trap map directory does not exist", file=str(directory)))
            continue
        seen: dict[str, str] = {}
        for path in sorted(directory.glob("*.yaml")):
            for trap_map in _read_file(path, errors):
                where = f"{path.name} ({trap_map.event})"
                if trap_map.oid in seen:
                    errors.append(
                        ConfigError(
                            f"OID {trap_map.oid} is already mapped by {seen[trap_map.oid]}, "
                            "expected each OID once per directory",
                            file=str(path),
                            key=f"traps.{trap_map.event}",
                        )
                    )
                seen[trap_map.oid] = where
                maps[trap_map.oid] = trap_map
    if errors:
        raise ConfigErrors(errors)
    return TrapMapSet(list(maps.values()))


def _read_file(path: Path, errors: list[ConfigError]) -> list[TrapMap]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ConfigError(f"cannot read the file ({exc}), expected YAML", file=name))
        return []
    data, source, problems = parse_yaml(text, name, {})
    errors.extend(problems)
    if problems or data is None:
        return []
    expected = "expected a mapping `traps: {EVENT: {oid: ..., severity: ...}}`"
    if not isinstance(data, dict) or set(data) != {"traps"} or not isinstance(data["traps"], dict):
        errors.append(to_config_error(Problem((), expected), source, data))
        return []
    out: list[TrapMap] = []
    for event, body in data["traps"].items():
        loc = ("traps", event)
        if not isinstance(body, dict):
            errors.append(to_config_error(Problem(loc, expected), source, data))
            continue
        try:
            out.append(TrapMap.model_validate({**body, "event": event, "source_file": name}))
        except ValidationError as exc:
            found = problems_from(exc, TrapMap, loc, data, source.from_env)
            errors.extend(to_config_error(p, source, data) for p in found)
    return out


# One per process, on purpose: the shipped maps are read-only package data that no
# configuration changes; the user's `maps_dirs` are loaded per config and dropped on reload.
@lru_cache(maxsize=1)
def builtin_trap_maps() -> TrapMapSet:
    """The shipped trap maps, loaded once per process."""
    return load_trap_maps()
