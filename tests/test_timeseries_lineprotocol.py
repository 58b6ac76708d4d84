"""Line protocol encoding: escaping, types, order; read back exactly by a real InfluxDB 1.6."""

from __future__ import annotations

import math
import random
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lanpulse.core.model import FieldValue, Sample
from lanpulse.core.schema import MEASUREMENTS
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol import (
    LineEncoder,
    encode_poll,
    encode_sample,
    encode_samples,
    escape_key,
    escape_measurement,
    format_field,
    stored_field_key,
    stored_text,
)
from lanpulse.timeseries.lineprotocol_decode import decode_line, decode_lines

T = 1_700_000_000_123_456_789


def s(tags: dict[str, str], fields: dict[str, int | float], m: str = "interface") -> Sample:
    return Sample(measurement=m, tags=tags, fields=fields, time_ns=T)


def test_plain_point_sorted_tags_int_suffix_float_repr() -> None:
    line = encode_sample(s({"if_name": "Gi1", "device": "sw1"}, {"in_octets": 42, "x": 0.1}))
    assert line == f"interface,device=sw1,if_name=Gi1 in_octets=42i,x=0.1 {T}"


def test_a_percent_sign_in_a_field_key_is_written_as_is() -> None:
    # Field values go through a %-format made per key: the key's own % must stay literal.
    line = encode_sample(s({"device": "sw1"}, {"a%d": 1, "b%%": 2.5, "%": 3}, m="custom"))
    assert line == f"custom,device=sw1 a%d=1i,b%%=2.5,%=3i {T}"


def test_escaping_of_every_part() -> None:
    assert escape_measurement("my meas,ure=x") == r"my\ meas\,ure=x"
    assert escape_key("a b,c=d") == r"a\ b\,c\=d"
    line = encode_sample(s({"if alias": "up, link=1"}, {"f k": 1}, m="m m"))
    assert line == rf"m\ m,if\ alias=up\,\ link\=1 f\ k=1i {T}"


def test_backslashes_newlines_and_unicode() -> None:
    # A backslash every server reads back alike stays; the others become U+FF3C (issue 20:
    # a lone backslash was an empty tag, `dev\\` merged with `dev`).
    assert escape_key("DOMAIN\\user") == "DOMAIN\\user"  # alone before a letter: kept
    assert escape_key("C:\\ Label") == "C:\uff3c\\ Label"
    assert escape_key("trailing\\") == "trailing\uff3c"
    assert escape_key("\\") == "\uff3c"
    assert escape_key("a\\\\,b") == "a\uff3c\uff3c\\,b"
    assert escape_key("\\\\server\\share") == "\uff3c\uff3cserver\\share"
    assert escape_key("bad \udcff byte") == "bad\\ \ufffd\\ byte"
    assert len(escape_key("é" * 5000).encode()) == 4096
    assert escape_key("two\nlines\r\n") == r"two\ lines\ \ "
    assert escape_key("tab\tnul\x00") == r"tab\ nul\ "
    assert escape_key("Salle café ☕") == r"Salle\ café\ ☕"


def test_empty_tags_skipped_and_unstorable_fields_left_out() -> None:
    line = encode_sample(
        s(
            {"device": "d", "if_alias": "", "": "x"},
            {"a": math.nan, "b": math.inf, "c": -math.inf, "d": 2**64, "e": 1.5},
        )
    )
    assert line == f"interface,device=d e=1.5 {T}"
    assert encode_sample(s({"device": "d"}, {"a": math.nan})) is None
    assert encode_sample(s({"device": "d"}, {})) is None


def test_field_literals() -> None:
    assert format_field(-(2**63)) == f"{-(2**63)}i"
    assert format_field(2**63) is None
    assert format_field(True) == "1i"
    assert format_field(1e16) == "1e+16"
    assert format_field(0.1 + 0.2) == "0.30000000000000004"
    assert format_field(-0.0) == "-0.0"


