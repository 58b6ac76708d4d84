"""Check exported dashboards: against the grafana-foundation-sdk model of Grafana 11.6, and
against lanpulse's own rules (stable uid, layout, data source, variables, canonical names).

The SDK check parses the JSON into the SDK's typed `Dashboard` and serialises it back: a key
the Grafana 11.6 model does not know, or a value of the wrong shape, does not survive the
round trip, so any difference is reported with its path.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from lanpulse.core.schema import MEASUREMENTS
from lanpulse.dashboards.catalog import HASH_KEY
from lanpulse.dashboards.query import queries_of

_MODELS = "grafana_foundation_sdk.models"
PANEL_TYPES = frozenset({"timeseries", "stat", "table", "bargauge", "state-timeline", "row"})
_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_MACROS = frozenset({"timeFilter", "__interval", "interval", "__interval_ms"})
_VAR_REF = re.compile(r"\$\{?(\w+)")
_FROM = re.compile(r'FROM "(\w+)"')
_FIELD_ARG = re.compile(r'\w+\("(\w+)"')
_ALIAS = re.compile(r'AS "([^"]+)"')
# Tags every device-scoped sample carries, plus the inventory label the dashboards filter on.
_COMMON_TAGS = frozenset({"device", "class", "site"})


def round_trip_problems(model: Mapping[str, Any]) -> list[str]:
    """Differences after parsing `model` into the SDK's Dashboard and serialising it back,
    and values whose type is not the one the SDK model declares."""
    original = {k: v for k, v in model.items() if k != HASH_KEY}
    parsed = DashboardModel.from_json(json.loads(json.dumps(original)))
    again = json.loads(json.dumps(parsed, cls=JSONEncoder))
    return _diff(original, again, "") + _type_problems(parsed, "dashboard")


def _type_problems(obj: Any, path: str) -> list[str]:
    """Attributes of an SDK model object whose value does not match the declared type."""
    cls = type(obj)
    if not cls.__module__.startswith(_MODELS):
        return []
    out: list[str] = []
    for name, hint in typing.get_type_hints(cls).items():
        value = getattr(obj, name, None)
        out.extend(_check_type(value, hint, f"{path}.{name}"))
    return out


def _check_type(value: Any, hint: Any, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return []
    if origin is typing.Union or isinstance(hint, types.UnionType):
        if value is None and type(None) in args:
            return []
        arms = [a for a in args if a is not type(None)]
        if len(arms) == 1:  # Optional[X]: report what is wrong inside X
            return _check_type(value, arms[0], path)
        for arg in args:  # a model object: report what is wrong inside it
            if (
                isinstance(arg, type)
                and arg.__module__.startswith(_MODELS)
                and isinstance(value, arg)
            ):
                return _check_type(value, arg, path)
        for arg in args:
            if arg is not type(None) and not _check_type(value, arg, path):
                return []
        return [f"{path}: {value!r} is not {hint}"]
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        return [p for i, v in enumerate(value) for p in _check_type(v, args[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        return [p for k, v in value.items() for p in _check_type(v, args[1], f"{path}.{k}")]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        ok = isinstance(value, hint) or value in {m.value for m in hint}
        return [] if ok else [f"{path}: {value!r} is not one of {[m.value for m in hint]}"]
    if hint is bool:
        return [] if isinstance(value, bool) else [f"{path}: expected true/false, got {value!r}"]
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer, got {value!r}"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number, got {value!r}"]
    if hint is str:
        return [] if isinstance(value, str) else [f"{path}: expected a string, got {value!r}"]
    if isinstance(hint, type):
        if isinstance(value, dict) and hasattr(hint, "from_json"):
            # Some SDK parsers leave nested objects as dicts; parse them to check inside.
            value = hint.from_json(value)
        if not isinstance(value, hint):
            return [f"{path}: expected {hint.__name__}, got {value!r}"]
        return _type_problems(value, path)
    return []


def _diff(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in b:
                out.append(f"{where}: not in the Grafana 11.6 dashboard model")
            elif key not in a:
                out.append(f"{where}: added by the model ({b[key]!r}); set it explicitly")
            else:
                out.extend(_diff(a[key], b[key], where))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            p
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for p in _diff(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} became {b!r}"]


def lanpulse_problems(model: Mapping[str, Any], datasource_uid: str) -> list[str]:
    """lanpulse's rules for a dashboard: uid, panels on the grid, one data source, names."""
    uid = str(model.get("uid", ""))
    out: list[str] = []
    if not _UID.match(uid):
        out.append(f"uid {uid!r} is not a Grafana uid (1-40 of A-Z a-z 0-9 - _)")
    if not model.get("title"):
        out.append(f"{uid}: no title")
    ids: set[int] = set()
    for panel in model.get("panels") or []:
        title = panel.get("title", "?")
        if panel.get("type") not in PANEL_TYPES:
            out.append(f"{uid}/{title}: panel type {panel.get('type')!r} is not one lanpulse uses")
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            out.append(f"{uid}/{title}: gridPos {grid} needs integer x, y, w, h")
        elif not (0 < grid["w"] <= 24 and grid["h"] > 0):
            out.append(f"{uid}/{title}: gridPos {grid} is off the 24-column grid")
        elif grid.get("x", 0) + grid["w"] > 24:
            out.append(f"{uid}/{title}: gridPos {grid} runs past column 24")
        if panel.get("id") in ids:
            out.append(f"{uid}/{title}: duplicate panel id {panel.get('id')}")
        ids.add(panel.get("id"))
        refs = [t.get("refId") for t in panel.get("targets") or []]
        if len(refs) != len(set(refs)):
            out.append(f"{uid}/{title}: duplicate refId in {refs}")
        for target in panel.get("targets") or []:
            ds = target.get("datasource") or {}
            if ds.get("uid") != datasource_uid or ds.get("type") != "influxdb":
                out.append(f"{uid}/{title}: target {target.get('refId')} uses data source {ds}")
            if not target.get("rawQuery") or not target.get("query"):
                out.append(f"{uid}/{title}: target {target.get('refId')} has no raw InfluxQL")
    variables = {v.get("name") for v in (model.get("templating") or {}).get("list") or []}
    for ref in queries_of(model):
        where = f"{uid}/{ref.where}"
        for name in _VAR_REF.findall(ref.query):
            if name not in _MACROS and name not in variables:
                out.append(f"{where}: ${name} is neither a Grafana macro nor a variable")
        out.extend(f"{where}: {p}" for p in schema_problems(ref.query))
    return out


