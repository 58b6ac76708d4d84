"""The `alerting:` section with its effective rules, with file:line errors.

The daemon takes the section the config loader already validated (`alerting_config_of`);
the `lanpulse alerts ...` commands, which need nothing else of the file, read just this
section (`load_alerting_config`). Both load the rules the same way (`_with_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from lanpulse.alerts.packs import RuleSet, load_rule_set
from lanpulse.alerts.yamlsrc import KeyPath, YamlDoc, load_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.config.settings import LoadedConfig
from lanpulse.core.errors import ConfigErrors


@dataclass(frozen=True, slots=True)
class AlertingConfig:
    """The validated `alerting:` section, where it came from, and its effective rules."""

    settings: AlertingSettings
    base_dir: Path
    doc: YamlDoc | None
    rules: RuleSet


def settings_errors(exc: ValidationError, doc: YamlDoc, prefix: KeyPath) -> ConfigErrors:
    """Pydantic errors as `FILE:LINE: key.path: message` ConfigErrors."""
    errors = []
    for err in exc.errors():
        loc: KeyPath = tuple(p for p in err["loc"] if isinstance(p, str | int))
        # Field aliases: the user wrote `from` and `continue`.
        loc = tuple({"from_": "from", "continue_": "continue"}.get(str(p), p) for p in loc)
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        errors.append(doc.error((*prefix, *loc), message))
    return ConfigErrors(errors)


def parse_alerting(doc: YamlDoc, base_dir: Path | None = None) -> AlertingSettings:
    """The `alerting:` section of a parsed config document (absent: all defaults); with
    `base_dir`, its relative paths are taken from there (config/paths.py's one rule)."""
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise doc.error((), "expected a mapping at the top of the config")
    section = data.get("alerting", {})
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise doc.error(("alerting",), "expected a mapping")
    try:
        context = {"base_dir": base_dir} if base_dir is not None else None
        return AlertingSettings.model_validate(section, context=context)
    except ValidationError as exc:
        raise settings_errors(exc, doc, ("alerting",)) from None


def label_names(data: object) -> frozenset[str]:
    """The inventory's label names (defaults, groups, devices): tags rule templates may use."""
    if not isinstance(data, dict):
        return frozenset()
    entries: list[object] = [data.get("defaults")]
    groups = data.get("groups")
    entries += list(groups.values()) if isinstance(groups, dict) else []
    devices = data.get("devices")
    entries += devices if isinstance(devices, list) else []
    names: set[str] = {"group", "parent"}
    for entry in entries:
        labels = entry.get("labels") if isinstance(entry, dict) else None
        if isinstance(labels, dict):
            names.update(str(k) for k in labels)
    return frozenset(names)


def load_alerting_config(path: str | Path) -> AlertingConfig:
    """Read `path`, validate its `alerting:` section and load every rule it names."""
    doc = load_yaml(path)
    base_dir = Path(path).resolve().parent
    return _with_rules(parse_alerting(doc, base_dir), base_dir, doc)


def alerting_config_of(loaded: LoadedConfig) -> AlertingConfig:
    """The `alerting:` section of a loaded config (validated once, by the loader) with every
    rule it names."""
    doc = YamlDoc(file=loaded.path, data=loaded.document, lines=loaded.lines)
    return _with_rules(loaded.settings.alerting, loaded.base_dir, doc)


def _with_rules(settings: AlertingSettings, base_dir: Path, doc: YamlDoc) -> AlertingConfig:
    every = load_rule_set(
        settings.rules_files,
        base_dir=base_dir,
        disabled_packs=settings.disabled_packs,
        where=doc,
        names=label_names(doc.data),
    )
    known = {r.name for r in every.rules}
    for i, name in enumerate(settings.disabled_rules):
        if name not in known:
            raise doc.error(("alerting", "disabled_rules", i), f"unknown rule {name!r}")
    rules = RuleSet(
        rules=tuple(r for r in every.rules if r.name not in settings.disabled_rules),
        packs=every.packs,
        files=every.files,
    )
    return AlertingConfig(settings=settings, base_dir=base_dir, doc=doc, rules=rules)
