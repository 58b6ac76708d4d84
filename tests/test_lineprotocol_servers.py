"""Property test: any tag value or field key lanpulse writes is stored exactly as meant.

Random texts (backslashes, commas, spaces, equals signs, quotes, newlines, tabs, NUL, other
control characters, undecodable bytes kept as surrogates, non-ASCII, 64 KB strings) are
written as tag values and field keys to a real InfluxDB 1.6 (v1 /write, read back with
InfluxQL) and a real VictoriaMetrics (/write, read back with /api/v1/export). Every point
must be accepted (204, nothing partial) and read back as `stored_text(original)`: the
normalisation docs/storage.md lists.
"""

from __future__ import annotations

import itertools
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lanpulse.core.model import Sample
from lanpulse.sim.servers import InfluxDB16, VictoriaMetrics
from lanpulse.timeseries.lineprotocol import encode_samples, stored_field_key, stored_text
from lanpulse.timeseries.lineprotocol_decode import decode_lines

NASTY = "\\\\\\,,, ==\"'\n\r\t\x00\x01\x7f#é☃\udcff"
texts = st.one_of(
    st.text(alphabet=st.sampled_from(NASTY + "ab"), min_size=1, max_size=12),
    st.text(min_size=1, max_size=30),  # any code point, surrogates included
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "\\", "é", "a\\,"]), st.just(65536)),
)
_measurements = itertools.count()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[InfluxDB16, VictoriaMetrics]]:
    influx = InfluxDB16().start()
    vm = VictoriaMetrics().start()
    influx.query("CREATE DATABASE lp")
    yield influx, vm
    influx.cleanup()
    vm.cleanup()


def post(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        pytest.fail(f"{url}: {exc.code} {exc.read()[:300]!r}")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(texts, min_size=1, max_size=12))
@example(["\\", "a\\\\,b", "dev\\", "dev", "C:\\ Label", "DOMAIN\\user", "\\\\srv\\share"])
def test_every_text_reads_back_as_meant_from_both_servers(
    servers: tuple[InfluxDB16, VictoriaMetrics], values: list[str]
) -> None:
    influx, vm = servers
    measurement = f"prop{next(_measurements)}"
    now = time.time_ns() // 10**9 * 10**9
    # Each text as a tag value of its own point, and as the field key of that point.
    samples = [
        Sample(measurement, {"case": str(i), "t": text}, {text: i}, now)
        for i, text in enumerate(values)
    ]
    wanted = {str(i): (stored_text(t), stored_field_key(t)) for i, t in enumerate(values)}
    batch = encode_samples(samples)
    assert batch.points == len(values)
    assert post(f"{influx.url}/write?db=lp&precision=ns", batch.lines) == 204
    assert post(f"{vm.url}/write?db=lp", batch.lines) == 204

    result = influx.query(f'SELECT * FROM "{measurement}"', "lp")
    series = result["results"][0]["series"][0]  # type: ignore[index]
    columns = series["columns"]
    got_influx = {}
    for row in series["values"]:
        record = dict(zip(columns, row, strict=True))
        fields = [c for c in columns if c not in ("time", "case", "t") and record[c] is not None]
        assert len(fields) == 1, record
        got_influx[record["case"]] = (record["t"], fields[0])
    assert got_influx == wanted
    # lanpulse's own reader (the one parser, lanpulse.core.lineprotocol_parse) reads the
    # batch as InfluxDB 1.6 did.
    got_decoder = {d.tags["case"]: (d.tags["t"], *d.fields) for d in decode_lines(batch.lines)}
    assert got_decoder == wanted

    got_vm = {}
    for item in vm.export(f'{{__name__=~"{measurement}_.*"}}'):
        labels = item["metric"]
        assert isinstance(labels, dict)
        got_vm[labels["case"]] = (labels["t"], labels["__name__"][len(measurement) + 1 :])
    assert got_vm == wanted