def test_encode_samples_counts_and_terminates_lines() -> None:
    batch = encode_samples(
        [s({"device": "a"}, {"up": 1}), s({"device": "b"}, {"x": math.nan}), s({}, {"v": 2})]
    )
    assert batch.points == 2 and batch.skipped == 1
    assert batch.lines.endswith(b"\n") and batch.lines.count(b"\n") == 2


def test_decode_round_trip() -> None:
    original = s({"device": "sw 1", "if_alias": "a,b=c"}, {"in octets": 7, "ratio": 1 / 3})
    line = encode_sample(original)
    assert line is not None
    assert decode_line(line) == original
    assert decode_lines(b"# comment\n\n" + line.encode() + b"\n") == [original]


def test_rates_are_written_with_three_decimals_and_keep_their_float() -> None:
    # The schema gives rates fixed decimals (FieldSpec.decimals): "%.3f" costs half the CPU
    # of repr. A rate as parsers/rates.py computes it (rounded to 3 decimals) reads back as
    # the very same float; anything else is rounded to 3 decimals.
    rng = random.Random(7)
    for _ in range(20_000):
        raw = rng.choice([rng.uniform(0, 1), rng.uniform(0, 1e6), rng.uniform(0, 1e13), 0.0])
        rate, share = round(raw * 1000) / 1000, round(raw % 100 * 1000) / 1000
        line = encode_sample(s({"device": "d"}, {"in_bps": rate, "in_util_pct": share}))
        assert line is not None
        assert decode_line(line).fields == {"in_bps": rate, "in_util_pct": share}, line
    line = encode_sample(s({"device": "d"}, {"in_bps": 1 / 3, "out_bps": 8, "in_octets": 5}))
    assert line == "interface,device=d in_bps=0.333,out_bps=8.000,in_octets=5i 1700000000123456789"


# --- against the real InfluxDB 1.6 ----------------------------------------------------------


@pytest.fixture(scope="module")
def influxd() -> Iterator[InfluxDB16]:
    server = InfluxDB16().start()
    server.query("CREATE DATABASE lp")
    yield server
    server.cleanup()


NASTY = [
    "plain",
    "with space",
    "comma,inside",
    "equals=inside",
    "DOMAIN\\user",
    "tab\there",
    "quote\"and'apos",
    "unicodé ☕ 東京",
    "#hash",
    " leading and trailing ",
]


def test_real_influxdb_reads_back_exact_tags_and_values(influxd: InfluxDB16) -> None:
    samples = [
        Sample(
            "interface",
            {"device": "sw,1 =x", "if_name": name, "class": "switch"},
            {
                "in_octets": 2**63 - 1 - i,
                "in_bps": 1234.568 + i,  # a rate: 3 decimals (FieldSpec.decimals)
                "ratio": 1234.5678901234567 + i,  # not in the schema: every digit of repr
                "neg": -5,
            },
            T + i,
        )
        for i, name in enumerate(NASTY)
    ]
    body = encode_samples(samples).lines
    req = urllib.request.Request(f"{influxd.url}/write?db=lp&precision=ns", data=body)
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 204
    result = influxd.query('SELECT * FROM "interface" ORDER BY time', "lp")
    series = result["results"][0]["series"][0]  # type: ignore[index]
    cols = series["columns"]
    rows = [dict(zip(cols, v, strict=True)) for v in series["values"]]
    assert [r["if_name"] for r in rows] == [stored_text(name) for name in NASTY]  # tab: space
    for i, row in enumerate(rows):
        assert row["time"] == T + i
        assert row["device"] == "sw,1 =x"
        assert row["in_octets"] == 2**63 - 1 - i
        assert row["in_bps"] == 1234.568 + i
        assert row["ratio"] == 1234.5678901234567 + i
        assert row["neg"] == -5


def test_values_that_cannot_be_stored_are_left_out_field_by_field() -> None:
    clean = s({"device": "d"}, {"a": 1, "b": 0.5})
    assert encode_sample(clean) == f"interface,device=d a=1i,b=0.5 {T}"
    assert (
        encode_sample(s({"device": "d"}, {"a": 2**64, "b": 0.5})) == f"interface,device=d b=0.5 {T}"
    )
    assert (
        encode_sample(s({"device": "d"}, {"a": 1, "b": math.nan})) == f"interface,device=d a=1i {T}"
    )
    assert (
        encode_sample(s({"device": "d"}, {"a": 1, "b": 2})) == f"interface,device=d a=1i,b=2i {T}"
    )


