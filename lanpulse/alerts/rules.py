"""Alert rules: the typed model and its loading from YAML, validated against the schema.

A rule watches one field of one canonical measurement, optionally narrowed by tag matchers
(equality, alternatives, regex) and by guards on other fields of the same sample. Every
mistake is a ConfigError naming the file, line and key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from lanpulse.alerts.predictive_rules import PREDICTION, Prediction, predictive_condition
from lanpulse.alerts.template import ENGINE_NAMES, unknown_names
from lanpulse.alerts.yamlsrc import KeyPath, YamlDoc

# parse_duration is re-exported: the rules, the CLI and the API read durations alike.
from lanpulse.config.durations import parse_duration as parse_duration
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.schema import MEASUREMENTS

Condition = Literal["above", "below", "equal", "not_equal", "absent"]
CONDITIONS: tuple[str, ...] = ("above", "below", "equal", "not_equal", "absent")
CLEAR_KEYS: tuple[str, ...] = ("clear_below", "clear_above")
SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")

DEFAULT_SUMMARY = "{rule} on {device}: {field} is {value}"
RULE_KEYS = frozenset(
    {
        "name",
        "measurement",
        "field",
        *CONDITIONS,
        *CLEAR_KEYS,
        "for",
        "severity",
        "match",
        "match_re",
        "when",
        "only_after_ok",
        "labels",
        "summary",
        "description",
        "runbook_url",
        "enabled",
        "timeleft",
        "forecast",
    }
)

_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated alert rule."""

    name: str
    measurement: str
    field: str
    condition: Condition
    threshold: float | None  # None only for `absent`
    clear: float | None = None  # hysteresis: clear_below for above, clear_above for below
    for_s: float = 0.0
    severity: str = "warning"
    match: tuple[tuple[str, frozenset[str]], ...] = ()
    match_re: tuple[tuple[str, str], ...] = ()
    when: tuple[tuple[str, float], ...] = ()
    only_after_ok: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    summary: str = DEFAULT_SUMMARY
    description: str = ""
    runbook_url: str = ""  # a link for the person paged (an annotation in every receiver)
    pack: str | None = None
    source: str = ""  # FILE:LINE of the rule, for `alerts test` and error messages
    # `timeleft:` / `forecast:` rules: what reports/predictive.py fits (alerts/predictive_rules.py)
    prediction: Prediction | None = None

    def describe_condition(self) -> str:
        """The condition in words, e.g. `level_pct below 10 (clears above 15) for 0s`."""
        if self.condition == "absent":
            return f"{self.measurement}.{self.field} absent for {self.for_s:g}s"
        text = f"{self.measurement}.{self.field} {self.condition.replace('_', ' ')} "
        text += f"{self.threshold:g}"
        if self.clear is not None:
            side = "below" if self.condition == "above" else "above"
            text += f" (clears {side} {self.clear:g})"
        return text + f" for {self.for_s:g}s"


