"""The shipped default rule packs, merged with the user's rule files.

Each file in `lanpulse/config/rules/` is a pack named after the file. A pack can be switched
off (`alerting.disabled_packs`), a single rule too (`alerting.disabled_rules` or
`enabled: false`), and a user rule with the name of a pack rule overrides it: the keys the
user writes replace the pack's, and a user condition replaces the pack's condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lanpulse.alerts.rules import CLEAR_KEYS, CONDITIONS, RawRule, Rule, build_rule, raw_rules
from lanpulse.alerts.yamlsrc import YamlDoc, load_yaml
from lanpulse.core.errors import ConfigError, ConfigErrors

PACK_DIR = Path(__file__).resolve().parent.parent / "config" / "rules"


def pack_names() -> list[str]:
    """The names of the shipped packs."""
    return sorted(p.stem for p in PACK_DIR.glob("*.yaml"))


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The effective rules, and which packs and user files they came from."""

    rules: tuple[Rule, ...]
    packs: tuple[str, ...]
    files: tuple[str, ...]

    def by_name(self, name: str) -> Rule | None:
        """The rule called `name`, if there is one."""
        return next((r for r in self.rules if r.name == name), None)


def _merge(pack: RawRule, user: RawRule) -> dict[str, object]:
    merged = dict(pack.raw)
    if any(c in user.raw for c in CONDITIONS):
        for key in (*CONDITIONS, *CLEAR_KEYS):
            merged.pop(key, None)
    merged.update(user.raw)
    return merged


def load_rule_set(
    rules_files: Sequence[str],
    *,
    base_dir: Path,
    disabled_packs: Sequence[str] = (),
    disabled_rules: Sequence[str] = (),
    where: YamlDoc | None = None,
    names: frozenset[str] = frozenset(),
) -> RuleSet:
    """Shipped packs (minus disabled ones) plus the user's files, with overrides applied.

    `where` is the config document, so an unknown pack or a missing file names its line;
    `names` are the inventory's label names (templates may use them). Every bad rule is
    reported (ConfigErrors), not just the first.
    """
    errors: list[ConfigError] = []
    known = pack_names()
    for i, name in enumerate(disabled_packs):
        if name not in known:
            err = f"unknown pack {name!r}; shipped packs: {known}"
            if where is not None:
                raise where.error(("alerting", "disabled_packs", i), err)
            raise ConfigError(err, key=f"alerting.disabled_packs[{i}]")
    pack_rules: dict[str, RawRule] = {}
    for name in known:
        if name in disabled_packs:
            continue
        doc = load_yaml(PACK_DIR / f"{name}.yaml")
        for rr in raw_rules(doc, pack=name):
            pack_rules[str(rr.raw["name"])] = rr
    user_rules: dict[str, RawRule] = {}
    for i, rel in enumerate(rules_files):
        path = Path(rel) if Path(rel).is_absolute() else base_dir / rel
        if not path.is_file():
            err = f"rules file {str(path)!r} does not exist"
            if where is not None:
                raise where.error(("alerting", "rules_files", i), err)
            raise ConfigError(err, key=f"alerting.rules_files[{i}]")
        doc = load_yaml(path)
        for rr in raw_rules(doc):
            name = str(rr.raw.get("name"))
            if name in user_rules:
                first = user_rules[name]
                errors.append(
                    doc.error(
                        (*rr.path, "name"),
                        f"duplicate rule {name!r} (first defined at "
                        f"{first.doc.file}:{first.doc.line(first.path)})",
                    )
                )
                continue
            user_rules[name] = rr
    effective: list[Rule] = []
    for name, rr in pack_rules.items():
        user = user_rules.pop(name, None)
        try:
            if user is None:
                rule = build_rule(rr.doc, rr.path, rr.raw, rr.pack, names)
                enabled = rr.raw.get("enabled", True)
            else:
                merged = _merge(rr, user)
                rule = build_rule(user.doc, user.path, merged, rr.pack, names)
                enabled = merged.get("enabled", True)
        except ConfigError as exc:
            errors.append(exc)
            continue
        if enabled is not False and rule.name not in disabled_rules:
            effective.append(rule)
    for name, rr in user_rules.items():
        try:
            rule = build_rule(rr.doc, rr.path, rr.raw, names=names)
        except ConfigError as exc:
            errors.append(exc)
            continue
        if rr.raw.get("enabled", True) is not False and name not in disabled_rules:
            effective.append(rule)
    if errors:
        raise ConfigErrors(errors)
    return RuleSet(
        rules=tuple(effective),
        packs=tuple(n for n in known if n not in disabled_packs),
        files=tuple(str(f) for f in rules_files),
    )
