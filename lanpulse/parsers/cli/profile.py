"""CLI profiles: per platform, the commands to run and how parsed columns become samples.

A profile is YAML data in `lanpulse/config/profiles/cli/<platform>.yaml`; this module reads
it into frozen records and reports every mistake as one line naming file and key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lanpulse.core.errors import ConfigError
from lanpulse.core.schema import MEASUREMENTS
from lanpulse.core.yaml_bounds import load_plain_yaml
from lanpulse.parsers.cli.convert import CONVERTERS

PROFILE_DIR = Path(__file__).resolve().parents[2] / "config" / "profiles" / "cli"
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
OPS = ("difference", "ratio_pct", "complement_pct", "sum", "used_pct_from_free")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How one canonical field is computed from a parsed row."""

    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()  # inputs of `op`
    # difference (a-b), ratio_pct (a/b*100), complement_pct (100-a), sum,
    # used_pct_from_free ((a-b)/a*100 with a = total, b = free or available)
    op: str | None = None
    convert: str = "number"
    unit_column: str | None = None  # for convert: size
    scale: float = 1.0
    map: Mapping[str, int] | None = None  # text -> code, matched case-insensitively
    integer: bool = False  # round to int after scaling


@dataclass(frozen=True, slots=True)
class TagMap:
    """How one tag is computed: a column, a constant, a format over columns, or a classifier."""

    name: str
    column: str | None = None
    value: str | None = None
    format: str | None = None
    classify: tuple[tuple[re.Pattern[str], str], ...] = ()
    default: str | None = None
    if_name: bool = False  # canonicalise an interface name


