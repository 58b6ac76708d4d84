"""RawTrap + trap maps -> one `event` sample (pure).

    sample = TrapParser(maps).parse(raw, base_tags={"device": "sw1", "class": "switch"})

Tags `event` and `severity` (from the map; `unknown`/`info` for a trap no map knows), plus
the device's tags, the tags the map names and `user` (the SNMPv3 user, for a v3 trap);
fields `trap_oid`, `message`, `received` (1, so stores without string fields keep a numeric
trace and alert rules have a number to match) and the fields the map names. An unknown
trap keeps its OID and its varbinds in the message.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanpulse.core.model import FieldValue, RawTrap, Sample, SnmpValue, make_sample
from lanpulse.core.schema import MEASUREMENTS, FieldSpec
from lanpulse.core.trapmap import TrapMap, TrapMapSet, VarbindSource

UNKNOWN_EVENT = "unknown"
MESSAGE_MAX = 1024  # characters; a trap's text is a summary, not a log file
_EVENT_FIELDS: Mapping[str, FieldSpec] = MEASUREMENTS["event"].fields


class _Blank(dict[str, str]):
    """Template values: a name the trap did not carry renders as `?`."""

    def __missing__(self, key: str) -> str:
        return "?"


def _text(value: SnmpValue) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").replace("\x00", "").strip()
    return str(value)


def _shown(value: FieldValue) -> str:
    """A field as a message shows it (a number the schema stores as float: `42`, not `42.0`)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _field(value: SnmpValue, spec: FieldSpec) -> FieldValue | None:
    """A varbind value as the schema's field type, or None when it is not one."""
    if spec.kind == "text":
        return _text(value)[:MESSAGE_MAX]
    if isinstance(value, int):
        return value if spec.kind == "int" else float(value)
    return None


def _pick(
    sources: list[VarbindSource], varbinds: tuple[tuple[str, SnmpValue], ...]
) -> SnmpValue | None:
    """The first source's value (or instance suffix) found among the varbinds, else None."""
    for source in sources:
        for oid, value in varbinds:
            suffix = source.matches(oid)
            if suffix is not None:
                return suffix if source.index else value
    return None


class TrapParser:
    """Turns received traps into `event` samples with one map set (owned by the daemon)."""

    def __init__(self, maps: TrapMapSet) -> None:
        self.maps = maps

    def parse(self, raw: RawTrap, base_tags: Mapping[str, str]) -> Sample:
        """The `event` sample of one trap; `base_tags` are the device's (device, class,
        labels)."""
        trap_map = self.maps.get(raw.trap_oid)
        if trap_map is None:
            return self._unknown(raw, base_tags)
        tags = dict(base_tags)
        fields: dict[str, FieldValue] = {"trap_oid": raw.trap_oid}
        varbinds = raw.varbinds
        for name, sources in trap_map.tags.items():
            value = _pick(sources, varbinds)
            if value is not None:
                text = _text(value)
                if text:
                    tags[name] = text
        for name, sources in trap_map.fields.items():
            value = _pick(sources, varbinds)
            if value is not None:
                converted = _field(value, _EVENT_FIELDS[name])
                if converted is not None:
                    fields[name] = converted
        tags["event"] = trap_map.event
        tags["severity"] = _severity(trap_map, varbinds)
        if raw.security_name:
            tags["user"] = raw.security_name
        values = _Blank({**tags, **{k: _shown(v) for k, v in fields.items()}})
        fields["message"] = trap_map.message.format_map(values)[:MESSAGE_MAX]
        fields["received"] = 1
        return make_sample("event", tags, fields, raw.received_ns)

    def _unknown(self, raw: RawTrap, base_tags: Mapping[str, str]) -> Sample:
        shown = ", ".join(f"{oid}={_text(value)}" for oid, value in raw.varbinds)
        message = f"unmapped trap {raw.trap_oid}" + (f": {shown}" if shown else "")
        tags = {**base_tags, "event": UNKNOWN_EVENT, "severity": "info"}
        if raw.security_name:
            tags["user"] = raw.security_name
        fields: dict[str, FieldValue] = {
            "trap_oid": raw.trap_oid,
            "message": message[:MESSAGE_MAX],
            "received": 1,
        }
        return make_sample("event", tags, fields, raw.received_ns)


def _severity(trap_map: TrapMap, varbinds: tuple[tuple[str, SnmpValue], ...]) -> str:
    rule = trap_map.severity_from
    if rule is not None:
        value = _pick([rule], varbinds)
        if isinstance(value, int) and value in rule.map:
            return rule.map[value]
    return trap_map.severity
