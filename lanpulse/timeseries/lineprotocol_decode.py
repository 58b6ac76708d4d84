"""Decoding InfluxDB line protocol back into `Sample`s: tests, `lanpulse spool` tools.

The inverse of `lineprotocol.encode_sample` for what it writes (numbers, and the string
fields of `event` samples).
"""

from __future__ import annotations

import re

from lanpulse.core.model import FieldValue, Sample

_STRING_ESCAPE = re.compile(r'\\([\\"])')


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is not preceded by an escaping backslash nor inside a quoted
    string field value."""
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    quoted = False
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _unescape(text: str) -> str:
    """Undo `_escape` the way InfluxDB 2.x does: `\\x` -> `x` for the escapable characters."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in ", =\\":
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _parse_field(literal: str) -> FieldValue:
    if len(literal) >= 2 and literal[0] == '"' and literal[-1] == '"':
        return _STRING_ESCAPE.sub(r"\1", literal[1:-1])
    if literal.endswith("i"):
        return int(literal[:-1])
    if literal in ("t", "T", "true", "True", "TRUE"):
        return 1
    if literal in ("f", "F", "false", "False", "FALSE"):
        return 0
    return float(literal)


def decode_line(line: str) -> Sample:
    """Parse one line of line protocol back into a `Sample`."""
    sections = _split_unescaped(line.strip(), " ")
    sections = [s for s in sections if s]
    if len(sections) not in (2, 3):
        raise ValueError(f"not a line-protocol point: {line[:80]!r}")
    key_parts = _split_unescaped(sections[0], ",")
    measurement = _unescape(key_parts[0])
    tags: dict[str, str] = {}
    for pair in key_parts[1:]:
        kv = _split_unescaped(pair, "=")
        if len(kv) != 2:
            raise ValueError(f"bad tag {pair!r} in {line[:80]!r}")
        tags[_unescape(kv[0])] = _unescape(kv[1])
    fields: dict[str, FieldValue] = {}
    for pair in _split_unescaped(sections[1], ","):
        kv = _split_unescaped(pair, "=")
        if len(kv) != 2:
            raise ValueError(f"bad field {pair!r} in {line[:80]!r}")
        fields[_unescape(kv[0])] = _parse_field(kv[1])
    time_ns = int(sections[2]) if len(sections) == 3 else 0
    return Sample(measurement=measurement, tags=tags, fields=fields, time_ns=time_ns)


def decode_lines(data: bytes) -> list[Sample]:
    """Parse newline-separated line protocol, skipping blank lines and `#` comments."""
    samples: list[Sample] = []
    for raw in data.decode().split("\n"):
        if raw.strip() and not raw.lstrip().startswith("#"):
            samples.append(decode_line(raw))
    return samples
