"""Read the `grafana:` section of a lanpulse YAML file, with file:line in every error.

TODO(lead): this is the swappable stand-in until the configuration loader is on main;
replace `load_grafana_settings` by `load_config(path).settings.grafana` there.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from lanpulse.config.grafana import GrafanaSettings
from lanpulse.config.sourcemap import Problem, read_yaml, to_config_error
from lanpulse.core.errors import ConfigError, ConfigErrors

SECTION = "grafana"


class NoGrafanaSection(ConfigError):
    """The file has no `grafana:` section (`dashboards export` then reads `influxdb:`)."""


def load_grafana_settings(path: str | Path) -> GrafanaSettings:
    """The validated `grafana:` section of the YAML file at `path`.

    The file is read like the configuration (config/sourcemap.py: lines of every key path,
    `${ENV}` in values, duplicate keys); only problems inside `grafana:` are reported, so an
    unset variable elsewhere in a full lanpulse.yaml does not stop the dashboards.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    data, source, problems = read_yaml(text, name, os.environ)
    section = data.get(SECTION) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise NoGrafanaSection(
            "no grafana: section, expected one with url, credentials and datasource",
            file=name,
            key=SECTION,
        )
    ours = [p for p in problems if p.loc[:1] == (SECTION,)]
    if ours:
        raise ConfigErrors([to_config_error(p, source, data) for p in ours])
    try:
        return GrafanaSettings.model_validate(section)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "required key is missing"
            problem = Problem((SECTION, *err["loc"]), message)
            errors.append(to_config_error(problem, source, data))
        raise ConfigErrors(errors) from None
