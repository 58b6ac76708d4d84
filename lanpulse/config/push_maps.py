"""Load push mapping data (`lanpulse/config/push/*.yaml`): errors name file, line and key."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from lanpulse.config.sourcemap import Problem, parse_yaml, to_config_error
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.push_map import MeasurementMapping, PushMap

BUILTIN_DIR = Path(__file__).parent / "push"


def load_push_maps(extra_dirs: Iterable[Path] = ()) -> PushMap:
    """The shipped mappings, then those of `extra_dirs` (a measurement defined again there
    replaces the shipped one); ConfigErrors listing every problem."""
    merged: dict[str, list[MeasurementMapping]] = {}
    errors = []
    for directory in (BUILTIN_DIR, *extra_dirs):
        for path in sorted(Path(directory).glob("*.yaml")):
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                errors.append(ConfigError(f"cannot read: {exc.strerror}", file=str(path)))
                continue
            data, source, problems = parse_yaml(text, str(path), {})
            errors.extend(problems)
            if problems:
                continue
            try:
                loaded = PushMap.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
                    message = err["msg"].removeprefix("Value error, ")
                    errors.append(to_config_error(Problem(loc, message), source, data))
                continue
            merged.update(loaded.measurements)
    if errors:
        raise ConfigErrors(errors)
    return PushMap(measurements=merged)
