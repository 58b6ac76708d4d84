"""YAML with line numbers, so every rule or `alerting:` error names its file and line.

A view over the config loader's reader (`lanpulse.config.sourcemap`) for rule files: the
line of every mapping key and sequence item, addressed by its key path
(`("rules", 0, "below")`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lanpulse.config import sourcemap
from lanpulse.core.errors import ConfigError, ConfigErrors

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A parsed YAML document and the line (1-based) of every key path in it."""

    file: str
    data: object
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            found = self.lines.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """A ConfigError for `path`: `FILE:LINE: key.path: message`."""
        return ConfigError(message, file=self.file, line=self.line(path), key=dotted(path))


def dotted(path: KeyPath) -> str | None:
    """`("rules", 0, "below")` -> `rules[0].below`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or None


def parse_yaml(text: str, file: str, environ: Mapping[str, str] | None = None) -> YamlDoc:
    """Parse `text` (from `file`) keeping line numbers, as the config loader does.

    One YAML reader for the whole project (`lanpulse.config.sourcemap`): `${ENV}`
    references are expanded, duplicate keys and syntax errors are ConfigErrors.
    """
    data, source, problems = sourcemap.parse_yaml(
        text, file, os.environ if environ is None else environ
    )
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)
    return YamlDoc(file=file, data=data, lines=source.lines)


def load_yaml(path: str | Path) -> YamlDoc:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    return parse_yaml(text, str(path))
