"""Merge the SNMP and CLI samples of one device: same series, one value per field.

Pure. A series is matched on measurement + identity tags (`series_key(join=True)`):
interfaces by canonical name, since most CLIs do not show the SNMP ifIndex. When both
sources provide a field, `prefer` says which wins; the SNMP sample's tags and timestamp are
kept (its series identity is the one already stored), CLI-only tags such as `if_alias` are
added, and CLI-only series pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lanpulse.core.model import FieldValue, Sample
from lanpulse.parsers.cli.series import SeriesKey, series_key

SOURCES = ("snmp", "cli")


def _winner(prefer: Mapping[str, str], measurement: str, field: str) -> str:
    """`measurement.field`, then `measurement`, then `*`; SNMP when nothing is said."""
    for key in (f"{measurement}.{field}", measurement, "*"):
        choice = prefer.get(key)
        if choice is not None:
            return choice
    return "snmp"


def check_preferences(prefer: Mapping[str, str]) -> None:
    """Raise ValueError (one line) when a preference names an unknown source."""
    for key, value in prefer.items():
        if value not in SOURCES:
            raise ValueError(f"source preference {key!r}: expected one of {SOURCES}, got {value!r}")


def merge_samples(
    snmp: Sequence[Sample], cli: Sequence[Sample], prefer: Mapping[str, str]
) -> list[Sample]:
    """SNMP samples with CLI fields merged in (by preference), then CLI-only samples."""
    check_preferences(prefer)
    merged: list[Sample] = list(snmp)
    index: dict[SeriesKey, int] = {}
    for i, s in enumerate(snmp):
        index.setdefault(series_key(s.measurement, s.tags, join=True), i)
    for c in cli:
        key = series_key(c.measurement, c.tags, join=True)
        at = index.get(key)
        if at is None:
            index[key] = len(merged)
            merged.append(c)
            continue
        base = merged[at]
        fields: dict[str, FieldValue] = dict(base.fields)
        for name, value in c.fields.items():
            if name not in fields or _winner(prefer, c.measurement, name) == "cli":
                fields[name] = value
        tags = dict(c.tags)
        tags.update(base.tags)
        merged[at] = Sample(base.measurement, tags, fields, base.time_ns)
    return merged


def merge_sources(
    snmp: Sequence[Sample], cli: Sequence[Sample], prefer: Mapping[str, str]
) -> list[Sample]:
    """One device's SNMP and CLI samples as one poll's worth.

    The `device` sample says the device answered when either source did (`up` is the
    larger), took as long as the slower source and counts both sources' errors; every other
    series is merged field by field, `prefer` deciding where both give a field.
    """
    snmp_dev = next((s for s in snmp if s.measurement == "device"), None)
    cli_dev = next((s for s in cli if s.measurement == "device"), None)
    merged = merge_samples(
        [s for s in snmp if s.measurement != "device"],
        [s for s in cli if s.measurement != "device"],
        prefer,
    )
    devices = [d for d in (snmp_dev, cli_dev) if d is not None]
    if not devices:
        return merged
    base = snmp_dev or devices[0]
    fields: dict[str, FieldValue] = {}
    for d in reversed(devices):  # SNMP's values last, so they win where not combined
        fields.update(d.fields)
    fields["up"] = max(int(d.fields.get("up", 0)) for d in devices)
    fields["poll_seconds"] = max(float(d.fields.get("poll_seconds", 0)) for d in devices)
    fields["poll_errors"] = sum(int(d.fields.get("poll_errors", 0)) for d in devices)
    tags = {k: v for d in reversed(devices) for k, v in d.tags.items()}
    if fields["up"]:
        tags.pop("error", None)  # one source answered: the device is not in error
    return [Sample("device", tags, fields, base.time_ns), *merged]