def test_none_tag_value_is_left_out_like_an_empty_one() -> None:
    sample = Sample("interface", {"device": "d", "x": None}, {"a": 1}, T)  # type: ignore[dict-item]
    assert encode_sample(sample) == f"interface,device=d a=1i {T}"


def test_large_int_in_number_field_keeps_its_float_value() -> None:
    # Below 1e16 the text equals repr(float(v)); above, the same float64 without exponent.
    line = encode_sample(s({"device": "d"}, {"value": 12345678901234567, "health": 0}, m="sensor"))
    assert line is not None
    value = line.split(" ")[1].split(",")[0].removeprefix("value=")
    assert float(value) == float(12345678901234567)
    assert not value.endswith("i")


def test_malformed_sample_reported_and_the_rest_encoded() -> None:
    good = Sample("host", {"device": "d"}, {"cpu_pct": 1.5}, T)
    bad = Sample("host", {"device": "d"}, None, T)  # type: ignore[arg-type]
    errors: list[tuple[Sample, Exception]] = []
    out: list[str] = []
    assert encode_poll([good, bad, good], out, lambda s, e: errors.append((s, e))) == 1
    assert out == [f"host,device=d cpu_pct=1.5 {T}"] * 2
    assert [s for s, _ in errors] == [bad] and isinstance(errors[0][1], AttributeError)
    with pytest.raises(AttributeError):
        encode_poll([good, bad], [])


# --- the one encoder and the one parser: a property round trip -----------------------------

_texts = st.one_of(
    st.text(alphabet=st.sampled_from("\\,= \"'#\n\r\t\x00é☃ab"), min_size=1, max_size=10),
    st.text(min_size=1, max_size=20),  # any code point, lone surrogates included
)
_values = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


def _one_line(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


@settings(max_examples=200, deadline=None)
@given(
    measurement=_texts.filter(lambda m: stored_text(m) not in MEASUREMENTS),
    tags=st.dictionaries(_texts, _texts, max_size=4),
    fields=st.dictionaries(_texts, _values, min_size=1, max_size=4),
    time_ns=st.integers(-(2**62), 2**62),
)
def test_what_the_encoder_writes_the_parser_reads_back_as_stored(
    measurement: str, tags: dict[str, str], fields: dict[str, FieldValue], time_ns: int
) -> None:
    """LineEncoder -> decode_line gives the sample as the servers store it: texts through
    `stored_text` (field keys `stored_field_key`), string values with line breaks as spaces."""
    assume(len({stored_text(k) for k in tags}) == len(tags))
    assume(len({stored_field_key(k) for k in fields}) == len(fields))
    line = LineEncoder().encode(Sample(measurement, tags, fields, time_ns))
    assert line is not None and "\n" not in line
    expected_fields: dict[str, FieldValue] = {
        stored_field_key(k): _one_line(v) if isinstance(v, str) else v for k, v in fields.items()
    }
    back = decode_line(line)
    assert back.measurement == stored_text(measurement)
    assert back.tags == {stored_text(k): stored_text(v) for k, v in tags.items()}
    assert back.fields == expected_fields
    assert all(type(back.fields[k]) is type(v) for k, v in expected_fields.items())
    assert back.time_ns == time_ns


def test_a_boolean_reads_as_the_integer_the_encoder_would_write() -> None:
    # InfluxDB's booleans (t, TRUE, false...) are booleans to the parser; a Sample has no
    # booleans (the schema has none, the encoder writes a bool as 1i/0i), so 1 or 0.
    back = decode_line("m,t=a up=t,down=FALSE 5")
    assert back.fields == {"up": 1, "down": 0}
    assert all(type(v) is int for v in back.fields.values())
