"""Writers against real servers: InfluxDB 1.6 (v1 /write, InfluxQL) and VictoriaMetrics
(influxdb-client's v2 /api/v2/write, read back through its export API)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from lanpulse.config.secrets import safe_url
from lanpulse.core.errors import SinkError
from lanpulse.core.model import Sample, Secret
from lanpulse.sim.servers import InfluxDB16, VictoriaMetrics, free_tcp_port
from lanpulse.timeseries.lineprotocol import encode_samples
from lanpulse.timeseries.writer import (
    WriteRejected,
    classify_response,
    parse_retry_after,
    server_message,
)
from lanpulse.timeseries.writer_v1 import InfluxV1Writer
from lanpulse.timeseries.writer_v2 import InfluxV2Writer

T0 = 1_700_000_000 * 10**9
PASSWORD = "pa55-w0rd-never-logged"
TOKEN = "t0ken-never-logged"


def interface_samples(n: int, t0: int = T0) -> list[Sample]:
    return [
        Sample(
            "interface",
            {"device": "sw-1", "class": "switch", "if_index": str(i), "if_name": f"Gi1/0/{i}"},
            {"in_octets": 10**12 + i, "in_bps": 1000.25 * i, "oper_status": 1},
            t0 + i * 10**9,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def influxd() -> Iterator[InfluxDB16]:
    server = InfluxDB16().start()
    server.query("CREATE DATABASE lanpulse")
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def vm() -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics().start()
    yield server
    server.cleanup()


@pytest.mark.parametrize("gzip", [False, True])
async def test_v1_write_reads_back_exact_values(influxd: InfluxDB16, gzip: bool) -> None:
    db = f"exact_{gzip}"
    influxd.query(f'CREATE DATABASE "{db}"')
    batch = encode_samples(interface_samples(5))
    await InfluxV1Writer(influxd.url, db, gzip=gzip).write(batch.lines, batch.points)
    res = influxd.query("SELECT * FROM interface WHERE device='sw-1' ORDER BY time", db)
    series = res["results"][0]["series"][0]  # type: ignore[index]
    rows = [dict(zip(series["columns"], v, strict=True)) for v in series["values"]]
    assert [r["time"] for r in rows] == [T0 + i * 10**9 for i in range(5)]
    assert [r["in_octets"] for r in rows] == [10**12 + i for i in range(5)]
    assert [r["in_bps"] for r in rows] == [1000.25 * i for i in range(5)]
    assert [r["if_name"] for r in rows] == [f"Gi1/0/{i}" for i in range(5)]
    assert {r["class"] for r in rows} == {"switch"}


async def test_v1_missing_database_is_not_retryable_and_carries_influx_message(
    influxd: InfluxDB16,
) -> None:
    writer = InfluxV1Writer(influxd.url, "nope", create_database=False)
    with pytest.raises(SinkError) as info:
        await writer.write(b"m v=1i 1\n", 1)
    assert not info.value.retryable
    assert 'database not found: "nope"' in str(info.value)


async def test_v1_missing_database_is_created_once_like_telegraf(influxd: InfluxDB16) -> None:
    await InfluxV1Writer(influxd.url, "created-on-demand").write(b"m v=1i 1\n", 1)
    result = influxd.query("SELECT count(v) FROM m", db="created-on-demand")
    assert result["results"][0]["series"][0]["values"][0][1] == 1  # type: ignore[index]


async def test_v1_partial_write_is_reported_as_rejected(influxd: InfluxDB16) -> None:
    writer = InfluxV1Writer(influxd.url, "lanpulse")
    await writer.write(b"conflict v=1i 1\n", 1)
    with pytest.raises(WriteRejected) as info:
        await writer.write(b"conflict v=1i 2\nconflict v=1.5 3\n", 2)
    assert info.value.partial and info.value.status == 400
    assert "field type conflict" in str(info.value)
    res = influxd.query("SELECT count(v) FROM conflict", "lanpulse")
    assert res["results"][0]["series"][0]["values"][0][1] == 2  # type: ignore[index]
    with pytest.raises(WriteRejected) as bad:
        await writer.write(b"this is not line protocol\n", 1)
    assert not bad.value.partial and "unable to parse" in str(bad.value)


async def test_v1_connection_refused_is_retryable() -> None:
    writer = InfluxV1Writer(f"http://127.0.0.1:{free_tcp_port()}", "db", timeout_s=2)
    with pytest.raises(SinkError) as info:
        await writer.write(b"m v=1i 1\n", 1)
    assert info.value.retryable


async def test_v1_auth_failure_names_no_secret(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # A real influxd with auth-enabled = true; the first admin may be created unauthenticated.
    server = InfluxDB16(tmp_path_factory.mktemp("influx-auth"), auth_enabled=True).start()
    try:
        server.query(f"CREATE USER admin WITH PASSWORD '{PASSWORD}' WITH ALL PRIVILEGES")
        server.query("CREATE DATABASE secured", auth=("admin", PASSWORD))
        caplog.set_level(logging.DEBUG)
        wrong = InfluxV1Writer(server.url, "secured", username="admin", password=Secret("wrong"))
        with pytest.raises(SinkError) as info:
            await wrong.write(b"m v=1i 1\n", 1)
        assert not info.value.retryable
        assert "HTTP 401" in str(info.value) and "authorization failed" in str(info.value)
        right = InfluxV1Writer(server.url, "secured", username="admin", password=Secret(PASSWORD))
        await right.write(b"m v=1i 1\n", 1)
        assert PASSWORD not in repr(right) + right.describe() + str(info.value) + caplog.text
        assert "wrong" not in str(info.value)
    finally:
        server.cleanup()


async def test_v2_through_influxdb_client_into_victoriametrics(vm: VictoriaMetrics) -> None:
    t0 = time.time_ns() - 60 * 10**9  # VictoriaMetrics keeps recent data only by default
    batch = encode_samples(interface_samples(4, t0))
    writer = InfluxV2Writer(vm.url, "lanpulse", org="office", token=Secret(TOKEN), gzip=True)
    try:
        await writer.write(batch.lines, batch.points)
    finally:
        await writer.close()
    deadline = time.monotonic() + 15
    while True:
        series = vm.export('{__name__=~"interface.*"}')
        if len(series) == 12 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    by_key = {(s["metric"]["__name__"], s["metric"]["if_index"]): s for s in series}  # type: ignore[index]
    assert len(by_key) == 12
    for i in range(4):
        octets = by_key[("interface_in_octets", str(i))]
        assert octets["values"] == [10**12 + i]
        assert octets["timestamps"] == [(t0 + i * 10**9) // 10**6]
        assert octets["metric"]["if_name"] == f"Gi1/0/{i}"  # type: ignore[index]
        assert octets["metric"]["device"] == "sw-1"  # type: ignore[index]
        assert by_key[("interface_in_bps", str(i))]["values"] == [1000.25 * i]


async def test_v2_unreachable_is_retryable_and_hides_the_token() -> None:
    writer = InfluxV2Writer(
        f"http://127.0.0.1:{free_tcp_port()}", "b", org="o", token=Secret(TOKEN), timeout_s=2
    )
    with pytest.raises(SinkError) as info:
        await writer.write(b"m v=1i 1\n", 1)
    await writer.close()
    assert info.value.retryable
    assert TOKEN not in str(info.value) + repr(writer)


def test_response_classification() -> None:
    e429 = classify_response(
        429, b'{"code":"too many","message":"slow down"}', {"Retry-After": "7"}, "x"
    )
    assert e429.retryable and e429.retry_after == 7.0 and "slow down" in str(e429)
    e503 = classify_response(503, b"", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, "x")
    assert e503.retryable and e503.retry_after == 0.0
    assert classify_response(500, b"{}", None, "x").retryable
    assert isinstance(classify_response(413, b"too large", None, "x"), WriteRejected)
    e404 = classify_response(
        404, b'{"code":"not found","message":"bucket \\"b\\" not found"}', None, "x"
    )
    assert not e404.retryable and not isinstance(e404, WriteRejected)
    assert 'bucket "b" not found' in str(e404)
    assert parse_retry_after("abc") is None and parse_retry_after(None) is None
    assert server_message(b'{"error":"partial write: x dropped=1"}') == "partial write: x dropped=1"
    assert (
        safe_url("https://user:pw@db.example:8086/base?u=a&p=b") == "https://db.example:8086/base"
    )
