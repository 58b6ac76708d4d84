"""Predictive conditions of alert rules, in the style of Zabbix's `timeleft()` / `forecast()`.

    - name: volume_full_soon
      measurement: storage
      timeleft: {field: used_bytes, limit_field: size_bytes, fit: linear, window: 14d, below: 30d}
    - name: uplink_busy_next_month
      measurement: interface
      forecast: {field: in_util_pct, horizon: 30d, above: 80}

Such a rule is evaluated on the rollups, at `rollups.predict_interval`, by
`lanpulse/reports/predictive.py`, which feeds `prediction` samples (one per series, tagged
with the rule, the fit and its R²) to the alert engine. To the engine it is an ordinary rule
on `prediction.time_left_days` (below N days) or `prediction.forecast_value` (above/below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lanpulse.alerts.yamlsrc import KeyPath, YamlDoc
from lanpulse.config.capacity import check_fit_name
from lanpulse.config.durations import parse_duration
from lanpulse.core.schema import MEASUREMENTS

PREDICTION = "prediction"
TIME_LEFT_FIELD = "time_left_days"
FORECAST_FIELD = "forecast_value"
DEFAULT_TIMELEFT_SUMMARY = (
    "{rule} on {device}: {source_field} reaches its limit in {value} days "
    "({fit} fit over {window}, R² {fit_r2})"
)
DEFAULT_FORECAST_SUMMARY = (
    "{rule} on {device}: {source_field} forecast {value} in {horizon} "
    "({fit} fit over {window}, R² {fit_r2})"
)
_TIMELEFT_KEYS = frozenset({"field", "limit_field", "limit", "fit", "window", "below"})
_FORECAST_KEYS = frozenset({"field", "fit", "window", "horizon", "above", "below"})


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a predictive rule fits: which rollup field, over which window, and how."""

    kind: str  # timeleft or forecast
    measurement: str
    field: str
    fit: str = "linear"
    window_s: float = 14 * 86400.0
    horizon_s: float = 0.0  # forecast: how far ahead
    limit_field: str | None = None  # timeleft: the limit is this field's latest value
    limit: float | None = None  # timeleft: or this number


@dataclass(frozen=True, slots=True)
class PredictiveCondition:
    """A predictive condition as the engine sees it: a field of `prediction` and a test."""

    prediction: Prediction
    field: str
    condition: str  # above or below
    threshold: float
    summary: str


def _duration(doc: YamlDoc, path: KeyPath, value: object) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise doc.error(path, str(exc)) from None
    if seconds <= 0:
        raise doc.error(path, "expected a duration above 0, e.g. 14d")
    return seconds


def _field(doc: YamlDoc, path: KeyPath, measurement: str, value: object) -> str:
    fields = MEASUREMENTS[measurement].fields
    if not isinstance(value, str) or value not in fields:
        raise doc.error(
            path, f"unknown field {value!r} of {measurement}; expected one of {sorted(fields)}"
        )
    return value


def predictive_condition(
    doc: YamlDoc, path: KeyPath, raw: Mapping[str, object], measurement: str
) -> PredictiveCondition:
    """Validate the `timeleft:` or `forecast:` mapping of a rule on `measurement`."""
    kinds = [k for k in ("timeleft", "forecast") if k in raw]
    if len(kinds) != 1:
        raise doc.error(path, "expected one of `timeleft` or `forecast`, not both")
    kind = kinds[0]
    at = (*path, kind)
    spec = raw[kind]
    if not isinstance(spec, dict):
        raise doc.error(at, "expected a mapping such as {field: used_bytes, below: 30d}")
    allowed = _TIMELEFT_KEYS if kind == "timeleft" else _FORECAST_KEYS
    for key in spec:
        if key not in allowed:
            raise doc.error((*at, key), f"unknown key; expected one of {sorted(allowed)}")
    field = _field(doc, (*at, "field"), measurement, spec.get("field"))
    try:
        fit = check_fit_name(str(spec.get("fit", "linear")))
    except ValueError as exc:
        raise doc.error((*at, "fit"), str(exc)) from None
    window = _duration(doc, (*at, "window"), spec.get("window", "14d"))
    if kind == "timeleft":
        limit_field = spec.get("limit_field")
        limit = spec.get("limit")
        if (limit_field is None) == (limit is None):
            raise doc.error(at, "expected one of `limit_field` (e.g. size_bytes) or `limit`")
        if limit_field is not None:
            limit_field = _field(doc, (*at, "limit_field"), measurement, limit_field)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)):
            raise doc.error((*at, "limit"), f"expected a number, got {limit!r}")
        if "below" not in spec:
            raise doc.error(at, "expected `below: DURATION` (alert when the limit is nearer)")
        below = _duration(doc, (*at, "below"), spec["below"])
        prediction = Prediction(
            kind,
            measurement,
            field,
            fit,
            window,
            0.0,
            limit_field,
            None if limit is None else float(limit),
        )
        return PredictiveCondition(
            prediction, TIME_LEFT_FIELD, "below", below / 86400.0, DEFAULT_TIMELEFT_SUMMARY
        )
    horizon = _duration(doc, (*at, "horizon"), spec.get("horizon"))
    sides = [s for s in ("above", "below") if s in spec]
    if len(sides) != 1:
        raise doc.error(at, "expected one of `above` or `below` (the forecast value's threshold)")
    threshold = spec[sides[0]]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise doc.error((*at, sides[0]), f"expected a number, got {threshold!r}")
    prediction = Prediction(kind, measurement, field, fit, window, horizon)
    return PredictiveCondition(
        prediction, FORECAST_FIELD, sides[0], float(threshold), DEFAULT_FORECAST_SUMMARY
    )
