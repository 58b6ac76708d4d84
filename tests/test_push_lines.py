"""The agents' line-protocol decoder: InfluxDB's escaping rules, property-tested, and
checked line by line against a real InfluxDB 1.6 reading the same text."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.core.lineprotocol_parse import LineProtocolError, parse_body, parse_line
from lanpulse.sim.servers import InfluxDB16

# --- an encoder written from the InfluxDB line-protocol reference: the specification ---


def _esc(text: str, specials: str) -> str:
    # A backslash before an ordinary character is literal; one before a special character
    # or at the end cannot be written unambiguously, so the generator avoids it (below).
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def encode(
    measurement: str, tags: dict[str, str], fields: dict[str, object], ts: int | None
) -> str:
    line = _esc(measurement, ", ")
    for k, v in tags.items():
        line += "," + _esc(k, ",= ") + "=" + _esc(v, ",= ")
    parts = []
    for k, v in fields.items():
        if isinstance(v, bool):
            value = "true" if v else "false"
        elif isinstance(v, int):
            value = f"{v}i"
        elif isinstance(v, float):
            value = repr(v)
        else:
            value = '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(_esc(k, ",= ") + "=" + value)
    line += " " + ",".join(parts)
    return line + (f" {ts}" if ts is not None else "")


# Names: printable, no newline, no backslash next to a special character or at the end
# (those are ambiguous in line protocol itself), not starting with '#' (a comment).
_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r")
_name = st.text(_chars, min_size=1, max_size=12).filter(
    lambda s: all(
        i + 1 < len(s) and s[i + 1] not in ",= \\" for i, ch in enumerate(s) if ch == "\\"
    )
)
_tag_name = _name.filter(lambda s: s != "time")
_value = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(_chars, max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(
    measurement=_name.filter(lambda s: not s.startswith("#") and s.strip(" \t") == s),
    tags=st.dictionaries(_tag_name, _name, max_size=4),
    fields=st.dictionaries(_tag_name, _value, min_size=1, max_size=4),
    ts=st.one_of(st.none(), st.integers(-(2**62), 2**62)),
)
def test_round_trip(
    measurement: str, tags: dict[str, str], fields: dict[str, object], ts: int | None
) -> None:
    line = encode(measurement, tags, fields, ts)
    point = parse_line(line, 1, now_ns=7)
    assert point.measurement == measurement
    assert point.tags == tags
    assert point.time_ns == (7 if ts is None else ts)
    for key, value in fields.items():
        got = point.fields[key]
        assert type(got) is type(value) and (
            got == value or (math.isnan(got) and math.isnan(value))
        )  # type: ignore[arg-type]
    # The pass-through form is the same line with a nanosecond timestamp.
    assert parse_line(point.line_ns()) == point.__class__(
        measurement, tags, point.fields, point.time_ns, point.head
    )


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_garbage_never_raises_anything_but_a_line_error(text: str) -> None:
    points, errors = parse_body(text, "n", 0)
    assert len(points) + len(errors) <= text.count("\n") + 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("cpu", "expected"),
        ("cpu value=", "bad field"),
        ("cpu,host value=1", "bad tag"),
        ("cpu value=1i2", "bad value"),
        ("cpu value=1.5i", "bad integer"),
        ("cpu value=9223372036854775808i", "out of range"),
        ("cpu value=18446744073709551616u", "out of range"),
        ('cpu value="open', "unterminated"),
        ("cpu value=1 12x", "bad timestamp"),
        ("cpu value=nan", "out of range"),
        ("cpu value=+1", "bad value"),
        ("cpu value=1 2 3", "expected"),
        ("cpu,host=a\\ b value=tr", "bad value"),
        (",host=a value=1", "missing measurement"),
    ],
)
def test_malformed_lines_say_why(line: str, reason: str) -> None:
    with pytest.raises(LineProtocolError, match=reason):
        parse_line(line)


def test_body_keeps_the_good_lines_and_numbers_the_bad() -> None:
    body = "# comment\n\ncpu value=1 10\ncpu value=\r\nmem used=2i 20\n"
    points, errors = parse_body(body, "s", 0)
    assert [(p.measurement, p.time_ns) for p in points] == [
        ("cpu", 10 * 10**9),
        ("mem", 20 * 10**9),
    ]
    assert [(e.line, e.text) for e in errors] == [(4, "cpu value=")]


# --- the same text read by a real InfluxDB 1.6 -------------------------------------------

TRICKY = [
    r"weather\ now,location=us\,midwest,sea\=level=a\ b temperature=82 1465839830100400200",
    r'cpu\=x,ta\g=C:\Temp value="a \"quoted\" \\ back\slash",b=t,c=-1.5e3,d=7i 1000',
    r"win_net,host=PC-1,instance=Intel[R]\ Ethernet\ I219-LM,objectname=Network\ Interface"
    r" Bytes_Received_persec=15234.5 2000",
    r"disk,path=C:\Windows\ Temp free=3i 3000",
    'system,host=h uptime_format="14 days, 11:07",n=-1i 4000',
    r"m\,x,t=a\b v=1 5000",
]


@pytest.fixture(scope="module")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        server.query('CREATE DATABASE "lp"')
        yield server  # type: ignore[misc]


def test_real_influxdb_reads_the_same(influxd: InfluxDB16) -> None:
    body = "\n".join(TRICKY).encode()
    request = urllib.request.Request(f"{influxd.url}/write?db=lp", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204
    except urllib.error.HTTPError as exc:  # InfluxDB names the line it refused
        raise AssertionError(exc.read().decode()) from None
    points, errors = parse_body("\n".join(TRICKY), "n", 0)
    assert errors == []
    for point in points:
        name = point.measurement.replace("\\", "\\\\")
        result = influxd.query(f'SELECT * FROM "{name}"', db="lp")
        series = result["results"][0]["series"]  # type: ignore[index]
        (one,) = [s for s in series]
        row = dict(zip(one["columns"], one["values"][0], strict=True))
        assert row.pop("time") == point.time_ns
        stored = {k: v for k, v in row.items() if v is not None}
        expected = {**point.tags, **point.fields}
        assert json.loads(json.dumps(stored)) == json.loads(json.dumps(expected)), point
