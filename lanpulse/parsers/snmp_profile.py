"""The generic SNMP parser: a raw poll plus a profile become canonical samples.

Pure: no I/O. Vendor knowledge comes from the profile (data) and from the named
processors it lists; rate state is passed in and updated in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter

from lanpulse.core.model import Device, RawSnmp, Sample, SnmpValue
from lanpulse.core.profile import Profile, Source
from lanpulse.parsers.derive import apply_derive
from lanpulse.parsers.metric_plan import MetricPlan
from lanpulse.parsers.quirks import PROCESSORS
from lanpulse.parsers.rates import RateState, apply_rates_to_rows
from lanpulse.parsers.rows import Row, RowContext, absent_fields
from lanpulse.parsers.values import convert

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
_MEASUREMENT = attrgetter("measurement")  # the samples' sort key
_NAME = itemgetter(0)  # a (tag, text) pair's sort key: a row's tag names are unique


@dataclass(frozen=True, slots=True)
class MetricFailure:
    """One metric of a poll that could not be parsed: which, and the exception itself (a
    `ParseError` when the profile's own rules cannot be applied, today a `derive` rule without
    operands that parsers/derive.py raises at compile time and `MetricPlan` re-raises when
    the metric is parsed; else whatever a quirk raised), so callers can tell failures apart
    by type; `str()` is the one-line text the pipeline records (a `PollError`'s message)."""

    metric: str
    error: Exception

    def __str__(self) -> str:
        return f"{self.metric}: {type(self.error).__name__}: {self.error}"


@dataclass(slots=True)
class ParseResult:
    """Samples of one poll, plus what could not be parsed and what the device did not answer."""

    samples: list[Sample] = field(default_factory=list)
    failures: list[MetricFailure] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    model: str | None = None
    uptime_s: float | None = None

    @property
    def errors(self) -> list[str]:
        """The failures as one line each (`metric: ErrorType: message`)."""
        return [str(f) for f in self.failures]


_MODELS_LIMIT = 1024  # device identities remembered per compiled profile


@dataclass(slots=True)
class CompiledProfile:
    """A profile compiled once for parsing: a `MetricPlan` per metric, and the memos they
    and the model lookup fill. Whoever parses with a profile keeps one of these (the poller
    per loaded profile); a reload builds new ones, and the old memos go with the old object.
    """

    profile: Profile
    plans: tuple[MetricPlan, ...]
    # No two metrics share a name (the loader merges them by name): each is answered alone.
    unique_names: bool
    # The model by (the model sources' values, with their types): sysDescr and sysObjectID
    # rarely change, so the regex/map work is done once per device, not every poll.
    models: dict[tuple[object, ...], str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: Profile) -> CompiledProfile:
        """Compile every metric of `profile`."""
        names = [m.name for m in profile.metrics]
        return cls(
            profile, tuple(MetricPlan.of(m) for m in profile.metrics), len(set(names)) == len(names)
        )

    def model(self, raw: RawSnmp) -> str | None:
        """The device model: the first model source that yields a tag text."""
        sources = self.profile.model
        scalars = raw.scalars
        # The value's type is part of the key: an Oid equals the str of the same text, and
        # convert treats them apart.
        key: list[object] = []
        for src in sources:
            value = scalars.get(src.oid) if src.oid is not None else None
            key += (type(value), value)
        try:
            known = tuple(key) in self.models
        except TypeError:  # an unhashable value (never from an agent): no memo
            return _model_of(sources, raw)
        if known:
            return self.models[tuple(key)]
        if len(self.models) >= _MODELS_LIMIT:
            self.models.clear()
        model = self.models[tuple(key)] = _model_of(sources, raw)
        return model


def _model_of(sources: list[Source], raw: RawSnmp) -> str | None:
    for src in sources:
        value: SnmpValue | None = None
        if src.oid is not None:
            value = raw.scalars.get(src.oid)
            if value is None:
                continue
        text = convert(src, value, "", "tag")
        if text is not None:
            return str(text)
    return None


def _aggregate(rows: list[Row], how: Mapping[str, str], measurement: str) -> list[Row]:
    if not rows:
        return []
    out = Row(index="", measurement=measurement)
    for name, op in how.items():
        if op == "count":
            out.fields[name] = len(rows)
            continue
        if not name:
            continue  # no source field: nothing to aggregate
        vals = [r.fields[name] for r in rows if name in r.fields]
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
    plan: MetricPlan, raw: RawSnmp, device: Device, state: RateState | None
) -> tuple[list[Row], frozenset[str]]:
    """Rows of one metric after processors, derived fields, aggregation and rates, and
    which of the plan's `probed` fields no row holds."""
    metric = plan.metric
    if plan.inventory and not plan.answered_any(raw):
        return [], plan.probed  # between label walks: nothing of it was fetched
    rows = plan.rows(raw)
    if plan.require:
        rows = [
            r
            for r in rows
            if all(k in r.fields or k in r.tags or k in r.extra for k in plan.require)
        ]
    if plan.processors:
        ctx = RowContext(raw=raw, device=device, metric=metric)
        for name in plan.processors:
            rows = PROCESSORS[name](rows, ctx)
    if plan.derive_error is not None and rows:
        raise plan.derive_error
    if plan.derive:
        for row in rows:
            apply_derive(row, plan.derive)
    if metric.aggregate:
        rows = _aggregate(rows, metric.aggregate, metric.measurement)
    # Before rates: they add only their own fields, which are not probed.
    absent = absent_fields(plan.probed, rows)
    if plan.rate_rules and state is not None:
        disc_oid = metric.discontinuity.oid if metric.discontinuity else None
        apply_rates_to_rows(
            state,
            metric.name,
            rows,
            raw.started_ns,
            plan.rates,
            plan.identity,
            raw.columns.get(disc_oid, {}) if disc_oid else None,
            absent,
        )
    return [r for r in rows if r.fields], absent


