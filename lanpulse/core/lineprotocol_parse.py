"""InfluxDB line protocol -> points: the one parser (agents' pushes, the spool's readers).

The rules are InfluxDB's (docs.influxdata.com, "Line protocol" reference, 1.x and 2.x):

    measurement[,tag=value...] field=value[,field=value...] [timestamp]

- measurement: a backslash escapes comma and space; tag keys, tag values and field keys:
  comma, equals sign and space. A backslash before any other character is literal (so
  `\\\\` is two backslashes, as InfluxDB 1.x stores it). One departure from the reference,
  taken from the server: InfluxDB 1.x also reads `\\=` in a measurement as `=`, and a
  pushed line passes through to InfluxDB unchanged, so lanpulse must read the name the
  server will store (tests/test_push_lines.py checks this against a real InfluxDB 1.6).
- field values: float (`1`, `-1.5`, `1e3`), integer `1i`, unsigned `1u`, boolean
  (`t`, `T`, `true`, `True`, `TRUE`, `f`, ...) as a Python bool, string in double quotes,
  where `\\"` and `\\\\` are escapes and other backslashes are literal.
- timestamp: an integer in the request's precision (n, u, ms, s, m, h); absent -> the
  server's receive time. Empty lines and `#` comments are skipped.

It lives in `core` because both `parsers`/`pipeline` (agents) and `timeseries` (reading
back the spool, `lineprotocol_decode.py`) use it, and those two may not import each other.
It is strict, since strangers send it: what `timeseries.lineprotocol.LineEncoder` writes
reads back exactly (tests/test_timeseries_lineprotocol.py, a hypothesis round trip).

A line that cannot be parsed is reported with its number and reason and the rest of the
request is kept, as InfluxDB does ("partial write").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FieldValue = int | float | str | bool

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

PRECISIONS: dict[str, int] = {
    "n": 1,
    "ns": 1,
    "u": 1_000,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_BOOLS = {
    "t": True,
    "T": True,
    "true": True,
    "True": True,
    "TRUE": True,
    "f": False,
    "F": False,
    "false": False,
    "False": False,
    "FALSE": False,
}


@dataclass(frozen=True, slots=True)
class Point:
    """One parsed line. `head` is the line up to its fields' end (no timestamp), re-used
    verbatim when the point is passed through to InfluxDB with a nanosecond timestamp."""

    measurement: str
    tags: dict[str, str]
    fields: dict[str, FieldValue]
    time_ns: int
    head: str

    def line_ns(self) -> str:
        """The line as InfluxDB takes it with nanosecond precision."""
        return f"{self.head} {self.time_ns}"


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that was not accepted: its 1-based number and why."""

    line: int
    reason: str
    text: str  # the line, cut short, for the log and the HTTP answer


class LineProtocolError(ValueError):
    """One line is not valid line protocol."""


def parse_body(text: str, precision: str, now_ns: int) -> tuple[list[Point], list[LineError]]:
    """Every valid point of a request body and every line that was refused."""
    scale = PRECISIONS[precision]
    points: list[Point] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stripped = line.lstrip(" \t")
        if not stripped or stripped[0] == "#":
            continue
        try:
            points.append(parse_line(stripped, scale, now_ns))
        except LineProtocolError as exc:
            errors.append(LineError(number, str(exc), stripped[:200]))
    return points, errors


def parse_line(line: str, scale: int = 1, now_ns: int = 0) -> Point:
    """One line (no newline in it) as a Point; LineProtocolError says what is wrong."""
    if "\\" not in line and '"' not in line:
        return _parse_plain(line, scale, now_ns)
    return _parse_escaped(line, scale, now_ns)


def _parse_plain(line: str, scale: int, now_ns: int) -> Point:
    """The common line (no escapes, no strings): split by separators, the same grammar."""
    parts = line.split(" ")
    if len(parts) == 2:
        key, fields_text = parts
        stamp = None
    elif len(parts) == 3:
        key, fields_text, stamp = parts
    else:
        raise LineProtocolError("expected 'measurement[,tags] fields [timestamp]'")
    names = key.split(",")
    measurement = names[0]
    if not measurement:
        raise LineProtocolError("missing measurement")
    tags: dict[str, str] = {}
    for pair in names[1:]:
        tkey, eq, tvalue = pair.partition("=")
        if not eq or not tkey or not tvalue or "=" in tvalue:
            raise LineProtocolError(f"bad tag {pair!r}, expected key=value")
        tags[tkey] = tvalue
    fields: dict[str, FieldValue] = {}
    for pair in fields_text.split(","):
        fkey, eq, fvalue = pair.partition("=")
        if not eq or not fkey or not fvalue or "=" in fvalue:
            raise LineProtocolError(f"bad field {pair!r}, expected key=value")
        fields[fkey] = _number_or_bool(fvalue, fkey)
    time_ns = _timestamp(stamp, scale, now_ns) if stamp is not None else now_ns
    head = line if stamp is None else line[: len(key) + 1 + len(fields_text)]
    return Point(measurement, tags, fields, time_ns, head)


