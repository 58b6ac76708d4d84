"""InfluxDB line protocol: encode `Sample`s fast, decode lines for tests and the spool tools.

Escaping follows what both InfluxDB 1.x and 2.x/VictoriaMetrics parse identically:
commas, spaces and (outside measurements) equals signs get a backslash. A backslash that
would otherwise run into one of those, is doubled; a trailing backslash cannot be written at
all in 1.x ("invalid tag format"), so it is dropped. Newlines and carriage returns cannot be
escaped in line protocol and become spaces. These corner cases are listed in docs/storage.md.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeVar

from lanpulse.core.model import FieldValue, Sample
from lanpulse.core.schema import MEASUREMENTS

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Escaped forms of names and tag values seen before. An estate repeats the same device names,
# interface names and field keys on every poll, so a dict lookup replaces the escaping work.
_CACHE_LIMIT = 200_000
_measurement_cache: dict[str, str] = {}
_prefix_cache: dict[str, str] = {}

# InfluxDB keeps one type per field: a batch holding `value=34i` (one device's sensor) and
# `value=47.0` (another's) is refused, and a later int after a float is dropped. Fields the
# schema declares "number" (int or float) are therefore always written as floats; "int"
# fields stay integers.
_FLOAT_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(f for f, spec in m.fields.items() if spec.kind == "number")
    for name, m in MEASUREMENTS.items()
}
_NO_FIELDS: frozenset[str] = frozenset()
# Fields the schema writes with fixed decimals (rates): field -> "%.3f"-style format, used
# by both encoders. The text differs from repr ("0.000", "8.500"), the stored float does not
# for a value already rounded to those decimals, as every rate is.
_FIXED_FIELDS: dict[str, dict[str, str]] = {
    name: {f: f"%.{spec.decimals}f" for f, spec in m.fields.items() if spec.decimals is not None}
    for name, m in MEASUREMENTS.items()
}
_NO_FIXED: dict[str, str] = {}
_T = TypeVar("_T")
# What reaches a template: a shape with a text field (or any other type) has no template
# and takes the careful path, so the fast path only ever sees numbers.
_Number = int | float


def _escape(text: str, specials: str) -> str:
    """Backslash-escape `specials`, keeping a literal backslash literal where it can be."""
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    if "\\" in text:
        text = text.rstrip("\\")
        for ch in specials:
            text = text.replace("\\" + ch, "\\\\" + ch)
    for ch in specials:
        if ch in text:
            text = text.replace(ch, "\\" + ch)
    return text


class _KeyEscapes(dict[str, str]):
    """Tag keys, tag values and field keys -> their escaped form, filled on first use.

    A dict subclass so that the fast path can escape all tag values of a sample with one
    C-level `map(cache.__getitem__, values)`: a hit costs no Python frame, a miss lands in
    `__missing__`. Bounded like the other caches (cleared when full).
    """

    __slots__ = ()  # no instance __dict__: keeps `.get` as fast as on a plain dict

    def __missing__(self, text: str) -> str:
        if type(text) is not str:
            # Same error the escaping itself raises; the careful path decides what to do.
            raise TypeError(f"tag or key must be a string, not {type(text).__name__}")
        if not text:
            # Never cached: the fast path maps the cache over tag values, and an empty one
            # (left out of the line) must send the sample to the careful path.
            raise ValueError("empty tag or key")
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        escaped = self[text] = _escape(text, ", =")
        return escaped


_key_cache = _KeyEscapes()
_escaped = _key_cache.__getitem__  # bound once: the fast path maps it over tag values


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key (commas, equals signs, spaces)."""
    return _key_cache[text] if text else text


def escape_measurement(text: str) -> str:
    """Escape a measurement name (commas and spaces)."""
    cached = _measurement_cache.get(text)
    if cached is None:
        if len(_measurement_cache) >= _CACHE_LIMIT:
            _measurement_cache.clear()
        cached = _measurement_cache[text] = _escape(text, ", ")
    return cached


