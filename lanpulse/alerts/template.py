"""Summary and description templates: `{device}`, `{value}`, any tag, nothing else.

Only plain names are substituted (no attribute or index access, so a template cannot reach
into objects). A name no sample can have (`{devise}`) is an error when the rule is loaded
(`unknown_names`); a known optional value the series lacks (`{if_alias}`) renders empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


# No cache: templates are rendered per alert event (a few per minute, not per sample), and
# splitting one costs a few microseconds.
def _parts(template: str) -> tuple[tuple[bool, str], ...]:
    parts: list[tuple[bool, str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append((False, template[pos : m.start()]))
        token = m.group(0)
        if token in ("{{", "}}"):
            parts.append((False, token[0]))
        else:
            parts.append((True, m.group(1)))
        pos = m.end()
    parts.append((False, template[pos:]))
    return tuple(p for p in parts if p[1])


def format_value(value: float | int | None) -> str:
    """A field value for people: integers without a decimal point, others to 2 places."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render(template: str, variables: Mapping[str, object]) -> str:
    """`template` with every known `{name}` replaced; unknown names are left as written."""
    out: list[str] = []
    for is_name, text in _parts(template):
        if not is_name:
            out.append(text)
            continue
        value = variables.get(text)
        if value is None:
            continue
        elif isinstance(value, float | int) and not isinstance(value, bool):
            out.append(format_value(value))
        else:
            out.append(str(value))
    return "".join(out)


# What the engine itself offers every template, beyond the series' tags and labels.
ENGINE_NAMES = frozenset(
    {
        "device",
        "class",
        "vendor",
        "model",
        "rule",
        "severity",
        "field",
        "value",
        "threshold",
        "for",
        "behind",
        "behind_devices",
    }
)


def unknown_names(template: str, known: frozenset[str]) -> list[str]:
    """The `{names}` of `template` that are neither engine values nor in `known`."""
    return [
        text
        for is_name, text in _parts(template)
        if is_name and text not in ENGINE_NAMES and text not in known
    ]
