"""InfluxDB line protocol: `Sample`s -> lines that InfluxDB 1.x, 2.x and VictoriaMetrics all
store exactly as lanpulse meant them.

Texts (measurement, tag keys and values, field keys) are first normalised by `stored_text`
to what every one of those servers can store and read back unchanged, then escaped. The
normalisation (listed in docs/storage.md and proven against the real servers by
tests/test_lineprotocol_servers.py):

- a text that is not valid Unicode (lone surrogates from undecodable bytes) gets U+FFFD;
- a control character (newline, carriage return, tab, NUL, the rest of C0, DEL) becomes a
  space (line protocol cannot carry a newline; InfluxDB 1.x skips tabs and NUL where a field
  key starts);
- a backslash is kept only alone and before an ordinary character (`DOMAIN\\user`): a
  backslash at the end, before another backslash, or before a comma, space or equals sign
  becomes U+FF3C, the fullwidth reverse solidus (InfluxDB 1.x refuses a trailing one, and
  keeps `\\\\` doubled where 2.x and VictoriaMetrics read one: no escape reads back alike);
- a text is cut to `MAX_TEXT_BYTES` of UTF-8 (VictoriaMetrics cuts labels at 16 KiB,
  InfluxDB 1.x refuses series keys over 64 KiB).

A field key also has its double quotes turned into U+FF02 (fullwidth quotation mark):
VictoriaMetrics drops a line whose field key holds an unpaired `"`, and no escape of it
reads back alike; and the field key `time`, which InfluxDB 1.x refuses, becomes `time_`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from lanpulse.core.model import FieldValue, Sample
from lanpulse.core.schema import MEASUREMENTS

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_TEXT_BYTES = 4096
BACKSLASH_STAND_IN = "\uff3c"  # FULLWIDTH REVERSE SOLIDUS: looks like the backslash it replaces
QUOTE_STAND_IN = "\uff02"  # FULLWIDTH QUOTATION MARK, for a `"` in a field key

# A backslash that no escape reads back alike on every server: at the end, before a comma,
# space, equals sign or backslash, or after a backslash.
_AMBIGUOUS_BACKSLASH = re.compile(r"\\(?=[\\, =]|\Z)|(?<=\\)\\")
_CONTROLS = {code: " " for code in (*range(32), 127)}
_SURROGATE = re.compile("[\ud800-\udfff]")  # undecodable bytes kept by "surrogateescape"

# InfluxDB keeps one type per field: a batch holding `value=34i` (one device's sensor) and
# `value=47.0` (another's) is refused, and a later int after a float is dropped. Fields the
# schema declares "number" (int or float) are therefore always written as floats; "int"
# fields stay integers.
_FLOAT_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(f for f, spec in m.fields.items() if spec.kind == "number")
    for name, m in MEASUREMENTS.items()
}
_NO_FIELDS: frozenset[str] = frozenset()
# Fields the schema writes with fixed decimals (rates): field -> "%.3f"-style format. The
# text differs from repr ("0.000", "8.500"), the stored float does not for a value already
# rounded to those decimals, as every rate is; and it costs half the CPU of repr.
_FIXED_FIELDS: dict[str, dict[str, str]] = {
    name: {f: f"%.{spec.decimals}f" for f, spec in m.fields.items() if spec.decimals is not None}
    for name, m in MEASUREMENTS.items()
}
_NO_FIXED: dict[str, str] = {}


def stored_text(text: str) -> str:
    """`text` as the servers will store it (see the module docstring); '' stays ''."""
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            text = _SURROGATE.sub("\ufffd", text)
    if not text.isprintable():  # cheap test; also true for some non-control characters
        text = text.translate(_CONTROLS)
    if len(text) > MAX_TEXT_BYTES // 4:
        raw = text.encode()
        if len(raw) > MAX_TEXT_BYTES:
            text = raw[:MAX_TEXT_BYTES].decode("utf-8", "ignore")  # at a character boundary
    if "\\" in text:
        text = _AMBIGUOUS_BACKSLASH.sub(BACKSLASH_STAND_IN, text)
    return text


def stored_field_key(text: str) -> str:
    """A field key as the servers will store it: `stored_text`, and no double quote."""
    stored = stored_text(text).replace('"', QUOTE_STAND_IN)
    return "time_" if stored == "time" else stored


def _escape(text: str, specials: str) -> str:
    for ch in specials:
        if ch in text:
            text = text.replace(ch, "\\" + ch)
    return text


class _Escapes:
    """Escaped forms of the texts seen before, bounded (cleared when full).

    An estate repeats the same device names, interface names and field keys on every poll,
    so a dict lookup replaces the normalising and escaping.
    """

    def __init__(
        self, specials: str, normalise: Callable[[str], str] = stored_text, limit: int = 200_000
    ) -> None:
        self.specials = specials
        self.normalise = normalise
        self.limit = limit
        self.known: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        escaped = self.known.get(text)
        if escaped is None:
            if type(text) is not str:
                raise TypeError(f"tag or key must be a string, not {type(text).__name__}")
            if len(self.known) >= self.limit:
                self.known.clear()
            escaped = self.known[text] = _escape(self.normalise(text), self.specials)
        return escaped


@dataclass(frozen=True, slots=True)
class _FieldFormat:
    """How one field key of a measurement is written: `key=`, and the %-format of a finite
    float and of an int64 value (the key escaped, the schema's decimals or type applied;
    no int format where the schema makes an int a float)."""

    key: str
    of_float: str
    of_int: str


class LineEncoder:
    """Samples -> lines; owns the caches of escaped texts (drop the encoder to drop them)."""

    def __init__(self) -> None:
        self.escape_key = _Escapes(", =")  # tag keys and values
        self.escape_field_key = _Escapes(", =", stored_field_key)
        self.escape_measurement = _Escapes(", ")
        # measurement -> field key -> how its values are written (None: an empty key)
        self._field_specs: dict[str, dict[str, _FieldFormat | None]] = {}

    def encode(self, sample: Sample) -> str | None:
        """One line (without newline) for `sample`, or None when no field is storable.

        Tags are sorted by key (InfluxDB's recommendation), empty tag keys or values are
        left out, the timestamp is in nanoseconds. An integer in a field the schema declares
        "number" is written as a float, so the field keeps one type across devices; a field
        the schema gives fixed decimals (the rates) is written with them (`in_bps=8000.000`).
        """
        fields: list[str] = []
        add = fields.append
        measurement = sample.measurement
        specs = self._field_specs.get(measurement)
        if specs is None:
            specs = self._field_specs[measurement] = {}
        for key, value in sample.fields.items():
            try:
                spec = specs[key]
            except KeyError:
                spec = specs[key] = self._field_spec(measurement, key)
            if spec is None:
                continue  # an empty field key cannot be written
            # One %-format per field and value type, made once (_FieldFormat): the type
            # test picks it, the range tests keep what the servers cannot store out.
            if type(value) is float:
                if value - value == 0.0:  # finite: NaN and inf give NaN
                    add(spec.of_float % value)
            elif type(value) is int and INT64_MIN <= value <= INT64_MAX:
                add(spec.of_int % value if spec.of_int else spec.of_float % float(value))
            elif isinstance(value, str):  # the text fields of `event` samples
                add(spec.key + format_text(value))
            else:
                literal = format_field(value)
                if literal is not None:
                    add(spec.key + literal)
        if not fields:
            return None
        head = self._series_key(sample.measurement, sample.tags)
        return f"{head} {','.join(fields)} {sample.time_ns}"

    def _field_spec(self, measurement: str, key: str) -> _FieldFormat | None:
        """How field `key` of `measurement` is written; None for an empty key."""
        if sum(map(len, self._field_specs.values())) >= self.escape_key.limit:
            self._field_specs.clear()
            self._field_specs[measurement] = {}
        if not key:
            return None
        prefix = self.escape_field_key(key) + "="
        literal = prefix.replace("%", "%%")  # the key inside a %-format
        fixed = _FIXED_FIELDS.get(measurement, _NO_FIXED).get(key, "")
        if fixed:  # the rates: fixed decimals, for an int too
            return _FieldFormat(prefix, literal + fixed, literal + fixed)
        # %r of a float is its repr; a "number" field writes an int as a float (`3.0`):
        # no int format, the encoder converts it.
        as_float = key in _FLOAT_FIELDS.get(measurement, _NO_FIELDS)
        return _FieldFormat(prefix, literal + "%r", "" if as_float else literal + "%di")

    def _series_key(self, measurement: str, tags: Mapping[str, str]) -> str:
        """`measurement,k=v,...` with tags sorted by key and empty keys or values left out."""
        parts = [self.escape_measurement(measurement)]
        escape = self.escape_key
        known = escape.known.get  # a hit (nearly every tag of every poll) costs no frame
        for key in sorted(tags):
            tag = tags[key]
            if key and tag:
                parts.append(f"{known(key) or escape(key)}={known(tag) or escape(tag)}")
        return ",".join(parts)


_ENCODER = LineEncoder()  # the daemon's: its caches live as long as the process


def escape_key(text: str) -> str:
    """Normalise and escape a tag key, tag value or field key (commas, equals, spaces)."""
    return _ENCODER.escape_key(text) if text else text


def escape_measurement(text: str) -> str:
    """Normalise and escape a measurement name (commas and spaces)."""
    return _ENCODER.escape_measurement(text)


def format_field(value: FieldValue) -> str | None:
    """The line-protocol literal of a field value, or None when it cannot be stored.

    Integers get the `i` suffix (and must fit in int64), floats keep full precision (repr),
    NaN and infinities are left out, a bool (forbidden by the schema) is stored as 0i/1i.
    """
    kind = type(value)
    if isinstance(value, str):
        return format_text(value)
    if kind is int:
        return f"{value}i" if INT64_MIN <= value <= INT64_MAX else None
    if kind is float:
        return repr(value) if math.isfinite(value) else None
    if kind is bool:
        return "1i" if value else "0i"
    if isinstance(value, int):  # int subclasses such as IntEnum
        return format_field(int(value))
    if isinstance(value, float):
        return format_field(float(value))
    return None


def format_text(value: str) -> str:
    """A string field's literal (`event` texts): quoted, `\\` and `"` escaped; a line break
    (which would end the point) becomes a space."""
    if "\n" in value or "\r" in value:
        value = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_sample(sample: Sample) -> str | None:
    """One line (without newline) for `sample`, or None when no field is storable."""
    return _ENCODER.encode(sample)


def encode_poll(
    samples: Iterable[Sample],
    out: list[str],
    on_error: Callable[[Sample, Exception], None] | None = None,
) -> int:
    """Append the line (without newline) of each sample to `out`; return how many gave none.

    A sample without a measurement gives none. A sample the encoder raises for (a malformed
    sample: TypeError, ValueError, AttributeError) is passed to `on_error` and counted as
    giving none; without `on_error` the exception propagates.
    """
    # One encoder since issue 20: a per-shape %-template encoder beside this one saved
    # ~1.9 us per 15-field sample (4.2 against 6.1 us), ~0.12 ms of the 4.3-5.4 ms a 48-port
    # switch poll costs (benchmarks/estate.py): about 2.5 % of the pipeline, under the 5 %
    # a second implementation must earn.
    encode = _ENCODER.encode
    add = out.append
    dropped = 0
    for sample in samples:
        try:
            line = encode(sample) if sample.measurement else None
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