def format_field(value: FieldValue) -> str | None:
    """The line-protocol literal of a field value, or None when it cannot be stored.

    Integers get the `i` suffix (and must fit in int64), floats keep full precision (repr),
    NaN and infinities are left out, a bool (forbidden by the schema) is stored as 0i/1i.
    """
    kind = type(value)
    if isinstance(value, str):
        return format_text(value)
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return f"{value}i"
        return None
    if kind is float:
        if math.isfinite(value):
            return repr(value)
        return None
    if kind is bool:
        return "1i" if value else "0i"
    if isinstance(value, int):  # int subclasses such as IntEnum
        return format_field(int(value))
    if isinstance(value, float):
        return format_field(float(value))
    return None


def format_text(value: str) -> str:
    """A string field's literal: quoted, `\\` and `"` escaped; a line break (which would end
    the point) becomes a space."""
    if "\n" in value or "\r" in value:
        value = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field_prefix(key: str) -> str:
    """`escaped_key=` for a field key, cached."""
    cached = _prefix_cache.get(key)
    if cached is None:
        if len(_prefix_cache) >= _CACHE_LIMIT:
            _prefix_cache.clear()
        cached = _prefix_cache[key] = escape_key(key) + "=" if key else ""
    return cached


def _series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """`measurement,k=v,...` with tags sorted by key and empty keys or values left out."""
    head = _measurement_cache.get(measurement) or escape_measurement(measurement)
    if not tags:
        return head
    # Per tag: one bound-method cache lookup each (a miss escapes in `__missing__`).
    escaped = _escaped
    parts = [head]
    for key in sorted(tags):
        tag = tags[key]
        if key and tag:
            parts.append(f"{escaped(key)}={escaped(tag)}")
    return ",".join(parts)


# --- the fast path: one %-template per sample shape -------------------------------------------
#
# Every poll of a device type produces samples of the same *shape*: measurement, tag keys (in
# the same order), field keys and value types. Everything in a line that depends only on the
# shape (escaped measurement, tag keys and field keys, the `i` suffixes, which ints are
# written as floats) is compiled once into a `%` template; a line is then one C-level
# `template % (escaped tag values..., field values..., time)`. The cache is per shape, not
# per series: an estate has a few hundred shapes however many devices and ports it has.
# The fast path writes exactly what `_encode_careful` writes, or hands the sample to it.


@dataclass(frozen=True, slots=True)
class _LinePlan:
    """The template for one sample shape, and what a sample's values need checking for."""

    template: str  # "" for a shape that always takes the careful path
    # Packs the field values as int64 (ints) and float64 (floats): raises for an int beyond
    # int64 in one C call. None when the shape has no ints.
    int64_check: Callable[..., bytes] | None
    # Floats must be finite (checked with one `sum`).
    has_floats: bool
    # Picks the ints of "number" fields, written with "%.1f": that text is repr(float(v))
    # only while float(v) stays below 1e16 (repr switches to an exponent there). None when
    # the shape has no such ints.
    plain_ints: Callable[[tuple[_Number, ...]], tuple[_Number, ...]] | None
    # Picks the tag values of non-empty keys in sorted key order; None when the tags
    # already come sorted without empty keys (what the parsers produce).
    tag_order: Callable[[tuple[str, ...]], tuple[str, ...]] | None


_Shape = tuple[str, tuple[str, ...], tuple[str, ...], tuple[type, ...]]
_PLAN_LIMIT = 10_000
# The template pays off per field; its fixed cost per sample in `encode_sample` (shape key,
# lookup, checks) is more than the careful path spends on a few fields. Measured crossover:
# 8-10 fields. `encode_poll` reuses the previous sample's plan and has no such threshold.
_TEMPLATE_MIN_FIELDS = 8
_plans: dict[_Shape, _LinePlan] = {}
_CAREFUL = _LinePlan("", None, False, None, None)  # the plan of shapes without a template
# The largest int whose float is below 1e16 (where "%.1f" and repr(float) part ways).
_PLAIN_INT_LIMIT = 10**16 - 2
# What a sample the fast path cannot carry raises there (a bad value, an empty or
# non-string tag value): the careful path then decides.
_NOT_FAST = (TypeError, ValueError, OverflowError, struct.error)
_NOT_FAST_POLL = (*_NOT_FAST, AttributeError)  # and malformed samples, in `encode_poll`


