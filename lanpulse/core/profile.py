"""Device knowledge as typed data: what a profile fetches and how columns become samples.

Profiles are YAML files (lanpulse/config/profiles/) validated into these models by
`lanpulse.config.profiles`; parsers read them, collectors read only the plan derived
from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _oid(value: str) -> str:
    value = value.strip().lstrip(".")
    parts = value.split(".")
    if not value or not all(p.isdigit() for p in parts):
        raise ValueError(f"{value!r} is not a dotted numeric OID")
    return value


def _check_regex(tag: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{tag}: {pattern!r} is not a regex: {exc}") from None


class Source(BaseModel):
    """Where one tag or field value comes from, and how it is converted."""

    model_config = _FROZEN

    oid: str | None = None  # a column (tables) or a full instance OID (scalars)
    # The MIB object's name next to its OID (as Datadog's profiles carry `name` with `OID`):
    # `profiles show` and `poll --explain` print it; discovery finds its columns by it.
    # Optional here (user profiles may leave it out); tests/test_profiles_cli.py requires
    # it on every OID of the shipped profiles.
    name: str | None = Field(default=None, pattern=r"^[a-zA-Z][A-Za-z0-9-]*$")
    index: int | None = None  # take the Nth (1-based) component of the row index instead
    value: Any = None  # a constant
    scale: float | None = None  # multiply numeric values
    map: dict[str, Any] | None = None  # raw value (as text) -> value; unmapped values drop
    default: Any = None  # used when the mapped value is absent from `map`
    regex: str | None = None  # extract group 1 (or the whole match) from the text
    as_: Literal["string", "hex", "int", "float", "oid", "mac"] | None = Field(
        default=None, alias="as"
    )
    counter: Literal[32, 64] | None = None  # counter width, for wrap-aware rates
    invalid: list[int] | None = None  # vendor sentinels meaning "unknown": left out
    format: str | None = None  # tags: a template for the text, e.g. "Disk {}"

    @field_validator("oid")
    @classmethod
    def _check_oid(cls, v: str | None) -> str | None:
        return None if v is None else _oid(v)


class RateSpec(BaseModel):
    """A per-second rate from a counter field, with its ceiling and optional utilisation."""

    model_config = _FROZEN

    counter: str
    rate: str
    scale: float = 1.0  # e.g. 8 for octets -> bits
    max_field: str | None = None  # a rate above this field's value is impossible: dropped
    util: str | None = None  # utilisation % of max_field
    # A rate of frames (errors, discards) above what this bits/s field can carry in
    # minimum-size frames is impossible too (a reset read as a wrap): dropped.
    frames_within: str | None = None


class Metric(BaseModel):
    """One scalar group or table of a profile, producing samples of one measurement."""

    model_config = _FROZEN

    name: str
    measurement: str
    scalar: bool = False
    index_tag: str | None = None
    tags: dict[str, Source | list[Source]] = {}
    fields: dict[str, Source | list[Source]] = {}
    extra: dict[str, Source | list[Source]] = {}  # raw values handed to processors
    fetch: list[str] = []  # further columns processors read through the context
    rates: list[RateSpec] = []
    derive: dict[str, dict[str, list[str]]] = {}  # field -> {op: [operands]}
    processors: list[str] = []  # named quirk modules, applied in order
    produces: list[str] = []  # fields the processors create (for coverage and --explain)
    aggregate: dict[str, Literal["avg", "sum", "min", "max", "count"]] | None = None
    discontinuity: Source | None = None  # a change of this value resets the row's counters
    identity: list[str] = []  # tags whose change means the index names another entity
    require: list[str] = []  # rows missing any of these fields/tags are dropped
    # Identity that changes rarely (sysLocation, serial numbers, firmware, neighbours): its
    # OIDs are fetched on full polls only, with the label columns (pipeline/labels.py).
    inventory: bool = False
    # Rows not collected at all: tag -> regexes searched in the tag's text (as the columns
    # give it, before processors). For entries that are not what the measurement means,
    # e.g. the filter layers Windows lists as interfaces (see _windows.yaml).
    exclude: dict[str, list[str]] = {}
    # Text cut from tags, as data (snmp_exporter's regex_extracts): tag -> a regex whose
    # matches are removed from the tag's text, then the spaces around it; a text that would
    # be left empty stays as it was. Applied after `exclude`, before processors. For vendor
    # suffixes that would make a new series per cartridge (a serial) or crowd dashboards.
    cut: dict[str, str] = {}

    @field_validator("exclude")
    @classmethod
    def _check_exclude(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for tag, patterns in v.items():
            for pattern in patterns:
                _check_regex(tag, pattern)
        return v

    @field_validator("cut")
    @classmethod
    def _check_cut(cls, v: dict[str, str]) -> dict[str, str]:
        for tag, pattern in v.items():
            _check_regex(tag, pattern)
        return v

    @model_validator(mode="after")
    def _exclude_names_tags(self) -> Metric:
        # Rows are excluded (and texts cut) on their sourced tags, before the index tag is
        # set: any other name would silently do nothing.
        for key, names in (("exclude", self.exclude), ("cut", self.cut)):
            unknown = [name for name in names if name not in self.tags]
            if unknown:
                raise ValueError(
                    f"{key}: {unknown[0]!r} is not one of this metric's tags "
                    f"({', '.join(self.tags)})"
                )
        return self

    @field_validator("fetch")
    @classmethod
    def _check_fetch(cls, v: list[str]) -> list[str]:
        return [_oid(o) for o in v]

    def declared_fields(self) -> list[str]:
        """Every field this metric may write: sourced, derived, rates and processor-made."""
        names: dict[str, None] = dict.fromkeys(self.fields)
        names.update(dict.fromkeys(self.produces))
        names.update(dict.fromkeys(self.derive))
        for rate in self.rates:
            names[rate.rate] = None
            if rate.util:
                names[rate.util] = None
        if self.aggregate:
            names.update(dict.fromkeys(self.aggregate))
        return list(names)

    def sources(self) -> dict[str, list[Source]]:
        """Every named source of the metric (tags, fields, extra) as lists in priority order."""
        out: dict[str, list[Source]] = {}
        for group in (self.tags, self.fields, self.extra):
            for key, src in group.items():
                out[key] = src if isinstance(src, list) else [src]
        return out


class Evidence(BaseModel):
    """Something a device of unknown vendor answers that tells its class (`match.answers`)."""

    model_config = _FROZEN

    what: str  # what it is, for `poll --explain`: "Printer-MIB prtMarkerSuppliesLevel"
    get: str | None = None  # an instance OID to GET...
    walk: str | None = None  # ...or a column to walk
    min: int = 1  # get: a number at least this; walk: at least this many (matching) rows
    values: list[int] = []  # only these codes count (e.g. FC-MGMT connUnitType storage kinds)

    @field_validator("get", "walk")
    @classmethod
    def _check_oid(cls, v: str | None) -> str | None:
        return None if v is None else _oid(v)

    @model_validator(mode="after")
    def _one_source(self) -> Evidence:
        if (self.get is None) == (self.walk is None):
            raise ValueError("evidence needs exactly one of 'get' and 'walk'")
        return self

    def holds(self, answers: Mapping[str, list[int]]) -> int | None:
        """What the device answered (the value, or the number of rows) when it meets the
        evidence, else None. `answers` holds numbers, 1 for a text value."""
        got = answers.get(self.get or self.walk or "")
        if not got:
            return None
        if self.values:
            got = [v for v in got if v in self.values]
            if not got:
                return None
        number = got[0] if self.get else len(got)
        return number if number >= self.min else None


class Match(BaseModel):
    """How a profile is chosen: sysObjectID prefixes first, then sysDescr patterns."""

    model_config = _FROZEN

    sysobjectid: list[str] = []
    sysdescr: list[str] = []
    # Narrow a sysObjectID match: the profile applies only if sysDescr also matches one of
    # `refine`, and/or the device answers one of the `probe` OIDs (for OEM agents that
    # report a generic sysObjectID, e.g. net-snmp's Linux OID on a Synology NAS).
    refine: list[str] = []
    probe: list[str] = []
    # Class inference for a device no sysObjectID or sysDescr rule matches: the profile is
    # chosen when the device answers one of these (docs/profiles.md, "Unknown vendors").
    answers: list[Evidence] = []

    @field_validator("probe")
    @classmethod
    def _check_probe(cls, v: list[str]) -> list[str]:
        return [_oid(p) for p in v]

    @field_validator("sysobjectid")
    @classmethod
    def _check_prefixes(cls, v: list[str]) -> list[str]:
        return [_oid(p.rstrip(".")) for p in v]


class Profile(BaseModel):
    """A resolved profile (after `extends`): identity, selection and metrics."""

    model_config = _FROZEN

    name: str
    description: str = ""
    extends: list[str] = []
    match: Match = Match()
    priority: int = 0
    device_class: str | None = Field(default=None, alias="class")
    vendor: str | None = None
    model: list[Source] = []
    metrics: list[Metric] = []
    source_file: str = ""

    def plan_oids(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The scalar OIDs to GET and the column OIDs to walk, deduplicated, in order."""
        scalars: dict[str, None] = {}
        columns: dict[str, None] = {}
        for src in self.model:
            if src.oid:
                scalars[src.oid] = None
        for metric in self.metrics:
            target = scalars if metric.scalar else columns
            for srcs in metric.sources().values():
                for s in srcs:
                    if s.oid:
                        target[s.oid] = None
            if metric.discontinuity and metric.discontinuity.oid:
                target[metric.discontinuity.oid] = None
            for oid in metric.fetch:
                columns[oid] = None
        return tuple(scalars), tuple(columns)

    def counter_columns(self) -> frozenset[str]:
        """The table columns read as counters (field sources with a `counter` width)."""
        return frozenset(
            src.oid
            for metric in self.metrics
            if not metric.scalar
            for srcs in metric.fields.values()
            for src in (srcs if isinstance(srcs, list) else [srcs])
            if src.counter and src.oid
        )
