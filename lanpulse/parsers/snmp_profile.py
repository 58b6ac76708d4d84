"""The generic SNMP parser: a raw poll plus a profile become canonical samples.

Pure: no I/O. Vendor knowledge comes from the profile (data) and from the named
processors it lists; rate state is passed in and updated in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lanpulse.core.model import Device, RawSnmp, Sample, SnmpValue
from lanpulse.core.profile import Metric, Profile, Source
from lanpulse.parsers.quirks import PROCESSORS
from lanpulse.parsers.rates import RateState, apply_rates
from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import convert

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@dataclass(slots=True)
class ParseResult:
    """Samples of one poll, plus what could not be parsed and what the device did not answer."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    model: str | None = None
    uptime_s: float | None = None


def _has_transform(src: Source) -> bool:
    return any(
        v is not None for v in (src.map, src.scale, src.regex, src.as_, src.value, src.index)
    )


def _pick(
    sources: list[Source],
    lookup: Mapping[str, SnmpValue] | None,
    raw: RawSnmp,
    index: str,
    want: str,
) -> tuple[Any, Source | None]:
    """The first source in priority order that yields a value."""
    for src in sources:
        value: SnmpValue | None = None
        if src.oid is not None:
            if lookup is None:
                value = raw.scalars.get(src.oid)
            else:
                col = raw.columns.get(src.oid)
                value = col.get(index) if col else None
            if value is None:
                continue
        if want == "extra" and not _has_transform(src):
            return value, src
        out = convert(src, value, index, "field" if want == "extra" else want)
        if out is not None:
            return out, src
    return None, None


def _row_indexes(metric: Metric, raw: RawSnmp) -> list[str]:
    seen: dict[str, None] = {}
    groups = [metric.fields, metric.tags] if metric.fields else [metric.tags, metric.extra]
    for group in groups:
        for srcs in group.values():
            for src in srcs if isinstance(srcs, list) else [srcs]:
                if src.oid and src.oid in raw.columns:
                    for idx in raw.columns[src.oid]:
                        seen[idx] = None
    if not seen and metric.extra:
        for srcs in metric.extra.values():
            for src in srcs if isinstance(srcs, list) else [srcs]:
                if src.oid and src.oid in raw.columns:
                    for idx in raw.columns[src.oid]:
                        seen[idx] = None
    return sorted(seen, key=lambda i: tuple(int(p) if p.isdigit() else 0 for p in i.split(".")))


def _as_list(src: Source | list[Source]) -> list[Source]:
    return src if isinstance(src, list) else [src]


def _build_row(metric: Metric, raw: RawSnmp, index: str, table: bool) -> Row:
    lookup = raw.columns if table else None
    row = Row(index=index, measurement=metric.measurement)
    for name, srcs in metric.tags.items():
        value, _ = _pick(_as_list(srcs), lookup, raw, index, "tag")  # type: ignore[arg-type]
        if value:
            row.tags[name] = str(value)
    for name, srcs in metric.fields.items():
        value, src = _pick(_as_list(srcs), lookup, raw, index, "field")  # type: ignore[arg-type]
        if value is not None:
            row.fields[name] = value
            if src is not None and src.counter:
                row.counter_bits[name] = src.counter
    for name, srcs in metric.extra.items():
        value, _ = _pick(_as_list(srcs), lookup, raw, index, "extra")  # type: ignore[arg-type]
        if value is not None:
            row.extra[name] = value
    if metric.index_tag and table:
        row.tags[metric.index_tag] = index
    return row


def _derive(row: Row, rules: Mapping[str, Mapping[str, list[str]]]) -> None:
    for target, spec in rules.items():
        for op, operands in spec.items():
            vals = [row.fields.get(o) for o in operands]
            if any(v is None for v in vals):
                continue
            a, b = vals[0], vals[1] if len(vals) > 1 else None
            result: float | int | None = None
            if op == "sub" and b is not None:
                result = a - b  # type: ignore[operator]
            elif op == "add" and b is not None:
                result = a + b  # type: ignore[operator]
            elif op == "pct" and b:
                result = round(min(max(a / b * 100, 0.0), 100.0), 2)  # type: ignore[operator]
            elif op == "mul" and b is not None:
                result = a * b  # type: ignore[operator]
            if result is not None:
                row.fields[target] = result


def _aggregate(rows: list[Row], how: Mapping[str, str], measurement: str) -> list[Row]:
    if not rows:
        return []
    out = Row(index="", measurement=measurement)
    for name, op in how.items():
        if op == "count":
            out.fields[name] = len(rows)
            continue
        source = name if op != "count" else None
        vals = [r.fields[source] for r in rows if source and source in r.fields]
        if not vals:
            continue
        if op == "avg":
            out.fields[name] = round(sum(vals) / len(vals), 2)
        elif op == "sum":
            out.fields[name] = sum(vals)
        elif op == "min":
            out.fields[name] = min(vals)
        elif op == "max":
            out.fields[name] = max(vals)
    return [out]


