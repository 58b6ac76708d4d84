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
from lanpulse.core.errors import ConfigError

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
) -> RuleSet:
    """Shipped packs (minus disabled ones) plus the user's files, with overrides applied.

    `where` is the config document, so an unknown pack or a missing file names its line.
    """
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
                raise doc.error(
                    (*rr.path, "name"),
                    f"duplicate rule {name!r} (first defined at "
                    f"{first.doc.file}:{first.doc.line(first.path)})",
                )
            user_rules[name] = rr
    effective: list[Rule] = []
    for name, rr in pack_rules.items():
        user = user_rules.pop(name, None)
        if user is None:
            rule = build_rule(rr.doc, rr.path, rr.raw, rr.pack)
            enabled = rr.raw.get("enabled", True)
        else:
            merged = _merge(rr, user)
            rule = build_rule(user.doc, user.path, merged, rr.pack)
            enabled = merged.get("enabled", True)
        if enabled is not False and rule.name not in disabled_rules:
            effective.append(rule)
    for name, rr in user_rules.items():
        rule = build_rule(rr.doc, rr.path, rr.raw)
        if rr.raw.get("enabled", True) is not False and name not in disabled_rules:
            effective.append(rule)
    return RuleSet(
        rules=tuple(effective),
        packs=tuple(n for n in known if n not in disabled_packs),
        files=tuple(str(f) for f in rules_files),
    )
