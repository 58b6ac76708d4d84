"""Pure: `RawCli` + `CliProfile` -> canonical Samples, keeping what parsed, counting the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lanpulse.core.model import Device, FieldValue, RawCli, Sample
from lanpulse.core.schema import MEASUREMENTS
from lanpulse.parsers.cli.convert import CONVERTERS, to_size_bytes
from lanpulse.parsers.cli.ifname import canonical_if_name
from lanpulse.parsers.cli.profile import CliProfile, FieldMap, SampleMap, TagMap
from lanpulse.parsers.cli.series import series_key
from lanpulse.parsers.cli.textfsm_runner import parse_table

Row = Mapping[str, str | list[str]]
# What devices print for "not known / not applicable": left out, not counted as unreadable.
_NOT_KNOWN = frozenset({"n/a", "na", "-", "--", "none", "unknown", "not available", "auto"})


@dataclass(frozen=True, slots=True)
class CliParseResult:
    """Samples of one CLI poll, how many values/lines/rows were skipped, and why."""

    samples: tuple[Sample, ...]
    skipped: int
    problems: tuple[str, ...]


class _Skip(Exception):
    """A value that cannot be read; the mapper counts it and moves on."""


def _cell(row: Row, column: str) -> str:
    value = row.get(column)
    if value is None:
        raise _Skip(f"no column {column!r}")
    if isinstance(value, list):  # TextFSM `List` values: the first entry is the device's own
        value = value[0] if value else ""
    return value.strip()


def _field_value(row: Row, spec: FieldMap) -> FieldValue | None:
    """The field's value, None when the device left it blank; _Skip when unreadable."""
    try:
        if spec.op is not None:
            nums = []
            for col in spec.columns:
                text = _cell(row, col)
                if not text or text.lower() in _NOT_KNOWN:
                    return None
                nums.append(CONVERTERS[spec.convert](text))
            value: float = _apply_op(spec.op, nums)
        else:
            text = _cell(row, spec.column or "")
            if not text or (spec.map is None and text.lower() in _NOT_KNOWN):
                return None
            if spec.map is not None:
                low = text.lower()
                # Exact text first, then its first word ("up (connected)" -> "up").
                code = spec.map.get(low, spec.map.get(low.split()[0], spec.map.get("*")))
                if code is None:
                    raise _Skip(f"{spec.column}={text!r} is not in the map")
                return code
            if spec.convert == "size" and spec.unit_column:
                value = to_size_bytes(text, _cell(row, spec.unit_column))
            else:
                value = CONVERTERS[spec.convert](text)
    except ValueError as exc:
        raise _Skip(str(exc)) from None
    if spec.scale != 1.0:
        value = value * spec.scale
    if spec.integer:
        return round(value)
    return value


def _apply_op(op: str, nums: list[int | float]) -> float:
    # Rounded: float noise such as 6.180000000000007 is not information.
    if op == "difference":
        return round(nums[0] - nums[1], 6)
    if op == "sum":
        return round(sum(nums), 6)
    if op == "complement_pct":
        return round(100 - nums[0], 4)
    if op == "used_pct_from_free":
        if nums[0] == 0:
            raise ValueError("total is zero")
        return round((nums[0] - nums[1]) / nums[0] * 100, 4)
    if nums[1] == 0:  # ratio_pct
        raise ValueError("ratio over zero")
    return round(nums[0] / nums[1] * 100, 4)


def _tag_value(row: Row, spec: TagMap) -> str | None:
    if spec.value is not None:
        return spec.value
    if spec.format is not None:
        parts = {k: (v[0] if isinstance(v, list) and v else v) for k, v in row.items()}
        text = " ".join(spec.format.format(**parts).split())
    else:
        text = _cell(row, spec.column or "")
    if spec.classify:
        for pattern, value in spec.classify:
            if pattern.search(text):
                return value
        return spec.default
    if spec.if_name and text:
        return canonical_if_name(text)
    return text or spec.default


def _keep(row: Row, spec: SampleMap) -> bool:
    for col, pattern in spec.where:
        if not pattern.search(_text(row, col)):
            return False
    return not any(pattern.search(_text(row, col)) for col, pattern in spec.unless)


def _text(row: Row, col: str) -> str:
    value = row.get(col, "")
    return value[0] if isinstance(value, list) and value else str(value or "")


def base_tags(device: Device, profile: CliProfile) -> dict[str, str]:
    """The tags every sample of `device` carries: inventory labels, device and class."""
    tags = {k: v for k, v in device.labels.items() if v}
    tags["device"] = device.name
    tags["class"] = device.device_class or profile.device_class
    return tags


def parse_cli(raw: RawCli, profile: CliProfile, device: Device) -> CliParseResult:
    """Every sample the profile maps from `raw`'s outputs; commands that failed are skipped."""
    base = base_tags(device, profile)
    series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, FieldValue]] = {}
    tagsets: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, str]] = {}
    skipped = 0
    problems: list[str] = []
    for cmd in profile.commands:
        text = raw.outputs.get(cmd.command)
        if text is None:
            continue  # the collector already reported why (rejected, timed out)
        table = parse_table(cmd.template, text)
        skipped += table.dropped_lines
        if table.dropped_lines:
            problems.append(
                f"{raw.device}: `{cmd.command}`: {table.dropped_lines} line(s) not understood"
            )
        if table.failed or not table.rows:
            skipped += 1
            problems.append(f"{raw.device}: `{cmd.command}`: {table.failed or 'no rows parsed'}")
            continue
        for smap in cmd.samples:
            rows = [r for r in table.rows if _keep(r, smap)]
            if smap.first_row_only:
                rows = rows[:1]
            for row in rows:
                n, why = _row_sample(row, smap, base, series, tagsets)
                skipped += n
                if why:
                    problems.append(f"{raw.device}: `{cmd.command}`: {why}")
    samples = tuple(
        Sample(key[0], tagsets[key], fields, raw.started_ns)
        for key, fields in series.items()
        if fields
    )
    return CliParseResult(samples, skipped, tuple(problems))


def _row_sample(
    row: Row,
    smap: SampleMap,
    base: dict[str, str],
    series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, FieldValue]],
    tagsets: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, str]],
) -> tuple[int, str | None]:
    """Add one row's fields to its series; returns (values skipped, first reason)."""
    tags = dict(base)
    try:
        for tspec in smap.tags:
            tag_value = _tag_value(row, tspec)
            if tag_value:
                tags[tspec.name] = tag_value
    except _Skip as exc:
        return 1, f"row skipped: {exc}"
    fields: dict[str, FieldValue] = {}
    kinds = {name: f.kind for name, f in MEASUREMENTS[smap.measurement].fields.items()}
    skipped = 0
    why: str | None = None
    for fspec in smap.fields:
        try:
            value = _field_value(row, fspec)
        except _Skip as exc:
            skipped += 1
            why = why or f"{smap.measurement}.{fspec.name}: {exc}"
            continue
        if value is None:
            continue
        if kinds.get(fspec.name) == "int" and not isinstance(value, int):
            if not float(value).is_integer():
                skipped += 1
                why = why or f"{smap.measurement}.{fspec.name}: {value!r} is not an integer"
                continue
            value = int(value)
        fields[fspec.name] = value
    # Samples of several commands with the same series merge (e.g. host CPU and memory);
    # the first command to provide a field wins.
    key = series_key(smap.measurement, tags)
    merged = series.setdefault(key, {})
    known = tagsets.setdefault(key, tags)
    for tag_name, tag_text in tags.items():
        known.setdefault(tag_name, tag_text)
    for name, field_value in fields.items():
        merged.setdefault(name, field_value)
    return skipped, why