def parse_metric(
    metric: Metric, raw: RawSnmp, device: Device, state: RateState | None
) -> list[Row]:
    """Rows of one metric after processors, derived fields, aggregation and rates."""
    if metric.scalar:
        rows = [_build_row(metric, raw, "", table=False)]
    else:
        rows = [_build_row(metric, raw, idx, table=True) for idx in _row_indexes(metric, raw)]
    if metric.require:
        rows = [r for r in rows if all(k in r.fields or k in r.tags for k in metric.require)]
    ctx = RowContext(raw=raw, device=device, metric=metric)
    for name in metric.processors:
        rows = PROCESSORS[name](rows, ctx)
    if metric.derive:
        for row in rows:
            _derive(row, metric.derive)
    if metric.aggregate:
        rows = _aggregate(rows, metric.aggregate, metric.measurement)
    if metric.rates and state is not None:
        for row in rows:
            disc = None
            if metric.discontinuity and metric.discontinuity.oid:
                disc = raw.columns.get(metric.discontinuity.oid, {}).get(row.index)
            apply_rates(
                state,
                (metric.name, row.index),
                raw.started_ns,
                row.fields,
                row.counter_bits,
                metric.rates,
                identity=tuple(row.tags.get(t, "") for t in metric.identity),
                discontinuity=disc,
            )
    return [r for r in rows if r.fields]


def base_tags(device: Device, device_class: str) -> dict[str, str]:
    """The tags every sample of a device carries: labels, then device and class."""
    tags = {k: v for k, v in device.labels.items() if v}
    tags["device"] = device.name
    tags["class"] = device_class
    return tags


def parse_snmp(
    raw: RawSnmp,
    profile: Profile,
    device: Device,
    state: RateState | None = None,
) -> ParseResult:
    """Every sample the profile describes, from one raw poll (rates when `state` is given)."""
    result = ParseResult()
    device_class = device.device_class or profile.device_class or "other"
    uptime = raw.scalars.get(SYS_UPTIME)
    if isinstance(uptime, int):
        result.uptime_s = uptime / 100
    if state is not None:
        state.observe_uptime(result.uptime_s)
    if profile.model:
        model, _ = _pick(profile.model, None, raw, "", "tag")
        result.model = model
    tags = base_tags(device, device_class)
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, int | float]] = {}
    answered: dict[str, set[str]] = {}
    for metric in profile.metrics:
        try:
            rows = parse_metric(metric, raw, device, state)
        except Exception as exc:  # a quirk that chokes on odd data must not lose the poll
            result.errors.append(f"{metric.name}: {type(exc).__name__}: {exc}")
            continue
        for row in rows:
            answered.setdefault(metric.name, set()).update(row.fields)
            row_tags = {**tags, **row.tags}
            key = (row.measurement, tuple(sorted(row_tags.items())))
            merged.setdefault(key, {}).update(row.fields)
    for metric in profile.metrics:
        rate_fields = {r.rate for r in metric.rates} | {r.util for r in metric.rates if r.util}
        for name in metric.declared_fields():
            if name not in rate_fields and name not in answered.get(metric.name, set()):
                result.unanswered.append(f"{metric.name}.{name}")
    for (measurement, tag_items), fields in merged.items():
        if measurement == "device":
            continue  # the pipeline writes one device sample per poll, see device_sample
        result.samples.append(Sample(measurement, dict(tag_items), fields, raw.started_ns))
    result.samples.sort(key=lambda s: s.measurement)
    device_fields = next((f for (m, t), f in merged.items() if m == "device"), {})
    if result.uptime_s is None and "uptime_seconds" in device_fields:
        result.uptime_s = float(device_fields["uptime_seconds"])
    return result


def device_sample(
    device: Device,
    device_class: str,
    time_ns: int,
    *,
    up: bool,
    poll_seconds: float,
    poll_errors: int,
    uptime_s: float | None = None,
    vendor: str | None = None,
    model: str | None = None,
) -> Sample:
    """The one `device` sample every poll yields, also when the poll failed."""
    tags = base_tags(device, device_class)
    if vendor:
        tags["vendor"] = vendor
    if model:
        tags["model"] = model
    fields: dict[str, int | float] = {
        "up": 1 if up else 0,
        "poll_seconds": round(poll_seconds, 4),
        "poll_errors": poll_errors,
    }
    if uptime_s is not None and up:
        fields["uptime_seconds"] = round(uptime_s, 2)
    return Sample("device", tags, fields, time_ns)
