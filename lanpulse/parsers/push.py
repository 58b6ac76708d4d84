"""Pushed agent points -> canonical samples, by the mapping data (pure).

One call maps the points one host pushed in one request. Lines of the same canonical
measurement, tags and time merge into one sample (Telegraf's cpu, mem, system and
processes lines make one `host` sample). Counters become rates through `parsers/rates.py`,
the same code and rules as SNMP (64-bit decrease = reset, a restart gives no rate), with the
host's uptime for restart detection. A value the schema refuses is left out and counted,
as SNMP sentinels are. Every mapped host also gets its `device` sample with `up = 1`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lanpulse.core.lineprotocol_parse import Point
from lanpulse.core.model import Sample, make_sample
from lanpulse.core.push_map import MeasurementMapping, PushMap
from lanpulse.core.schema import MEASUREMENTS, FieldSpec, check_value
from lanpulse.parsers.rates import RatePlan, RateState, apply_rates_to_rows, rate_rules
from lanpulse.parsers.rows import Row

# Field rule: (canonical name, agent field, scale, complement, as int, code map, schema spec).
_FieldRule = tuple[str, str, float, float | None, bool, Mapping[int, float] | None, FieldSpec]


@dataclass(frozen=True, slots=True)
class HostContext:
    """Who pushed: the device name, its class and its inventory labels."""

    device: str
    device_class: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A mapping compiled once: regexes, field rules, rate plan."""

    key: str  # the rate-state metric name: agent measurement and mapping position
    to: str
    where: tuple[tuple[str, re.Pattern[str]], ...]
    exclude: tuple[tuple[str, re.Pattern[str]], ...]
    tags: tuple[tuple[str, str], ...]
    set_tags: tuple[tuple[str, str], ...]
    fields: tuple[_FieldRule, ...]
    require: tuple[str, ...]
    plan: RatePlan | None
    counter_bits: dict[str, int]
    identity: tuple[str, ...]
    rate_fields: tuple[str, ...]


@dataclass(slots=True)
class MappedHost:
    """What one host's points became."""

    samples: list[Sample]
    passthrough: list[Point]  # points without a mapping, for InfluxDB unchanged
    unmapped: int = 0  # points without a mapping (passed through or dropped)
    refused_values: int = 0  # values the schema refused (left out)


class PushMapper:
    """Applies a `PushMap`; holds the compiled mappings (built once per map)."""

    def __init__(self, push_map: PushMap, *, pass_unmapped: bool = True) -> None:
        self.pass_unmapped = pass_unmapped
        self._by_measurement: dict[str, tuple[_Compiled, ...]] = {
            name: tuple(_compile(f"{name}:{i}", m) for i, m in enumerate(mappings))
            for name, mappings in push_map.measurements.items()
        }

    def map_host(self, points: Iterable[Point], host: HostContext, rates: RateState) -> MappedHost:
        """The canonical samples of one host's points (rates kept in `rates`)."""
        out = MappedHost([], [])
        merged: dict[tuple[str, tuple[tuple[str, str], ...], int], dict[str, int | float]] = {}
        rate_rows: dict[tuple[int, str], list[Row]] = {}
        compiled_of: dict[str, _Compiled] = {}
        base_tags = {**host.labels, "device": host.device, "class": host.device_class}
        latest = 0
        for point in points:
            latest = max(latest, point.time_ns)
            mappings = self._by_measurement.get(point.measurement)
            if mappings is None:
                out.unmapped += 1
                if self.pass_unmapped:
                    out.passthrough.append(point)
                continue
            for cm in mappings:
                tags = _tags(cm, point, base_tags)
                if tags is None:
                    continue
                fields, refused = _fields(cm, point.fields)
                out.refused_values += refused
                if not fields or any(name not in fields for name in cm.require):
                    continue
                key = (cm.to, tuple(sorted(tags.items())), point.time_ns)
                have = merged.get(key)
                if have is None:
                    have = merged[key] = fields
                else:
                    have.update(fields)
                if cm.plan is not None:  # the row shares the sample's fields: rates land there
                    row = Row(tags[cm.identity[0]], cm.to, tags, have)
                    row.counter_bits = cm.counter_bits
                    rate_rows.setdefault((point.time_ns, cm.key), []).append(row)
                    compiled_of[cm.key] = cm
        device_key = ("device", tuple(sorted(base_tags.items())), latest)
        device_fields = merged.setdefault(device_key, {})
        device_fields["up"] = 1
        if points_uptime := device_fields.get("uptime_seconds"):
            rates.observe_uptime(float(points_uptime))
        # Rates in time order: a batch may hold more than one interval of a slow agent.
        for (time_ns, metric), rows in sorted(rate_rows.items()):
            cm = compiled_of[metric]
            assert cm.plan is not None
            apply_rates_to_rows(rates, metric, rows, time_ns, cm.plan, cm.identity)
            spec = MEASUREMENTS[cm.to].fields
            for row in rows:  # a rate is checked against the schema like any value
                for name in [n for n in cm.rate_fields if n in row.fields]:
                    if check_value("", name, row.fields[name], spec[name]):
                        del row.fields[name]
                        out.refused_values += 1
        for (measurement, tag_items, time_ns), fields in merged.items():
            if fields:
                out.samples.append(make_sample(measurement, dict(tag_items), fields, time_ns))
        return out