def _unanswered(unanswerable: tuple[tuple[str, str], ...], absent: frozenset[str]) -> list[str]:
    """Labels of the declared fields that no row answered (`absent`, see parse_metric)."""
    return [label for name, label in unanswerable if name in absent] if absent else []


def _identify(tags: dict[str, str], vendor: str | None, model: str | None) -> None:
    """device_info carries the vendor and model the `device` sample has (the same names on
    both); the ENTITY-MIB model stays only where the profile finds none."""
    if vendor:
        tags["vendor"] = vendor
    if model:
        tags["model"] = model


def base_tags(device: Device, device_class: str) -> dict[str, str]:
    """The tags every sample of a device carries: labels, then device and class."""
    tags = {k: v for k, v in device.labels.items() if v}
    tags["device"] = device.name
    tags["class"] = device_class
    return tags


def parse_snmp(
    raw: RawSnmp,
    profile: Profile | CompiledProfile,
    device: Device,
    state: RateState | None = None,
) -> ParseResult:
    """Every sample the profile describes, from one raw poll (rates when `state` is given).

    A plain `Profile` is compiled for this call only: callers that parse every poll pass
    the `CompiledProfile` they keep.
    """
    compiled = profile if isinstance(profile, CompiledProfile) else CompiledProfile.of(profile)
    profile = compiled.profile
    result = ParseResult()
    device_class = device.device_class or profile.device_class or "other"
    uptime = raw.scalars.get(SYS_UPTIME)
    if isinstance(uptime, int):
        result.uptime_s = uptime / 100
    if state is not None:
        state.observe_uptime(result.uptime_s)
    if profile.model:
        result.model = compiled.model(raw)
    tags = base_tags(device, device_class)
    # Rows whose final tag sets (base tags overridden by row tags) are equal merge into one
    # sample: the key holds the final set, sorted; so do the sample's tags.
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, int | float]] = {}
    base_items = list(tags.items())
    base_names = tags.keys()
    unique_names = compiled.unique_names
    answered: dict[str, set[str]] = {}
    for plan in compiled.plans:
        metric = plan.metric
        try:
            rows, absent = parse_metric(plan, raw, device, state)
        except Exception as exc:  # a quirk that chokes on odd data must not lose the poll
            result.failures.append(MetricFailure(metric.name, exc))
            rows, absent = [], plan.probed
        if unique_names:
            result.unanswered.extend(_unanswered(plan.unanswerable, absent))
        elif rows:
            seen = answered.setdefault(metric.name, set())
            for row in rows:
                seen.update(row.fields)
        for row in rows:
            if base_names.isdisjoint(row.tags):  # usual: nothing to override, just sort
                items = [*base_items, *row.tags.items()]
            else:
                items = list({**tags, **row.tags}.items())
            items.sort(key=_NAME)  # a fifth cheaper than comparing the pairs
            # Rows are the parser's own, made for this poll: the first one's fields dict is
            # taken, the others' merge into it.
            fields = merged.setdefault((row.measurement, tuple(items)), row.fields)
            if fields is not row.fields:
                fields.update(row.fields)
    if not unique_names:
        for plan in compiled.plans:
            got = answered.get(plan.metric.name, ())
            result.unanswered.extend(label for name, label in plan.unanswerable if name not in got)
    started = raw.started_ns
    add = result.samples.append
    for (measurement, tag_items), fields in merged.items():
        if measurement == "device":
            continue  # the pipeline writes one device sample per poll, see device_sample
        sample_tags = dict(tag_items)
        if measurement == "device_info":
            _identify(sample_tags, profile.vendor, result.model)
        add(Sample(measurement, sample_tags, fields, started))
    result.samples.sort(key=_MEASUREMENT)
    device_fields = next((f for (m, _), f in merged.items() if m == "device"), {})
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