def _percent(text: str) -> str:
    """`text` as a literal part of a %-template."""
    return text.replace("%", "%%")


def _plan_for(shape: _Shape) -> _LinePlan:
    """The (cached) plan of a shape not seen yet."""
    if len(_plans) >= _PLAN_LIMIT:
        _plans.clear()
    plan = _plans[shape] = _make_plan(shape) or _CAREFUL
    return plan


def _make_plan(shape: _Shape) -> _LinePlan | None:
    """The template for `shape`, or None when a sample of it needs the careful path.

    Careful-path shapes: a key that is not a non-empty string (left out or an error there),
    or a value type other than exactly int or float (bool, IntEnum, None...), or no fields.
    """
    measurement, tag_keys, field_keys, kinds = shape
    if type(measurement) is not str or not measurement or not field_keys:
        return None
    if any(type(k) is not str for k in tag_keys) or any(
        type(k) is not str or not k for k in field_keys
    ):
        return None
    wanted = sorted((key, i) for i, key in enumerate(tag_keys) if key)
    positions = [i for _, i in wanted]
    tag_order: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None
    if positions != list(range(len(tag_keys))):
        tag_order = _picker(positions)
    floats = _FLOAT_FIELDS.get(measurement, _NO_FIELDS)
    fixed = _FIXED_FIELDS.get(measurement, _NO_FIXED)
    parts: list[str] = []
    plain: list[int] = []
    for i, (key, kind) in enumerate(zip(field_keys, kinds, strict=True)):
        if key in fixed and (kind is float or kind is int):
            # Fixed decimals whatever the value's size: no exponent form to guard against.
            literal = fixed[key]
        elif kind is int:
            if key in floats:
                plain.append(i)
                literal = "%.1f"
            else:
                literal = "%di"
        elif kind is float:
            literal = "%r"
        else:
            return None
        parts.append(_percent(escape_key(key)) + "=" + literal)
    head = _percent(escape_measurement(measurement)) + "".join(
        f",{_percent(escape_key(key))}=%s" for key, _ in wanted
    )
    # The timestamp goes through %s, which is str(): the same text as the f-string before.
    template = f"{head} {','.join(parts)} %s"
    int64_check = None
    if int in kinds:
        int64_check = struct.Struct("=" + "".join("q" if k is int else "d" for k in kinds)).pack
    return _LinePlan(
        template, int64_check, float in kinds, _bounds_picker(plain) if plain else None, tag_order
    )


def _picker(positions: list[int]) -> Callable[[tuple[_T, ...]], tuple[_T, ...]]:
    """A function picking `positions` out of a tuple, always returning a tuple."""
    if len(positions) >= 2:
        return itemgetter(*positions)
    if positions:
        position = positions[0]
        return lambda values: (values[position],)
    return lambda values: ()


def _bounds_picker(positions: list[int]) -> Callable[[tuple[_T, ...]], tuple[_T, ...]]:
    """A C-level function picking `positions` out of a tuple for `min` and `max`.

    One position is picked twice: a tuple either way, without a Python frame per sample.
    """
    return itemgetter(*positions) if len(positions) >= 2 else itemgetter(*positions * 2)


def encode_sample(sample: Sample) -> str | None:
    """One line (without newline) for `sample`, or None when no field is storable.

    Tags are sorted by key (InfluxDB's recommendation), empty tag keys or values are left
    out, the timestamp is written in nanoseconds. An integer in a field the schema declares
    "number" is written as a float, so the field keeps one type across devices; a field the
    schema gives fixed decimals (the rates) is written with them (`in_bps=8000.000`). To
    encode the samples of a poll, `encode_poll` is faster (it reuses the plan of the sample
    before).
    """
    # A sample whose values all fit the fast path (ints within int64, finite floats, no
    # empty tag value) is formatted by its shape's template; anything else takes
    # `_encode_careful`, the reference encoder.
    tags = sample.tags
    fields = sample.fields
    if len(fields) < _TEMPLATE_MIN_FIELDS:
        return _encode_careful(sample)
    values: tuple[_Number, ...] = tuple(fields.values())  # type: ignore[arg-type]
    shape = (sample.measurement, tuple(tags), tuple(fields), tuple(map(type, values)))
    plan = _plans.get(shape) or _plan_for(shape)
    if not plan.template:
        return _encode_careful(sample)
    try:
        return _fill(plan, tuple(tags.values()), values, sample.time_ns)
    except _NOT_FAST:
        return _encode_careful(sample)


