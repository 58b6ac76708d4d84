"""Read the `grafana:` section of a lanpulse YAML file, with file:line in every error.

TODO(lead): this is the swappable stand-in until the configuration loader is on main;
replace `load_grafana_settings` by `load_config(path).settings.grafana` there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lanpulse.config.grafana import GrafanaSettings
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.yaml_bounds import compose_yaml, load_plain_yaml

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_grafana_settings(path: str | Path) -> GrafanaSettings:
    """The validated `grafana:` section of the YAML file at `path`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    root = compose_yaml(text, name)
    data = load_plain_yaml(text, name)
    if not isinstance(data, dict) or not isinstance(data.get("grafana"), dict):
        raise ConfigError(
            "no grafana: section, expected one with url, credentials and datasource",
            file=name,
            key="grafana",
        )
    section = _expand_env(data["grafana"], name, root)
    try:
        return GrafanaSettings.model_validate(section)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = ("grafana", *(str(p) for p in err["loc"]))
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "required key is missing"
            errors.append(ConfigError(message, file=name, line=_line(root, loc), key=".".join(loc)))
        raise ConfigErrors(errors) from None


def _expand_env(value: Any, name: str, root: yaml.Node | None, loc: tuple[str, ...] = ()) -> Any:
    """`${NAME}` in strings replaced by the environment variable (an unset one is an error)."""
    if isinstance(value, dict):
        return {k: _expand_env(v, name, root, (*loc, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, name, root, loc) for v in value]
    if isinstance(value, str):

        def env(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                key = ".".join(("grafana", *loc))
                line = _line(root, ("grafana", *loc))
                raise ConfigError(
                    f"environment variable {var} is not set, expected it to be exported",
                    file=name,
                    line=line,
                    key=key,
                )
            return os.environ[var]

        return _ENV.sub(env, value)
    return value


def _line(root: yaml.Node | None, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of the deepest key of `loc` found in the YAML node tree."""
    node = root
    line: int | None = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key, child in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                line = key.start_mark.line + 1
                node = child
                break
        else:
            break
    return line