def schema_problems(query: str) -> list[str]:
    """Measurements and fields of `query` that are not canonical (see lanpulse.core.schema)."""
    out: list[str] = []
    measurements = _FROM.findall(query)
    known_fields: set[str] = set(_ALIAS.findall(query))
    tags: set[str] = set(_COMMON_TAGS)
    for name in measurements:
        spec = MEASUREMENTS.get(name)
        if spec is None:
            out.append(f"measurement {name!r} is not canonical")
            continue
        known_fields |= set(spec.fields)
        tags |= set(spec.required_tags | spec.optional_tags)
    if "alert" in measurements:
        tags |= {"device", "class", "site"}
    for field_name in _FIELD_ARG.findall(query):
        if field_name not in known_fields:
            out.append(f"field {field_name!r} is not in {measurements}")
    for tag in _tags_used(query):
        if tag not in tags:
            out.append(f"tag {tag!r} is not a tag of {measurements}")
    return out


def _tags_used(query: str) -> set[str]:
    """Tag keys a query filters or groups by, or lists values of."""
    query = re.sub(r"time\([^)]*\)", "time", query)
    used = set(re.findall(r'WITH KEY = "(\w+)"', query))
    used |= set(re.findall(r'"(\w+)" (?:=~ /|= \')', query))
    for group in re.findall(r"GROUP BY ([^)]*?)(?: fill\(|\)|$| ORDER| LIMIT)", query):
        used |= set(re.findall(r'"(\w+)"', group))
    return used


def validate(model: Mapping[str, Any], datasource_uid: str) -> list[str]:
    """Every problem of one exported dashboard (empty when it is valid)."""
    return round_trip_problems(model) + lanpulse_problems(model, datasource_uid)