def _fill(
    plan: _LinePlan, tag_values: tuple[str, ...], values: tuple[_Number, ...], time: object
) -> str:
    """`plan`'s line for these values; raises one of `_NOT_FAST` when it cannot carry them."""
    if plan.int64_check is not None:
        plan.int64_check(*values)
        if plan.plain_ints is not None:
            plain = plan.plain_ints(values)
            if min(plain) < -_PLAIN_INT_LIMIT or max(plain) > _PLAIN_INT_LIMIT:
                raise ValueError("int too large for %.1f")
    if plan.has_floats:
        total = sum(values)
        if total - total != 0.0:  # NaN or infinite as soon as one float is
            raise ValueError("float not finite")
    if plan.tag_order is not None:
        tag_values = plan.tag_order(tag_values)
    # An empty or non-string tag value raises in the escape cache.
    return plan.template % (*map(_escaped, tag_values), *values, time)


def encode_poll(
    samples: Iterable[Sample],
    out: list[str],
    on_error: Callable[[Sample, Exception], None] | None = None,
) -> int:
    """Append the line (without newline) of each sample to `out`; return how many gave none.

    The same lines as `encode_sample` gives one by one; a sample without a measurement
    gives none. Faster for the samples of one poll, which come grouped (the rows of a table
    metric share their shape): a sample shaped like the one before reuses its plan after
    C-level tuple comparisons, without hashing a shape key. A sample the encoder raises for
    (a malformed sample: TypeError, ValueError, AttributeError) is passed to `on_error` and
    counted as giving none; without `on_error` the exception propagates.
    """
    add = out.append
    escaped = _escaped
    dropped = 0
    # The previous sample's shape, and what its plan needs, in locals.
    last_shape: _Shape | None = None
    template = ""
    int64_check: Callable[..., bytes] | None = None
    plain_ints: Callable[[tuple[_Number, ...]], tuple[_Number, ...]] | None = None
    has_floats = False
    tag_order: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None
    last_time: object = None
    time_text = ""
    for sample in samples:
        try:
            fields = sample.fields
            tags = sample.tags
            values: tuple[_Number, ...] = tuple(fields.values())  # type: ignore[arg-type]
            shape = (sample.measurement, tuple(tags), tuple(fields), tuple(map(type, values)))
            if shape != last_shape:
                plan = _plans.get(shape) or _plan_for(shape)
                last_shape = shape
                template = plan.template
                int64_check = plan.int64_check
                plain_ints = plan.plain_ints
                has_floats = plan.has_floats
                tag_order = plan.tag_order
            if template:
                if int64_check is not None:
                    int64_check(*values)
                    if plain_ints is not None:
                        plain = plain_ints(values)
                        if min(plain) < -_PLAIN_INT_LIMIT or max(plain) > _PLAIN_INT_LIMIT:
                            raise ValueError("int too large for %.1f")
                if has_floats:
                    total = sum(values)
                    if total - total != 0.0:  # NaN or infinite as soon as one float is
                        raise ValueError("float not finite")
                time = sample.time_ns
                if time is not last_time:  # one poll's samples share their timestamp
                    last_time = time
                    time_text = str(time)
                # An empty or non-string tag value raises in the escape cache.
                if tag_order is None:
                    add(template % (*map(escaped, tags.values()), *values, time_text))
                else:
                    ordered = tag_order(tuple(tags.values()))
                    add(template % (*map(escaped, ordered), *values, time_text))
                continue
        except _NOT_FAST_POLL:
            pass  # the careful path decides
        try:
            line = _encode_careful(sample) if sample.measurement else None
        except (TypeError, ValueError, AttributeError) as exc:
            if on_error is None:
                raise
            on_error(sample, exc)
            line = None
        if line is None:
            dropped += 1
        else:
            add(line)
    return dropped


