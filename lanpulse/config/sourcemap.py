"""YAML text -> plain data plus a map from every key path to its line, for one-line errors.

PyYAML's composer gives nodes with marks; we build the data from those nodes ourselves, so
`("devices", 2, "snmp", "community")` -> line 14. `${ENV}` references are interpolated here,
in string values only (never in keys), and duplicate keys are reported instead of silently
keeping the last one as PyYAML does.
Documents are composed within the bounds of `lanpulse.core.yaml_bounds` (size, alias
expansion, depth), like every YAML file lanpulse reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from lanpulse.config.secrets import EnvReferenceError, interpolate_env
from lanpulse.core.errors import ConfigError
from lanpulse.core.yaml_bounds import Loader, compose_bounded

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong at a key path, before it is given a file and line."""

    loc: Loc
    message: str
    line: int | None = None  # when the key path alone does not tell (a duplicate YAML key)


@dataclass(slots=True)
class SourceMap:
    """Where each key path of one YAML document was written."""

    file: str
    lines: dict[Loc, int] = field(default_factory=dict)
    # Key paths whose value came from `${ENV}`: their values are never echoed in errors.
    from_env: set[Loc] = field(default_factory=set)
    # Key paths already reported while reading the YAML (a missing variable, ...): their
    # placeholder values must not cause follow-on errors.
    tainted: set[Loc] = field(default_factory=set)

    def is_tainted(self, loc: Loc) -> bool:
        """True when `loc` or a key path below or above it was reported while reading."""
        return any(t[: len(loc)] == loc or loc[: len(t)] == t for t in self.tainted)

    def line_for(self, loc: Loc) -> int | None:
        """The line of the longest prefix of `loc` that was written in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def format_loc(loc: Loc, data: object) -> str:
    """`devices[core-sw1].snmp.community`: list items by their `name` when they have one."""
    out = ""
    node: object = data
    for part in loc:
        if isinstance(part, int):
            label: str | int = part
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                name = node.get("name") if isinstance(node, Mapping) else None
                if isinstance(name, str) and name and "]" not in name:
                    label = name
            else:
                node = None
            out += f"[{label}]"
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
            out += f".{part}" if out else part
    return out


def to_config_error(problem: Problem, source: SourceMap, data: object) -> ConfigError:
    """A Problem with its file, line and display key path."""
    return ConfigError(
        problem.message,
        file=source.file,
        line=problem.line or source.line_for(problem.loc),
        key=format_loc(problem.loc, data) or None,
    )


def parse_yaml(
    text: str, filename: str, environ: Mapping[str, str]
) -> tuple[object, SourceMap, list[ConfigError]]:
    """Parse one YAML document; returns the data, its source map and every problem found.

    Invalid YAML yields (None, map, [error with the YAML line]); an empty document yields None
    data and no error (the caller decides whether empty is allowed).
    """
    try:
        data, source, problems = read_yaml(text, filename, environ)
    except ConfigError as exc:
        return None, SourceMap(file=filename), [exc]
    return data, source, [to_config_error(p, source, data) for p in problems]


def read_yaml(
    text: str, filename: str, environ: Mapping[str, str]
) -> tuple[object, SourceMap, list[Problem]]:
    """`parse_yaml` for a reader that uses only part of a file: the problems keep their key
    paths, so it can keep those under its own section. Invalid YAML raises ConfigError."""
    source = SourceMap(file=filename)
    loader = Loader(text)
    try:
        root = compose_bounded(loader, text, filename, cycles_allowed=True)
        if root is None:
            return None, source, []
        builder = _Builder(loader, source, environ)
        source.lines[()] = root.start_mark.line + 1
        data = builder.build(root, ())
    finally:
        loader.dispose()
    source.tainted.update(p.loc for p in builder.problems)
    return data, source, builder.problems


class _Builder:
    """Builds plain data from nodes, recording lines, interpolating env, noting problems."""

    def __init__(
        self, loader: yaml.SafeLoader, source: SourceMap, environ: Mapping[str, str]
    ) -> None:
        self.loader = loader
        self.source = source
        self.environ = environ
        self.problems: list[Problem] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node, loc: Loc) -> object:
        if id(node) in self._active:
            self.problems.append(Problem(loc, "recursive YAML alias, expected a finite value"))
            return None
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, loc)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                items = []
                for index, item in enumerate(node.value):
                    self.source.lines[(*loc, index)] = item.start_mark.line + 1
                    items.append(self.build(item, (*loc, index)))
                return items
            finally:
                self._active.discard(id(node))
        return self._scalar(node, loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, object]:
        explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        try:
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as exc:
            self.problems.append(Problem(loc, f"bad YAML merge key: {exc.problem}"))
        out: dict[str, object] = {}
        first_line: dict[str, int] = {}
        written: set[str] = set()  # keys written here, not merged in with `<<:`
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem(loc, f"line {line}: expected a plain text key"))
                continue
            # The key as written: YAML 1.1 would turn `no:` or `on:` into booleans.
            key = str(key_node.value)
            # Keys merged in with `<<:` come first and may be overridden; written ones may not.
            if key in written and id(key_node) in explicit:
                self.problems.append(
                    Problem(
                        (*loc, key),
                        f"duplicate key {key!r} (first set on line {first_line[key]}), "
                        "expected each key once",
                        line=line,
                    )
                )
                continue
            if id(key_node) in explicit:
                written.add(key)
            first_line[key] = line
            self.source.lines[(*loc, key)] = line
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _scalar(self, node: yaml.Node, loc: Loc) -> object:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append(Problem(loc, f"value cannot be read: {exc}"))
            return None
        if isinstance(value, str) and "$" in value:
            try:
                interpolated = interpolate_env(value, self.environ)
            except EnvReferenceError as exc:
                self.problems.append(Problem(loc, str(exc)))
                return None
            if interpolated != value:
                self.source.from_env.add(loc)
            return interpolated
        return value
