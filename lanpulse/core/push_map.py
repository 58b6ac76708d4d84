"""The model of push mapping data (`lanpulse/config/push/*.yaml`): agent measurement ->
canonical measurement. Validated at load like profiles; applied by `parsers/push.py`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from lanpulse.core.profile import RateSpec
from lanpulse.core.schema import MEASUREMENTS

Codes = dict[
    int, float
]  # an agent's code -> the canonical value (outside the class: `int` is a key)


class FieldRule(BaseModel):
    """One canonical field from one agent field: value * scale, or complement - value, or a
    code looked up in `map` (an unmapped code is left out, as an SNMP sentinel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1)
    scale: float = 1.0
    complement: float | None = None
    int: bool = False
    map: Codes | None = None


def _field_rule(value: object) -> object:
    return {"field": value} if isinstance(value, str) else value


def check_regex(value: str) -> str:
    """`value` when it compiles as a regular expression; ValueError saying why otherwise."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r} ({exc})") from None
    return value


class MeasurementMapping(BaseModel):
    """One mapping of an agent measurement's lines to a canonical measurement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str
    where: dict[str, str] = Field(default_factory=dict)
    exclude: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    set_tags: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, Annotated[FieldRule, BeforeValidator(_field_rule)]] = Field(min_length=1)
    counter_bits: int | None = None
    rates: list[RateSpec] = Field(default_factory=list)
    require: list[str] = Field(default_factory=list)

    _check_re = field_validator("where", "exclude")(
        lambda v: {k: check_regex(x) for k, x in v.items()}
    )

    @model_validator(mode="after")
    def _canonical(self) -> MeasurementMapping:
        spec = MEASUREMENTS.get(self.to)
        if spec is None or not spec.device_scoped:
            raise ValueError(f"to: unknown measurement {self.to!r}, expected a canonical one")
        known_tags = spec.required_tags | spec.optional_tags
        for tag in [*self.tags, *self.set_tags]:
            if tag not in known_tags:
                raise ValueError(f"tag {tag!r} is not a tag of {self.to}, expected {known_tags}")
        produced = set(self.fields) | {r.rate for r in self.rates}
        for name in produced:
            if name not in spec.fields:
                raise ValueError(f"field {name!r} is not a field of {self.to}")
        missing = spec.required_tags - set(self.tags) - set(self.set_tags)
        if missing:
            raise ValueError(f"{self.to} needs tags {sorted(missing)}, expected them in tags")
        for rate in self.rates:
            if rate.counter not in self.fields:
                raise ValueError(f"rate counter {rate.counter!r} is not one of the fields")
        if self.counter_bits not in (None, 32, 64):
            raise ValueError("counter_bits: expected 32 or 64")
        return self


class PushMap(BaseModel):
    """A mapping file: agent measurement -> its mappings, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measurements: dict[str, list[MeasurementMapping]]