def _encode_careful(sample: Sample) -> str | None:
    """The reference encoder, field by field: every value type, every corner case."""
    fields: list[str] = []
    add = fields.append
    prefixes = _prefix_cache
    floats = _FLOAT_FIELDS.get(sample.measurement, _NO_FIELDS)
    fixed = _FIXED_FIELDS.get(sample.measurement, _NO_FIXED)
    for key, value in sample.fields.items():
        prefix = prefixes.get(key) or _field_prefix(key)
        if not prefix:
            continue  # an empty field key cannot be written
        if isinstance(value, str):
            add(prefix + format_text(value))
            continue
        kind = type(value)
        if kind is int and INT64_MIN <= value <= INT64_MAX:
            if key in fixed:
                add(prefix + fixed[key] % value)
            else:
                add(f"{prefix}{float(value)!r}" if key in floats else f"{prefix}{value}i")
        elif kind is float and value - value == 0.0:  # finite: NaN and inf give NaN
            add(prefix + fixed[key] % value if key in fixed else f"{prefix}{value!r}")
        else:
            literal = format_field(value)
            if literal is not None:
                add(prefix + literal)
    if not fields:
        return None
    head = _series_key(sample.measurement, sample.tags)
    return f"{head} {','.join(fields)} {sample.time_ns}"


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """Line-protocol bytes for a batch of samples, and how many points made it in."""

    lines: bytes
    points: int
    skipped: int


def encode_samples(samples: Iterable[Sample]) -> EncodedBatch:
    """Encode samples to newline-terminated line protocol, counting those left out."""
    out: list[str] = []
    skipped = encode_poll(samples, out)
    if not out:
        return EncodedBatch(b"", 0, skipped)
    out.append("")
    return EncodedBatch("\n".join(out).encode(), len(out) - 1, skipped)


# --- decoding (tests, `lanpulse spool status`, replay diagnostics) ---------------------------


_STRING_ESCAPE = re.compile(r'\\([\\"])')


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is not preceded by an escaping backslash nor inside a quoted
    string field value."""
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    quoted = False
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _unescape(text: str) -> str:
    """Undo `_escape` the way InfluxDB 2.x does: `\\x` -> `x` for the escapable characters."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in ", =\\":
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _parse_field(literal: str) -> FieldValue:
    if len(literal) >= 2 and literal[0] == '"' and literal[-1] == '"':
        return _STRING_ESCAPE.sub(r"\1", literal[1:-1])
    if literal.endswith("i"):
        return int(literal[:-1])
    if literal in ("t", "T", "true", "True", "TRUE"):
        return 1
    if literal in ("f", "F", "false", "False", "FALSE"):
        return 0
    return float(literal)


def decode_line(line: str) -> Sample:
    """Parse one line of line protocol back into a `Sample`."""
    sections = _split_unescaped(line.strip(), " ")
    sections = [s for s in sections if s]
    if len(sections) not in (2, 3):
        raise ValueError(f"not a line-protocol point: {line[:80]!r}")
    key_parts = _split_unescaped(sections[0], ",")
    measurement = _unescape(key_parts[0])
    tags: dict[str, str] = {}
    for pair in key_parts[1:]:
        kv = _split_unescaped(pair, "=")
        if len(kv) != 2:
            raise ValueError(f"bad tag {pair!r} in {line[:80]!r}")
        tags[_unescape(kv[0])] = _unescape(kv[1])
    fields: dict[str, FieldValue] = {}
    for pair in _split_unescaped(sections[1], ","):
        kv = _split_unescaped(pair, "=")
        if len(kv) != 2:
            raise ValueError(f"bad field {pair!r} in {line[:80]!r}")
        fields[_unescape(kv[0])] = _parse_field(kv[1])
    time_ns = int(sections[2]) if len(sections) == 3 else 0
    return Sample(measurement=measurement, tags=tags, fields=fields, time_ns=time_ns)


def decode_lines(data: bytes) -> list[Sample]:
    """Parse newline-separated line protocol, skipping blank lines and `#` comments."""
    samples: list[Sample] = []
    for raw in data.decode().split("\n"):
        if raw.strip() and not raw.lstrip().startswith("#"):
            samples.append(decode_line(raw))
    return samples