def _compile(key: str, m: MeasurementMapping) -> _Compiled:
    spec = MEASUREMENTS[m.to]
    rules = rate_rules(m.rates)
    identity = tuple(sorted(spec.required_tags)) or ("device",)
    return _Compiled(
        key=key,
        to=m.to,
        where=tuple((t, re.compile(r)) for t, r in m.where.items()),
        exclude=tuple((t, re.compile(r)) for t, r in m.exclude.items()),
        tags=tuple(m.tags.items()),
        set_tags=tuple(m.set_tags.items()),
        fields=tuple(
            (name, r.field, r.scale, r.complement, r.int, r.map, spec.fields[name])
            for name, r in m.fields.items()
        ),
        require=tuple(m.require),
        plan=RatePlan.of(rules) if rules else None,
        counter_bits={r.counter: m.counter_bits or 64 for r in m.rates},
        identity=identity,
        rate_fields=tuple(r.rate for r in rules),
    )


def _tags(cm: _Compiled, point: Point, base: Mapping[str, str]) -> dict[str, str] | None:
    """The canonical tags of `point` under `cm`, or None when the mapping does not apply."""
    ptags = point.tags
    for tag, pattern in cm.where:
        value = ptags.get(tag)
        if value is None or not pattern.fullmatch(value):
            return None
    for tag, pattern in cm.exclude:
        value = ptags.get(tag)
        if value is not None and pattern.fullmatch(value):
            return None
    tags = dict(base)
    for canonical, source in cm.tags:
        value = ptags.get(source)
        if not value:
            return None
        tags[canonical] = value
    tags.update(cm.set_tags)
    return tags


def _fields(cm: _Compiled, values: Mapping[str, object]) -> tuple[dict[str, int | float], int]:
    """The canonical fields of one point, and how many values the schema refused."""
    out: dict[str, int | float] = {}
    refused = 0
    for name, source, scale, complement, as_int, codes, spec in cm.fields:
        raw = values.get(source)
        if raw is None or isinstance(raw, bool | str):
            continue
        value: int | float = raw  # type: ignore[assignment]
        if codes is not None:
            mapped = codes.get(int(value)) if float(value).is_integer() else None
            if mapped is None:
                continue  # a code the mapping does not know: unknown, left out
            value = mapped
        if scale != 1.0:
            value = value * scale
        if complement is not None:
            value = complement - value
        if as_int:
            value = round(value)
        elif spec.kind == "number":
            value = float(value)
        if check_value("", name, value, spec):
            refused += 1
            continue
        out[name] = value
    return out, refused
