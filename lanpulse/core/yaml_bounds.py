"""The one way lanpulse reads YAML: bounded in size, alias expansion and depth.

Every YAML file lanpulse reads (config, inventory, rule files, SNMP and CLI profiles,
Grafana settings, and any file added later through these functions or
`lanpulse.config.sourcemap.parse_yaml`) is composed by `compose_bounded`: at most
`MAX_YAML_BYTES`, and aliases may not expand the document beyond `ALIAS_EXPANSION` nodes
per line written (a "billion laughs" file of nested aliases is refused in one line before
anything is built from it), nor nest deeper than `MAX_DEPTH`, nor refer to themselves.
"""

from __future__ import annotations

import yaml

from lanpulse.core.errors import ConfigError

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_YAML_BYTES = 32 * 1024**2  # a 25,000-device inventory is ~3 MB
ALIAS_EXPANSION = 10  # nodes per line once aliases expand (`<<: *defaults` merges: ~2)
MIN_NODE_BUDGET = 10_000
MAX_DEPTH = 200


def load_plain_yaml(text: str, filename: str) -> object:
    """Parse one YAML document into plain data (no `${ENV}`, no key lines), within the bounds.

    For files read as data (profiles, CLI profiles): raises ConfigError in one line.
    """
    loader = Loader(text)
    try:
        root = compose_bounded(loader, text, filename)
        if root is None:
            return None
        try:
            return loader.construct_document(root)
        except yaml.MarkedYAMLError as exc:
            raise yaml_error(exc, filename) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid YAML: {exc}", file=filename) from None
    finally:
        loader.dispose()


def compose_yaml(text: str, filename: str) -> yaml.Node | None:
    """The node graph of one YAML document (with its marks), within the bounds."""
    loader = Loader(text)
    try:
        return compose_bounded(loader, text, filename)
    finally:
        loader.dispose()


def compose_bounded(
    loader: yaml.SafeLoader, text: str, filename: str, *, cycles_allowed: bool = False
) -> yaml.Node | None:
    """The document's node graph, refused (ConfigError) when too big once aliases expand.

    `cycles_allowed`: the caller reports a recursive alias itself (with its key path).
    """
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(
            f"the file is {len(text)} bytes, expected at most {MAX_YAML_BYTES}", file=filename
        )
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, filename) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=filename) from None
    except RecursionError:
        raise ConfigError(
            f"invalid YAML: nested too deeply, expected at most {MAX_DEPTH} levels", file=filename
        ) from None
    if root is not None:
        budget = max(MIN_NODE_BUDGET, ALIAS_EXPANSION * text.count("\n"), len(text))
        _check_expansion(root, budget, filename, cycles_allowed)
    return root


def _check_expansion(root: yaml.Node, budget: int, filename: str, cycles_allowed: bool) -> None:
    """Refuse a graph whose tree (aliases expanded) exceeds `budget` nodes or `MAX_DEPTH`.

    Sizes are memoised per node, so this costs one visit per node written, not per node
    the aliases would make (a bomb is refused without being expanded).
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    ancestors: set[int] = set()  # nodes whose children are being sized (an alias to one loops)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if not children_done:
            if key in ancestors:
                if cycles_allowed:
                    continue
                raise ConfigError(
                    "recursive YAML alias, expected a finite value",
                    file=filename,
                    line=node.start_mark.line + 1,
                )
            ancestors.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        ancestors.discard(key)
        size = 1 + sum(sizes.get(id(child), 0) for child in children)
        depth = 1 + max((depths.get(id(child), 0) for child in children), default=0)
        if size > budget or depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            what = (
                f"its aliases expand to more than {budget} values"
                if size > budget
                else f"it nests deeper than {MAX_DEPTH} levels"
            )
            raise ConfigError(
                f"YAML refused: {what} (an alias bomb?), expected a plain document",
                file=filename,
                line=line,
            )
        sizes[key] = size
        depths[key] = depth


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def yaml_error(exc: yaml.MarkedYAMLError, filename: str) -> ConfigError:
    """A PyYAML syntax error as one ConfigError line (file, line, what is wrong)."""
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "cannot be parsed"
    if exc.context:
        what = f"{what} ({exc.context}"
        if exc.context_mark is not None and mark is not exc.context_mark:
            what += f" on line {exc.context_mark.line + 1}"
        what += ")"
    return ConfigError(
        f"invalid YAML: {what}, expected a well-formed YAML document",
        file=filename,
        line=None if mark is None else mark.line + 1,
    )
