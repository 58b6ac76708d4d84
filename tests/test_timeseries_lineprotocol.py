"""Line protocol encoding: escaping, types, order; read back exactly by a real InfluxDB 1.6."""

from __future__ import annotations

import math
import random
import urllib.request
from collections.abc import Iterator

import pytest

from lanpulse.core.model import Sample
from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.lineprotocol import (
    decode_line,
    decode_lines,
    encode_sample,
    encode_samples,
    escape_key,
    escape_measurement,
    format_field,
)

T = 1_700_000_000_123_456_789


def s(tags: dict[str, str], fields: dict[str, int | float], m: str = "interface") -> Sample:
    return Sample(measurement=m, tags=tags, fields=fields, time_ns=T)


def test_plain_point_sorted_tags_int_suffix_float_repr() -> None:
    line = encode_sample(s({"if_name": "Gi1", "device": "sw1"}, {"in_octets": 42, "x": 0.1}))
    assert line == f"interface,device=sw1,if_name=Gi1 in_octets=42i,x=0.1 {T}"


def test_escaping_of_every_part() -> None:
    assert escape_measurement("my meas,ure=x") == r"my\ meas\,ure=x"
    assert escape_key("a b,c=d") == r"a\ b\,c\=d"
    line = encode_sample(s({"if alias": "up, link=1"}, {"f k": 1}, m="m m"))
    assert line == rf"m\ m,if\ alias=up\,\ link\=1 f\ k=1i {T}"


def test_backslashes_newlines_and_unicode() -> None:
    assert escape_key("DOMAIN\\user") == "DOMAIN\\user"  # left alone: 1.x stores it literally
    assert escape_key("C:\\ Label") == "C:\\\\\\ Label"  # a backslash before an escape doubles
    assert escape_key("trailing\\") == "trailing"  # 1.x cannot store a trailing backslash
    assert escape_key("two\nlines\r\n") == r"two\ lines\ "
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
    assert [r["if_name"] for r in rows] == NASTY
    for i, row in enumerate(rows):
        assert row["time"] == T + i
        assert row["device"] == "sw,1 =x"
        assert row["in_octets"] == 2**63 - 1 - i
        assert row["in_bps"] == 1234.568 + i
        assert row["ratio"] == 1234.5678901234567 + i
        assert row["neg"] == -5


# --- the per-shape template fast path agrees with the careful reference encoder ------------


def _careful(sample: Sample) -> str | None:
    from lanpulse.timeseries.lineprotocol import _encode_careful

    return _encode_careful(sample)


FAST_CASES = [
    s({"device": "sw1", "if_name": "Gi1"}, {"in_octets": 42, "in_bps": 0.1, "up": 1}),
    s({"site": "b", "device": "sw1", "if_name": "Gi 1,x=y"}, {"in_octets": 42}),  # unsorted
    s({"device": "d", "": "x", "class": "c"}, {"a": 1.5}),  # empty key left out
    s({"device": "d", "if_alias": ""}, {"a": 1.5}),  # empty value left out
    s({"device": "d"}, {"a": math.nan, "b": 2}),  # NaN left out
    s({"device": "d"}, {"a": math.inf, "b": 2.5}),
    s({"device": "d"}, {"a": 2**63, "b": 2}),  # beyond int64 left out
    s({"device": "d"}, {"a": -(2**63), "b": 2**63 - 1}),
    s({"device": "d"}, {"a": True, "b": 2}),  # a stray bool
    s({"device": "d"}, {"value": 47, "health": 0}, m="sensor"),  # "number" int -> float
    s({"device": "d"}, {"value": 47.5, "health": 0}, m="sensor"),
    s({"device": "d"}, {"value": -3, "health": 0}, m="sensor"),
    s({"de%vice": "50%"}, {"%d": 1, "x%s": 0.5}, m="m%r"),  # % in the template text
    s({"device": "d"}, {"": 1, "b": 2}),  # an empty field key cannot be written
    s({"device": "d"}, {}),
    s({}, {"a": 1}),
]


@pytest.fixture
def template_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the template path for samples of any width (normally only for wide ones)."""
    from lanpulse.timeseries import lineprotocol

    monkeypatch.setattr(lineprotocol, "_TEMPLATE_MIN_FIELDS", 1)


WIDE = {f"f{i}": (i * 1000 if i % 2 else i / 7) for i in range(12)}


@pytest.mark.parametrize(
    "sample",
    [
        *FAST_CASES,
        s({"device": "sw1", "if_name": "Gi1"}, WIDE),
        s({"device": "sw1", "if_name": "Gi1"}, {**WIDE, "f3": math.nan}),
        s({"device": "sw1", "if_name": "Gi1"}, {**WIDE, "f3": 2**63}),
    ],
)
def test_fast_path_matches_reference_encoder(sample: Sample, template_always: None) -> None:
    for _ in range(2):  # the first call builds the shape's template, the second uses it
        assert encode_sample(sample) == _careful(sample)


def test_fast_path_after_shape_seen_with_other_values(template_always: None) -> None:
    # Same shape as a clean sample, then values the template cannot carry.
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


def test_none_tag_value_is_left_out_like_an_empty_one(template_always: None) -> None:
    sample = Sample("interface", {"device": "d", "x": None}, {"a": 1}, T)  # type: ignore[dict-item]
    assert encode_sample(sample) == f"interface,device=d a=1i {T}"


def test_large_int_in_number_field_keeps_its_float_value(template_always: None) -> None:
    # Below 1e16 the text equals repr(float(v)); above, the same float64 without exponent.
    line = encode_sample(s({"device": "d"}, {"value": 12345678901234567, "health": 0}, m="sensor"))
    assert line is not None
    value = line.split(" ")[1].split(",")[0].removeprefix("value=")
    assert float(value) == float(12345678901234567)
    assert not value.endswith("i")
