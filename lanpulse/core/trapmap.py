"""Trap maps: what a notification OID means, as data (`lanpulse/config/traps/*.yaml`).

    linkDown:                                   # the `event` tag
      oid: 1.3.6.1.6.3.1.1.5.3                  # snmpTrapOID (v1 traps: RFC 3584 form)
      severity: warning                         # critical | warning | info
      severity_from: {oid: 1.3.6.1.2.1.43.18.1.1.2, map: {3: critical, 4: warning}}
      tags:                                     # tag -> varbind sources, first found wins
        if_index: [1.3.6.1.2.1.2.2.1.1, {index: 1.3.6.1.2.1.2.2.1.7}]
        if_name: [1.3.6.1.2.1.31.1.1.1.1, 1.3.6.1.2.1.2.2.1.2]
      fields: {admin_status: 1.3.6.1.2.1.2.2.1.7, oper_status: 1.3.6.1.2.1.2.2.1.8}
      message: "{if_name} (ifIndex {if_index}) is down"

A source OID names an object: the varbind whose OID is that object or an instance of it
(`OID.index`) gives the value; `{index: OID}` takes that varbind's instance suffix instead.
Tag and field names are the `event` measurement's (core/schema.py), checked when loading.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from lanpulse.core.schema import EVENT_SEVERITIES, MEASUREMENTS

_OID = re.compile(r"^\d+(?:\.\d+)+$")
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Tags the parser sets itself: a map cannot name them.
OWN_TAGS = frozenset({"device", "class", "event", "severity", "user"})
OWN_FIELDS = frozenset({"trap_oid", "message", "received"})


def _oid(value: object) -> str:
    if not isinstance(value, str) or not _OID.fullmatch(value.strip().lstrip(".")):
        raise ValueError(f"expected a numeric OID such as 1.3.6.1.2.1.2.2.1.1, got {value!r}")
    return value.strip().lstrip(".")


Oid = Annotated[str, BeforeValidator(_oid)]


class _AnyName(dict[str, str]):
    """Every name resolves: checks a template's syntax, not its names."""

    def __missing__(self, key: str) -> str:
        return ""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VarbindSource(_Strict):
    """One place a value comes from: a varbind's value (`oid`) or its instance (`index`)."""

    oid: Oid
    index: bool = False

    def matches(self, varbind_oid: str) -> str | None:
        """The instance suffix ("" for the object itself) when `varbind_oid` is under it."""
        if varbind_oid == self.oid:
            return ""
        if varbind_oid.startswith(self.oid) and varbind_oid[len(self.oid)] == ".":
            return varbind_oid[len(self.oid) + 1 :]
        return None


def _sources(value: object) -> object:
    """`OID`, `{index: OID}` or a list of them -> a list of VarbindSource mappings."""
    items = value if isinstance(value, list) else [value]
    out: list[object] = []
    for item in items:
        if isinstance(item, str):
            out.append({"oid": item})
        elif isinstance(item, dict) and set(item) == {"index"}:
            out.append({"oid": item["index"], "index": True})
        else:
            out.append(item)
    return out


Sources = Annotated[list[VarbindSource], BeforeValidator(_sources), Field(min_length=1)]


class SeverityFrom(VarbindSource):
    """Severity taken from an INTEGER varbind (Printer-MIB prtAlertSeverityLevel, ...)."""

    map: dict[int, str]

    @field_validator("map")
    @classmethod
    def _severities(cls, value: dict[int, str]) -> dict[int, str]:
        for code, severity in value.items():
            if severity not in EVENT_SEVERITIES:
                raise ValueError(f"{code}: {severity!r}, expected one of {list(EVENT_SEVERITIES)}")
        return value


class TrapMap(_Strict):
    """What one notification OID becomes."""

    event: str
    oid: Oid
    severity: str = "info"
    severity_from: SeverityFrom | None = None
    tags: dict[str, Sources] = Field(default_factory=dict)
    fields: dict[str, Sources] = Field(default_factory=dict)
    message: str = "{event}"
    source_file: str = ""

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        if not _EVENT_NAME.fullmatch(value):
            raise ValueError(f"bad event name {value!r}, expected letters, digits, _ and -")
        return value

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format_map(_AnyName())
        except (ValueError, IndexError, AttributeError) as exc:
            raise ValueError(f"bad message template ({exc}), expected text with {{name}}") from None
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value not in EVENT_SEVERITIES:
            raise ValueError(f"unknown severity {value!r}, expected one of {EVENT_SEVERITIES}")
        return value

    @field_validator("tags", "fields")
    @classmethod
    def _schema_names(
        cls, value: dict[str, list[VarbindSource]], info: ValidationInfo
    ) -> dict[str, list[VarbindSource]]:
        spec = MEASUREMENTS["event"]
        if info.field_name == "tags":
            kind, allowed = "tag", set(spec.optional_tags) - OWN_TAGS
        else:
            kind, allowed = "field", set(spec.fields) - OWN_FIELDS
        for name in value:
            if name not in allowed:
                raise ValueError(
                    f"unknown event {kind} {name!r}, expected one of {sorted(allowed)} "
                    "(a new one goes in core/schema.py and docs/schema.md)"
                )
        return value


class TrapMapSet:
    """Every trap map, by notification OID (built once; the receiver's hot path looks up)."""

    def __init__(self, maps: list[TrapMap]) -> None:
        self.by_oid: dict[str, TrapMap] = {m.oid: m for m in maps}

    def get(self, trap_oid: str) -> TrapMap | None:
        """The map of a notification OID, or None (an unknown trap)."""
        return self.by_oid.get(trap_oid)

    def __len__(self) -> int:
        return len(self.by_oid)
