"""Label matchers as Alertmanager writes them (`=`, `!=`, `=~`, `!~`, regexes anchored).

In core because three layers read them: route settings (config), silences and routing
(alerts), and the API (web).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# `rule` is what people type; Alertmanager and receivers see the rule as `alertname`.
LABEL_ALIASES = {"rule": "alertname"}
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher, in Alertmanager API v2's shape (name, value, isRegex, isEqual)."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this matcher (a missing label is the empty string)."""
        got = labels.get(self.name, "")
        hit = re.fullmatch(self.value, got) is not None if self.is_regex else got == self.value
        return hit == self.is_equal

    def text(self) -> str:
        """`name=value`, `name!~regex`, ..."""
        op = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}
        return f"{self.name}{op[(self.is_regex, self.is_equal)]}{self.value}"

    def to_api(self) -> dict[str, Any]:
        """Alertmanager API v2 JSON."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }


def parse_matcher(text: str) -> Matcher:
    """`device=floor2-printer`, `class!=printer`, `device=~floor2-.*`; ValueError otherwise."""
    m = _MATCHER.match(text)
    if m is None:
        raise ValueError(f"expected LABEL=VALUE (or !=, =~, !~), got {text!r}")
    name, op, value = m.groups()
    value = value.strip("\"'")
    if "~" in op:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{name}: invalid regular expression {value!r}: {exc}") from None
    return Matcher(LABEL_ALIASES.get(name, name), value, "~" in op, op in ("=", "=~"))


def parse_matchers(items: Iterable[str]) -> tuple[Matcher, ...]:
    """Matchers from `a=b,c=~d` texts (each item may hold several, comma-separated)."""
    out = [parse_matcher(part) for item in items for part in item.split(",") if part.strip()]
    if not out:
        raise ValueError("expected at least one matcher such as device=floor2-printer")
    return tuple(out)


def matcher_from_api(data: Mapping[str, Any]) -> Matcher:
    """A matcher from Alertmanager-style JSON; ValueError when malformed."""
    name, value = data.get("name"), data.get("value")
    if not isinstance(name, str) or not isinstance(value, str) or not name:
        raise ValueError("a matcher needs a string name and value")
    return Matcher(
        LABEL_ALIASES.get(name, name),
        value,
        bool(data.get("isRegex", False)),
        bool(data.get("isEqual", True)),
    )
