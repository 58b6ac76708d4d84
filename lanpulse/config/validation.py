"""pydantic validation errors -> Problems: the key path as written, one plain sentence each.

pydantic's `loc` can hold steps that are not keys of the file (union members, `[key]`); they
are dropped by walking the data. Values are echoed only when they are short, not secret and
did not come from the environment.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from lanpulse.config.devices import closest
from lanpulse.config.secrets import is_secret_key
from lanpulse.config.sourcemap import Loc, Problem

_SIMPLE_MESSAGES: dict[str, str] = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected a text value",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "string_too_short": "is empty, expected a non-empty value",
    "url_parsing": "expected a URL",
    "url_type": "expected a URL",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional / Union / Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def valid_keys(model: type[BaseModel], path: Loc) -> list[str]:
    """The keys allowed at `path` below `model` (by alias), for "did you mean" hints."""
    current: list[Any] = [model]
    for step in path:
        following: list[Any] = []
        for candidate in current:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if step in (name, info.alias):
                        following.extend(_unwrap(info.annotation))
            else:
                origin = typing.get_origin(candidate)
                args = typing.get_args(candidate)
                if origin is list and args and isinstance(step, int):
                    following.extend(_unwrap(args[0]))
                elif origin is dict and len(args) == 2 and isinstance(step, str):
                    following.extend(_unwrap(args[1]))
        current = following
    keys: list[str] = []
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            keys.extend(info.alias or name for name, info in candidate.model_fields.items())
    return keys


def _clean_loc(raw: tuple[str | int, ...], data: object) -> Loc:
    """Keep the steps that exist in the data; the last one may be a missing or unknown key."""
    out: list[str | int] = []
    node: object = data
    for position, step in enumerate(raw):
        if step == "[key]":
            continue
        in_mapping = isinstance(node, Mapping) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if in_mapping or in_list:
            out.append(step)
            node = node[step]  # type: ignore[index]
        elif position == len(raw) - 1 and isinstance(node, Mapping):
            out.append(step)
    return tuple(out)


_CONTAINER_KINDS = frozenset({"dict_type", "model_type", "model_attributes_type", "list_type"})


def _got_kind(value: object) -> str:
    """What was written instead of a mapping or list, without echoing it (it may be a secret)."""
    if value is None:
        return ", got nothing (null)"
    if isinstance(value, bool):
        return ", got true/false"
    if isinstance(value, int | float):
        return ", got a number"
    if isinstance(value, str):
        return ", got a text value"
    if isinstance(value, list):
        return ", got a list"
    return ", got a mapping" if isinstance(value, Mapping) else ""


def _echo(value: object, loc: Loc, from_env: set[Loc]) -> str:
    key = next((str(s) for s in reversed(loc) if isinstance(s, str)), "")
    if loc in from_env or is_secret_key(key):
        return ""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 60):
        return f", got {value!r}"
    if value is None:
        return ", got nothing (null)"
    if isinstance(value, Mapping):
        return ", got a mapping"
    if isinstance(value, list):
        return ", got a list"
    return ""


def problems_from(
    exc: ValidationError,
    model: type[BaseModel],
    prefix: Loc,
    data: object,
    from_env: set[Loc],
) -> list[Problem]:
    """One Problem per pydantic error of validating `data` at `prefix` against `model`."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        full = _clean_loc(prefix + tuple(err["loc"]), data)
        kind = err["type"]
        inner = full[len(prefix) :]
        if kind == "extra_forbidden":
            key = str(full[-1]) if full else "?"
            allowed = valid_keys(model, inner[:-1])
            close = closest(key, allowed)
            listed = "expected one of: " + ", ".join(allowed)
            hint = f"did you mean {close!r}?" if close else listed
            problems.append(Problem(full, f"unknown key {key!r}, {hint}"))
            continue
        if kind == "missing":
            key = str(full[-1]) if full else "?"
            problems.append(Problem(full, f"required key {key!r} is missing"))
            continue
        if kind in ("value_error", "assertion_error"):
            message = str(err["ctx"].get("error", err["msg"])) if "ctx" in err else err["msg"]
            problems.append(Problem(full, message.removeprefix("Value error, ")))
            continue
        ctx = err.get("ctx") or {}
        if kind == "literal_error":
            message = f"expected one of {ctx.get('expected', '')}"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            message = err["msg"].replace("Input should be", "expected a number")
        else:
            message = _SIMPLE_MESSAGES.get(kind, err["msg"])
        if kind in _CONTAINER_KINDS:
            got = _got_kind(err.get("input"))
        else:
            got = _echo(err.get("input"), full, from_env)
        problems.append(Problem(full, message + got))
    return problems
