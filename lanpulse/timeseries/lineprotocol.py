"""InfluxDB line protocol: encode `Sample`s fast, decode lines for tests and the spool tools.

Escaping follows what both InfluxDB 1.x and 2.x/VictoriaMetrics parse identically:
commas, spaces and (outside measurements) equals signs get a backslash. A backslash that
would otherwise run into one of those, is doubled; a trailing backslash cannot be written at
all in 1.x ("invalid tag format"), so it is dropped. Newlines and carriage returns cannot be
escaped in line protocol and become spaces. These corner cases are listed in docs/storage.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter

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
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        escaped = self[text] = _escape(text, ", =")
        return escaped


_key_cache = _KeyEscapes()
_escaped = _key_cache.__getitem__  # bound once: the fast path maps it over tag values


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key (commas, equals signs, spaces)."""
    return _key_cache[text]


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


@dataclass(frozen=True, slots=True)
class _LinePlan:
    """The template for one sample shape, and how to put its tag values in key order."""

    template: str  # "" for a shape that always takes the careful path
    # What the values need checking for: ints must fit int64, floats must be finite.
    has_ints: bool
    has_floats: bool
    # Picks the tag values of non-empty keys in sorted key order; None when the tags
    # already come sorted without empty keys (what the parsers produce).
    tag_order: Callable[[tuple[str, ...]], tuple[str, ...]] | None


_Shape = tuple[str, tuple[str, ...], tuple[str, ...], tuple[type, ...]]
_PLAN_LIMIT = 10_000
# The template pays off per field; its fixed cost per sample (shape key, lookup, checks:
# ~1.5 us on the 2-core bench VM) is more than the careful path spends on a few fields.
# Measured crossover: 8-10 fields (A/B of both paths on the replayed estate polls).
_TEMPLATE_MIN_FIELDS = 8
_plans: dict[_Shape, _LinePlan] = {}
_CAREFUL = _LinePlan("", False, False, None)  # the plan of shapes without a template


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
    if type(measurement) is not str or not field_keys:
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
    parts: list[str] = []
    for key, kind in zip(field_keys, kinds, strict=True):
        if kind is int:
            # "%.1f" of an int is repr(float(value)) below 1e16 and the same float value
            # written without an exponent above it (InfluxDB parses both to one float64).
            literal = "%.1f" if key in floats else "%di"
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
    return _LinePlan(template, int in kinds, float in kinds, tag_order)


def _picker(positions: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A function picking `positions` out of a tuple, always returning a tuple."""
    if len(positions) >= 2:
        return itemgetter(*positions)
    return lambda values: tuple(values[i] for i in positions)


def encode_sample(sample: Sample) -> str | None:
    """One line (without newline) for `sample`, or None when no field is storable.

    Tags are sorted by key (InfluxDB's recommendation), empty tag keys or values are left
    out, the timestamp is written in nanoseconds. An integer in a field the schema declares
    "number" is written as a float, so the field keeps one type across devices.
    """
    # The hot path of the daemon (~10^5 samples per cycle). A sample whose values all fit
    # the fast path (ints within int64, finite floats, no empty tag value) is formatted by
    # its shape's template; anything else takes `_encode_careful`, the reference encoder.
    tags = sample.tags
    fields = sample.fields
    if len(fields) < _TEMPLATE_MIN_FIELDS:
        return _encode_careful(sample)
    values = tuple(fields.values())
    shape = (sample.measurement, tuple(tags), tuple(fields), tuple(map(type, values)))
    plan = _plans.get(shape) or _plan_for(shape)
    template = plan.template
    if not template:
        return _encode_careful(sample)
    tag_values = tuple(tags.values())
    if plan.tag_order is not None:
        tag_values = plan.tag_order(tag_values)
    if "" in tag_values:
        return _encode_careful(sample)
    try:
        # min/max bound every int to int64 (and floats beyond it go careful, rarely); the
        # sum is NaN or infinite as soon as one float is (a NaN can confuse min/max, never
        # the sum).
        if plan.has_ints and (min(values) < INT64_MIN or max(values) > INT64_MAX):
            return _encode_careful(sample)
        if plan.has_floats:
            total = sum(values)
            if total - total != 0.0:
                return _encode_careful(sample)
        # A non-string tag value raises TypeError in the escape cache.
        return template % (*map(_escaped, tag_values), *values, sample.time_ns)
    except (TypeError, OverflowError):
        return _encode_careful(sample)


def _encode_careful(sample: Sample) -> str | None:
    """The reference encoder, field by field: every value type, every corner case."""
    fields: list[str] = []
    add = fields.append
    prefixes = _prefix_cache
    floats = _FLOAT_FIELDS.get(sample.measurement, _NO_FIELDS)
    for key, value in sample.fields.items():
        prefix = prefixes.get(key) or _field_prefix(key)
        if not prefix:
            continue  # an empty field key cannot be written
        kind = type(value)
        if kind is int and INT64_MIN <= value <= INT64_MAX:
            add(f"{prefix}{float(value)!r}" if key in floats else f"{prefix}{value}i")
        elif kind is float and value - value == 0.0:  # finite: NaN and inf give NaN
            add(f"{prefix}{value!r}")
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
    skipped = 0
    for sample in samples:
        if not sample.measurement:
            skipped += 1
            continue
        line = encode_sample(sample)
        if line is None:
            skipped += 1
        else:
            out.append(line)
    if not out:
        return EncodedBatch(b"", 0, skipped)
    out.append("")
    return EncodedBatch("\n".join(out).encode(), len(out) - 1, skipped)


# --- decoding (tests, `lanpulse spool status`, replay diagnostics) ---------------------------


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is not preceded by an escaping backslash."""
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == sep:
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
    if literal.endswith("i"):
        return int(literal[:-1])
    if literal in ("t", "T", "true", "True", "TRUE"):
        return 1
    if literal in ("f", "F", "false", "False", "FALSE"):
        return 0
    return float(literal)


def decode_line(line: str) -> Sample:
    """Parse one line of line protocol (numeric fields only) back into a `Sample`."""
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