def _number(doc: YamlDoc, path: KeyPath, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise doc.error(path, f"expected a number, got {value!r}")
    return float(value)


def _str_map(doc: YamlDoc, path: KeyPath, value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise doc.error(path, f"expected a mapping, got {type(value).__name__}")
    return value


def build_rule(
    doc: YamlDoc,
    path: KeyPath,
    raw: Mapping[str, object],
    pack: str | None = None,
    names: frozenset[str] = frozenset(),
) -> Rule:
    """Validate one raw rule mapping (at `path` in `doc`) into a Rule."""
    for key in raw:
        if key not in RULE_KEYS:
            raise doc.error((*path, key), f"unknown rule key; expected one of {sorted(RULE_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise doc.error((*path, "name"), "expected a rule name of letters, digits and _")
    measurement = raw.get("measurement")
    spec = MEASUREMENTS.get(measurement) if isinstance(measurement, str) else None
    if spec is None:
        raise doc.error(
            (*path, "measurement"),
            f"unknown measurement {measurement!r}; expected one of {sorted(MEASUREMENTS)}",
        )
    predictive = None
    if "timeleft" in raw or "forecast" in raw:
        if any(k in raw for k in ("field", "when", *CONDITIONS)):
            raise doc.error(path, "a `timeleft`/`forecast` rule has its field and limit inside it")
        predictive = predictive_condition(doc, path, raw, spec.name)
    fname = predictive.field if predictive else raw.get("field")
    numeric = sorted(f for f, fs in spec.fields.items() if fs.kind != "text")
    if not predictive and (not isinstance(fname, str) or fname not in numeric):
        raise doc.error(
            (*path, "field"),
            f"unknown field {fname!r} of {measurement}; expected one of {numeric}",
        )
    assert isinstance(fname, str)
    conds = [predictive.condition] if predictive else [c for c in CONDITIONS if c in raw]
    if len(conds) != 1:
        raise doc.error(path, f"expected exactly one condition of {list(CONDITIONS)}")
    condition: Condition = conds[0]  # type: ignore[assignment]
    threshold: float | None = predictive.threshold if predictive else None
    if condition == "absent":
        if raw["absent"] is not True:
            raise doc.error((*path, "absent"), "expected `absent: true`")
    elif predictive is None:
        threshold = _number(doc, (*path, condition), raw[condition])
    clear: float | None = None
    for ckey, needs, ok in (
        ("clear_below", "above", lambda c, t: c <= t),
        ("clear_above", "below", lambda c, t: c >= t),
    ):
        if ckey in raw:
            if condition != needs:
                raise doc.error((*path, ckey), f"{ckey} only goes with `{needs}`")
            clear = _number(doc, (*path, ckey), raw[ckey])
            if not ok(clear, threshold):
                side = "at or below" if needs == "above" else "at or above"
                raise doc.error(
                    (*path, ckey), f"expected a value {side} the `{needs}` threshold {threshold:g}"
                )
    try:
        for_s = parse_duration(raw.get("for", 0))
    except ValueError as exc:
        raise doc.error((*path, "for"), str(exc)) from None
    if condition == "absent" and for_s <= 0:
        raise doc.error((*path, "for"), "an `absent` rule needs a `for` duration")
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise doc.error((*path, "severity"), f"expected one of {list(SEVERITIES)}")
    match: list[tuple[str, frozenset[str]]] = []
    for tag, value in _str_map(doc, (*path, "match"), raw.get("match", {})).items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str | int) and v != "" for v in values):
            raise doc.error((*path, "match", tag), "expected a tag value or a list of them")
        match.append((tag, frozenset(str(v) for v in values)))
    if predictive:  # each predictive rule sees only its own `prediction` samples
        match.append(("rule", frozenset({name})))
    match_re: list[tuple[str, str]] = []
    for tag, value in _str_map(doc, (*path, "match_re"), raw.get("match_re", {})).items():
        try:
            re.compile(str(value))
        except re.error as exc:
            raise doc.error((*path, "match_re", tag), f"invalid regex: {exc}") from None
        match_re.append((tag, str(value)))
    when: list[tuple[str, float]] = []
    for wfield, value in _str_map(doc, (*path, "when"), raw.get("when", {})).items():
        if wfield not in numeric:
            raise doc.error((*path, "when", wfield), f"unknown field {wfield!r} of {measurement}")
        when.append((wfield, _number(doc, (*path, "when", wfield), value)))
    labels = _str_map(doc, (*path, "labels"), raw.get("labels", {}))
    known = spec.required_tags | spec.optional_tags | frozenset(labels) | names
    for key in ("summary", "description", "runbook_url"):
        if key in raw and not isinstance(raw[key], str):
            raise doc.error((*path, key), "expected a text template")
        unknown = unknown_names(str(raw.get(key, "")), known)
        if unknown:
            raise doc.error(
                (*path, key),
                f"unknown template field {{{unknown[0]}}}; expected one of "
                f"{', '.join(sorted(known | ENGINE_NAMES))}",
            )
    only_after_ok = raw.get("only_after_ok", False)
    if not isinstance(only_after_ok, bool):
        raise doc.error((*path, "only_after_ok"), "expected true or false")
    line = doc.line(path)
    default_summary = predictive.summary if predictive else DEFAULT_SUMMARY
    return Rule(
        name=name,
        measurement=PREDICTION if predictive else spec.name,
        field=fname,
        condition=condition,
        threshold=threshold,
        clear=clear,
        for_s=for_s,
        severity=str(severity),
        match=tuple(match),
        match_re=tuple(match_re),
        when=tuple(when),
        only_after_ok=only_after_ok,
        labels=tuple((str(k), str(v)) for k, v in labels.items()),
        summary=str(raw.get("summary", default_summary)),
        description=str(raw.get("description", "")),
        runbook_url=str(raw.get("runbook_url", "")),
        pack=pack,
        source=f"{doc.file}:{line}" if line else doc.file,
        prediction=predictive.prediction if predictive else None,
    )


@dataclass(frozen=True, slots=True)
class RawRule:
    """A rule mapping as written, with where it came from (for overrides and errors)."""

    doc: YamlDoc
    path: KeyPath
    raw: Mapping[str, object]
    pack: str | None


def raw_rules(doc: YamlDoc, pack: str | None = None) -> list[RawRule]:
    """The rule mappings of a rules file (`rules: [...]`), checked for shape only."""
    data = doc.data
    if data is None:
        return []
    if not isinstance(data, dict):
        raise doc.error((), "expected a mapping with a `rules:` list")
    for key in data:
        if key not in ("rules", "pack"):
            raise doc.error((key,), "unknown key; expected `rules` (and optionally `pack`)")
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise doc.error(("rules",), "expected a list of rules")
    out: list[RawRule] = []
    for i, raw in enumerate(rules):
        if not isinstance(raw, dict):
            raise doc.error(("rules", i), "expected a rule mapping")
        out.append(RawRule(doc, ("rules", i), raw, pack))
    return out


def load_rules(doc: YamlDoc, pack: str | None = None) -> list[Rule]:
    """Every enabled rule of one rules file; ConfigErrors listing every bad rule."""
    seen: dict[str, int | None] = {}
    rules: list[Rule] = []
    errors: list[ConfigError] = []
    for rr in raw_rules(doc, pack):
        try:
            rule = build_rule(doc, rr.path, rr.raw, pack)
            if rule.name in seen:
                raise doc.error((*rr.path, "name"), f"duplicate rule {rule.name!r}")
        except ConfigError as exc:
            errors.append(exc)
            continue
        seen[rule.name] = doc.line(rr.path)
        if rr.raw.get("enabled", True) is not False:
            rules.append(rule)
    if errors:
        raise ConfigErrors(errors)
    return rules