def _parse_escaped(line: str, scale: int, now_ns: int) -> Point:
    """A line with backslashes or string fields, one character at a time."""
    n = len(line)
    i, measurement = _token(line, 0, ", ")
    if not measurement:
        raise LineProtocolError("missing measurement")
    tags: dict[str, str] = {}
    while i < n and line[i] == ",":
        i, tkey = _token(line, i + 1, ",= ")
        if i >= n or line[i] != "=" or not tkey:
            raise LineProtocolError(f"bad tag key {tkey!r}, expected key=value")
        i, tvalue = _token(line, i + 1, ",= ")
        if not tvalue or (i < n and line[i] == "="):
            raise LineProtocolError(f"bad tag value for {tkey!r}")
        tags[tkey] = tvalue
    if i >= n or line[i] != " ":
        raise LineProtocolError("expected a space before the fields")
    i += 1
    fields: dict[str, FieldValue] = {}
    while True:
        i, fkey = _token(line, i, ",= ")
        if i >= n or line[i] != "=" or not fkey:
            raise LineProtocolError(f"bad field key {fkey!r}, expected key=value")
        i += 1
        if i < n and line[i] == '"':
            i, text = _string(line, i + 1)
            fields[fkey] = text
        else:
            start = i
            while i < n and line[i] not in ", ":
                i += 1
            fields[fkey] = _number_or_bool(line[start:i], fkey)
        if i < n and line[i] == ",":
            i += 1
            continue
        break
    head = line[:i]
    if i < n and line[i] != " ":
        raise LineProtocolError("expected a space before the timestamp")
    if i >= n:
        return Point(measurement, tags, fields, now_ns, head)
    stamp = line[i + 1 :]
    return Point(measurement, tags, fields, _timestamp(stamp, scale, now_ns), head)


def _token(line: str, i: int, stops: str) -> tuple[int, str]:
    """Read up to an unescaped stop character. A backslash escapes a comma, an equals sign
    or a space (InfluxDB 1.x reads `\\=` as `=` in measurements too, though the reference
    lists only comma and space there); before anything else it stays literal."""
    out: list[str] = []
    n = len(line)
    escapable = ",= "
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n and line[i + 1] in escapable:
            out.append(line[i + 1])
            i += 2
            continue
        if ch in stops:
            break
        out.append(ch)
        i += 1
    return i, "".join(out)


def _string(line: str, i: int) -> tuple[int, str]:
    """A string field's content after its opening quote; returns the index after the close."""
    out: list[str] = []
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n and line[i + 1] in '"\\':
            out.append(line[i + 1])
            i += 2
            continue
        if ch == '"':
            return i + 1, "".join(out)
        out.append(ch)
        i += 1
    raise LineProtocolError("unterminated string field")


def _number_or_bool(text: str, key: str) -> FieldValue:
    last = text[-1]
    if last == "i" or last == "u":
        digits = text[:-1]
        try:
            value = int(digits, 10)
        except ValueError:
            raise LineProtocolError(f"field {key!r}: bad integer {text!r}") from None
        if not digits.lstrip("-").isdigit() or not digits.isascii():
            raise LineProtocolError(f"field {key!r}: bad integer {text!r}")
        if last == "i" and not INT64_MIN <= value <= INT64_MAX:
            raise LineProtocolError(f"field {key!r}: integer {text!r} out of range")
        if last == "u" and not 0 <= value <= UINT64_MAX:
            raise LineProtocolError(f"field {key!r}: unsigned {text!r} out of range")
        return value
    boolean = _BOOLS.get(text)
    if boolean is not None:
        return boolean
    if not text.isascii() or "_" in text or text[0] == "+":
        raise LineProtocolError(f"field {key!r}: bad value {text!r}")
    try:
        value_f = float(text)
    except ValueError:
        raise LineProtocolError(f"field {key!r}: bad value {text!r}") from None
    if not math.isfinite(value_f):
        raise LineProtocolError(f"field {key!r}: value {text!r} out of range")
    return value_f


def _timestamp(text: str, scale: int, now_ns: int) -> int:
    if not text:
        return now_ns  # a trailing space: InfluxDB takes the line without a timestamp
    digits = text[1:] if text[0] == "-" else text
    if not digits.isdigit() or not digits.isascii():
        raise LineProtocolError(f"bad timestamp {text!r}, expected an integer")
    value = int(text) * scale
    if not INT64_MIN <= value <= INT64_MAX:
        raise LineProtocolError(f"timestamp {text!r} out of range")
    return value
