"""Summary and description templates: `{device}`, `{value}`, any tag, nothing else.

Only plain names are substituted (no attribute or index access, so a template cannot reach
into objects), and a name that is not known stays visible as written instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@lru_cache(maxsize=1024)
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
            out.append("{" + text + "}")
        elif isinstance(value, float | int) and not isinstance(value, bool):
            out.append(format_value(value))
        else:
            out.append(str(value))
    return "".join(out)