@dataclass(frozen=True, slots=True)
class SampleMap:
    """One measurement produced from the rows of one parsed command output."""

    measurement: str
    tags: tuple[TagMap, ...] = ()
    fields: tuple[FieldMap, ...] = ()
    first_row_only: bool = False
    where: tuple[tuple[str, re.Pattern[str]], ...] = ()  # keep rows whose columns match
    unless: tuple[tuple[str, re.Pattern[str]], ...] = ()  # drop rows whose columns match


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command, the TextFSM template that reads its output, and what samples it yields."""

    command: str
    template: str  # "ntc:<file>" or "lanpulse:<file>"
    samples: tuple[SampleMap, ...]


@dataclass(frozen=True, slots=True)
class CliProfile:
    """Everything lanpulse knows about one CLI platform."""

    platform: str
    device_type: str
    vendor: str | None
    device_class: str
    rejected_patterns: tuple[str, ...]
    commands: tuple[CommandSpec, ...] = field(default_factory=tuple)
    source: str = ""

    @property
    def command_lines(self) -> tuple[str, ...]:
        """Distinct commands in profile order (one output may feed several templates)."""
        return tuple(dict.fromkeys(c.command for c in self.commands))


def _err(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(message, file=str(path), key=key)


def _regex(path: Path, key: str, text: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(text))
    except re.error as exc:
        raise _err(path, key, f"invalid regular expression: {exc}") from None


def _field(path: Path, key: str, name: str, raw: Any) -> FieldMap:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise _err(path, key, "expected a column name or a mapping")
    unknown = set(raw) - {"column", "columns", "op", "convert", "unit_column", "scale", "map"}
    unknown -= {"integer"}
    if unknown:
        raise _err(path, key, f"unknown keys {sorted(unknown)}")
    convert = str(raw.get("convert", "number"))
    if convert not in CONVERTERS:
        raise _err(path, f"{key}.convert", f"expected one of {sorted(CONVERTERS)}")
    op = raw.get("op")
    if op is not None and op not in OPS:
        raise _err(path, f"{key}.op", f"expected one of {list(OPS)}")
    columns = tuple(str(c) for c in raw.get("columns", ()))
    if op is None and not raw.get("column"):
        raise _err(path, key, "needs `column` (or `op` with `columns`)")
    if op is not None and not columns:
        raise _err(path, key, f"op {op!r} needs `columns`")
    mapping = raw.get("map")
    if mapping is not None and not isinstance(mapping, dict):
        raise _err(path, f"{key}.map", "expected a mapping of text to code")
    return FieldMap(
        name=name,
        column=raw.get("column"),
        columns=columns,
        op=op,
        convert=convert,
        unit_column=raw.get("unit_column"),
        scale=float(raw.get("scale", 1.0)),
        map={str(k).lower(): int(v) for k, v in mapping.items()} if mapping else None,
        integer=bool(raw.get("integer", False)),
    )


def _tag(path: Path, key: str, name: str, raw: Any) -> TagMap:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise _err(path, key, "expected a column name or a mapping")
    classify = tuple(
        (_regex(path, f"{key}.classify", pattern), str(value))
        for pattern, value in (raw.get("classify") or {}).items()
    )
    tag = TagMap(
        name=name,
        column=raw.get("column"),
        value=None if raw.get("value") is None else str(raw["value"]),
        format=raw.get("format"),
        classify=classify,
        default=raw.get("default"),
        if_name=bool(raw.get("if_name", False)),
    )
    if not (tag.column or tag.value or tag.format):
        raise _err(path, key, "needs one of `column`, `value`, `format`")
    return tag


def _sample(path: Path, key: str, raw: Any) -> SampleMap:
    if not isinstance(raw, dict) or "measurement" not in raw:
        raise _err(path, key, "expected a mapping with `measurement`")
    name = str(raw["measurement"])
    spec = MEASUREMENTS.get(name)
    if spec is None:
        raise _err(path, f"{key}.measurement", f"unknown measurement {name!r}")
    fields = tuple(
        _field(path, f"{key}.fields.{fname}", str(fname), fraw)
        for fname, fraw in (raw.get("fields") or {}).items()
    )
    for f in fields:
        if f.name not in spec.fields:
            raise _err(path, f"{key}.fields.{f.name}", f"not a field of {name!r}")
    if not fields and not raw.get("tags"):
        raise _err(path, f"{key}.fields", "at least one field (or tag) is needed")
    rows = raw.get("rows", "all")
    if rows not in ("all", "first"):
        raise _err(path, f"{key}.rows", "expected `all` or `first`")
    return SampleMap(
        measurement=name,
        tags=tuple(
            _tag(path, f"{key}.tags.{tname}", str(tname), traw)
            for tname, traw in (raw.get("tags") or {}).items()
        ),
        fields=fields,
        first_row_only=rows == "first",
        where=tuple(
            (str(c), _regex(path, f"{key}.where.{c}", p))
            for c, p in (raw.get("where") or {}).items()
        ),
        unless=tuple(
            (str(c), _regex(path, f"{key}.unless.{c}", p))
            for c, p in (raw.get("unless") or {}).items()
        ),
    )


def _command(path: Path, key: str, raw: Any) -> CommandSpec:
    if not isinstance(raw, dict) or not raw.get("command") or not raw.get("template"):
        raise _err(path, key, "expected a mapping with `command` and `template`")
    template = str(raw["template"])
    if not template.startswith(("ntc:", "lanpulse:")):
        raise _err(path, f"{key}.template", "expected `ntc:<file>` or `lanpulse:<file>`")
    samples = raw.get("samples") or []
    if not isinstance(samples, list) or not samples:
        raise _err(path, f"{key}.samples", "expected a non-empty list")
    return CommandSpec(
        command=str(raw["command"]),
        template=template,
        samples=tuple(_sample(path, f"{key}.samples[{i}]", s) for i, s in enumerate(samples)),
    )


def load_cli_profile_file(path: Path) -> CliProfile:
    """Read and check one CLI profile file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read CLI profile: {exc.strerror}", file=str(path)) from None
    data = load_plain_yaml(text, str(path))
    if not isinstance(data, dict) or "platform" not in data:
        raise _err(path, "platform", "expected a mapping with `platform`")
    commands = data.get("commands") or []
    if not isinstance(commands, list) or not commands:
        raise _err(path, "commands", "expected a non-empty list")
    return CliProfile(
        platform=str(data["platform"]),
        device_type=str(data.get("device_type", data["platform"])),
        vendor=data.get("vendor"),
        device_class=str(data.get("device_class", "switch")),
        rejected_patterns=tuple(str(p) for p in data.get("rejected_patterns") or ()),
        commands=tuple(_command(path, f"commands[{i}]", c) for i, c in enumerate(commands)),
        source=str(path),
    )


@cache
def load_cli_profile(platform: str) -> CliProfile:
    """The bundled profile of `platform`; ConfigError naming the choices if there is none."""
    path = PROFILE_DIR / f"{platform}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
        raise ConfigError(
            f"no CLI profile for platform {platform!r}; known: {known}", key="ssh.platform"
        )
    return load_cli_profile_file(path)


def cli_platforms() -> list[str]:
    """Every platform with a bundled CLI profile."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
