"""Agents push into a running daemon: Telegraf's documented output, sent with raw HTTP (v1
/write, gzip, Basic auth) and with influxdb-client (v2 /api/v2/write), ends as canonical
samples in a real InfluxDB 1.6; bad pushes get InfluxDB's status codes and a counted reason."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from influxdb_client import InfluxDBClient  # type: ignore[attr-defined]
from influxdb_client.client.write_api import SYNCHRONOUS

from lanpulse.config.agents import AgentsSettings
from lanpulse.core.model import Sample
from lanpulse.pipeline.agents import AgentService
from lanpulse.sim.servers import InfluxDB16, free_tcp_port
from tests._daemon import influx_rows, running, until, v1_section, write_config
from tests.test_alerts_delivery_email import cert  # noqa: F401 - the self-signed TLS fixture

FIXTURES = Path(__file__).parent / "fixtures" / "telegraf"
TOKEN = "desktops-s3cret"


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        yield server  # type: ignore[misc]


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict[str, object]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), {}
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def agents_section(tmp: Path, port: int, extra: str = "") -> str:
    (tmp / "desktops.token").write_text(TOKEN + "\n")
    (tmp / "pc1.token").write_text("pc1-only\n")
    return (
        "agents:\n"
        f"  listen: 127.0.0.1:{port}\n"
        "  tokens:\n"
        "    - {name: desktops, token_file: desktops.token}\n"
        "    - {name: pc1, token_file: pc1.token, hosts: [PC-0001]}\n"
        "  classes: [{match: {host: 'srv-.*'}, class: server}]\n"
        "  max_body: 64KiB\n" + extra
    )


async def test_telegraf_output_lands_in_influxdb_as_canonical_samples(
    influx: InfluxDB16, tmp_path: Path
) -> None:
    port = free_tcp_port()
    config = write_config(
        tmp_path / "lanpulse.yaml",
        [],
        influx=v1_section(influx, "push"),
        # Telegraf's README examples keep the timestamps they were taken at (years ago), older
        # than the default raw retention lanpulse sets on InfluxDB 1.x (capacity.md): keep the
        # database's own policy so InfluxDB does not refuse them as beyond retention.
        extra=agents_section(tmp_path, port, "rollups: {manage_retention: false}\n"),
    )
    base = f"http://127.0.0.1:{port}"
    async with running(config) as run:
        await until(
            lambda: run.daemon.agents is not None and run.daemon.agents.receiver.port == port
        )
        # Telegraf outputs.influxdb: CREATE DATABASE first, then gzip'd /write, Basic auth.
        basic = "Basic " + base64.b64encode(f"telegraf:{TOKEN}".encode()).decode()
        status, _, _ = await asyncio.to_thread(
            post, f"{base}/query?q=CREATE+DATABASE+%22telegraf%22", b"", {"Authorization": basic}
        )
        assert status == 200
        linux = (FIXTURES / "linux.lp").read_bytes()
        status, _, body = await asyncio.to_thread(
            post,
            f"{base}/write?db=telegraf",
            gzip.compress(linux),
            {"Authorization": basic, "Content-Encoding": "gzip"},
        )
        assert status == 204, body
        # influxdb-client (outputs.influxdb_v2 speaks the same): Token header, v2 endpoint.
        windows = (FIXTURES / "windows.lp").read_text()

        def v2_write() -> None:
            with InfluxDBClient(url=base, token="pc1-only", org="police") as client:
                client.write_api(write_options=SYNCHRONOUS).write("desktops", "police", windows)

        await asyncio.to_thread(v2_write)
        await until(lambda: len(influx_rows(influx, "push", 'SELECT * FROM "storage"')) >= 2, 20)
        # host and storage points may travel in different batches: wait for the memory too
        await until(lambda: influx_rows(influx, "push", "SELECT mem_total_bytes FROM host"), 20)
        host = influx_rows(influx, "push", "SELECT * FROM host WHERE device = 'loaner'")
        # The README examples were taken at different times: one host row per timestamp.
        assert {r["class"] for r in host} == {"desktop"}
        assert [r["mem_total_bytes"] for r in host if r["mem_total_bytes"]] == [20913917952]
        volumes = {
            r["device"]: r["volume"] for r in influx_rows(influx, "push", "SELECT * FROM storage")
        }
        assert volumes == {"loaner": "/", "PC-0001": "C:"}
        nics = influx_rows(influx, "push", "SELECT * FROM interface WHERE device = 'PC-0001'")
        assert [r["in_bps"] for r in nics] == [121876.0]
        # Unmapped measurements (diskio, win_mem, ...) are passed through unchanged.
        diskio = influx_rows(influx, "push", "SELECT * FROM diskio")
        assert {r["name"] for r in diskio} == {"sda1", "centos/var_log"}
        assert (
            influx_rows(influx, "push", "SELECT * FROM win_mem")[0]["Available_Bytes"]
            == 14458130432
        )
        up = influx_rows(influx, "push", "SELECT * FROM device WHERE up = 1")
        assert {r["device"] for r in up} >= {"loaner", "PC-0001"}

        # Bad pushes: the right status, a counted reason, nothing else lost.
        status, _, body = await asyncio.to_thread(
            post, f"{base}/write?db=x&u=a&p=wrong", linux[:200]
        )
        assert status == 401 and body == {"error": "authorization failed"}
        mixed = b"cpu,host=PC-0001,cpu=cpu-total usage_idle=50\ncpu,host=PC-0001 usage_idle=\n"
        status, _, body = await asyncio.to_thread(
            post, f"{base}/api/v2/write?bucket=b&org=o", mixed, {"Authorization": "Token pc1-only"}
        )
        assert (
            status == 400
            and "line 2" in str(body["message"])
            and "dropped=1" in str(body["message"])
        )
        status, _, _ = await asyncio.to_thread(
            post, f"{base}/write?db=x&p={TOKEN}", b"x v=1\n" * 20000
        )
        assert status == 413
        bomb = gzip.compress(b"x v=1\n" * 200_000)  # 1.2 MB inflated from a few KB
        status, _, _ = await asyncio.to_thread(
            post, f"{base}/write?p={TOKEN}", bomb, {"Content-Encoding": "gzip"}
        )
        assert status == 413
        status, _, body = await asyncio.to_thread(  # a per-agent token speaks for its host only
            post, f"{base}/write?p=pc1-only", b"cpu,host=PC-0002,cpu=cpu-total usage_idle=5\n"
        )
        assert status == 400 and "not allowed for token 'pc1'" in str(body["error"])
        stats = run.daemon.all_stats()
        assert stats["push_refused_unauthorized"] == 1
        assert stats["push_refused_malformed"] == 1
        assert stats["push_refused_host_refused"] == 1
        assert stats["push_refused_too_large"] == 2
        assert stats["agents"] == 2


async def test_backlog_answers_503_with_retry_after(tmp_path: Path) -> None:
    # A full shipper is stood in for by its backlog figure (the real one is covered by
    # Shipper.backlog's own test): the receiver must refuse before taking the data.
    level = [0.0]
    emitted: list[Sample] = []
    settings = AgentsSettings.model_validate(
        {
            "listen": f"127.0.0.1:{free_tcp_port()}",
            "tokens": [{"name": "t", "token": "tok"}],
            "retry_after": "30s",
        }
    )
    service = AgentService(
        settings,
        emit=lambda s: bool(emitted.extend(s)) or True,
        passthrough=lambda lines: True,
        backlog=lambda: level[0],
    )
    await service.start()
    try:
        url = f"http://127.0.0.1:{service.receiver.port}/write?p=tok"
        body = b"cpu,host=a,cpu=cpu-total usage_idle=90\n"
        assert (await asyncio.to_thread(post, url, body))[0] == 204
        level[0] = 0.95
        status, headers, _ = await asyncio.to_thread(post, url, body)
        assert status == 503 and headers["Retry-After"] == "30"
        assert service.stats()["push_refused_backlog"] == 1
        assert len([s for s in emitted if s.measurement == "host"]) == 1  # nothing half-taken
    finally:
        await service.stop()


def test_listen_off_loopback_needs_tls() -> None:
    with pytest.raises(ValueError, match="expected a tls section"):
        AgentsSettings.model_validate(
            {"listen": "0.0.0.0:8186", "tokens": [{"name": "t", "token": "x"}]}
        )


def test_config_errors_are_one_line_with_file_line_and_key(tmp_path: Path) -> None:
    from lanpulse.config.loader import load_config
    from lanpulse.core.errors import ConfigErrors

    (tmp_path / "t.token").write_text("x\n")
    bad = tmp_path / "lanpulse.yaml"
    bad.write_text(
        "agents:\n"
        "  listen: 0.0.0.0:8186\n"
        "  tokens: [{name: t, token_file: t.token}]\n"
        "  stale_after: 0\n"
        "devices: []\n"
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(bad)
    lines = [e.one_line() for e in info.value.errors]
    assert any(":4: agents.stale_after:" in line for line in lines), lines
    bad.write_text(
        "agents:\n  listen: 0.0.0.0:8186\n  tokens: [{name: t, token_file: nope.token}]\n"
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(bad)
    text = str(info.value)
    assert "nope.token" in text and "does not exist" in text and "Traceback" not in text
    assert "x\n" not in text  # never a secret


def test_port_in_use_is_a_config_error(tmp_path: Path) -> None:
    import socket

    from lanpulse.core.errors import ConfigError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = AgentsSettings.model_validate(
            {"listen": f"127.0.0.1:{port}", "tokens": [{"name": "t", "token": "x"}]}
        )
        service = AgentService(
            settings, emit=lambda s: True, passthrough=lambda lines: True, backlog=lambda: 0.0
        )

        async def start() -> None:
            await service.start()

        with pytest.raises(ConfigError, match=r"agents\.listen: cannot listen"):
            asyncio.run(start())


async def test_tls_listener(request: pytest.FixtureRequest) -> None:
    """`tls:` serves HTTPS (what `listen` off loopback requires); plain HTTP is not spoken."""
    import ssl

    pem: tuple[Path, Path] = request.getfixturevalue("cert")  # a self-signed 127.0.0.1 cert

    settings = AgentsSettings.model_validate(
        {
            "listen": f"127.0.0.1:{free_tcp_port()}",
            "tls": {"cert_file": str(pem[0]), "key_file": str(pem[1])},
            "tokens": [{"name": "t", "token": "tok"}],
        }
    )
    emitted: list[Sample] = []
    service = AgentService(
        settings,
        emit=lambda s: bool(emitted.extend(s)) or True,
        passthrough=lambda lines: True,
        backlog=lambda: 0.0,
    )
    await service.start()
    try:
        port = service.receiver.port
        context = ssl.create_default_context(cafile=str(pem[0]))
        body = b"cpu,host=tls-pc,cpu=cpu-total usage_idle=75\n"

        def https_post() -> int:
            request = urllib.request.Request(
                f"https://127.0.0.1:{port}/api/v2/write?bucket=b",
                data=body,
                headers={"Authorization": "Token tok"},
            )
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                return response.status

        assert await asyncio.to_thread(https_post) == 204
        assert [s.fields for s in emitted if s.measurement == "host"] == [{"cpu_pct": 25.0}]
        with pytest.raises(Exception):  # noqa: B017 - plain HTTP on the TLS port fails
            await asyncio.to_thread(post, f"http://127.0.0.1:{port}/write?p=tok", body)
    finally:
        await service.stop()


async def test_a_failing_ingest_answers_500_and_the_receiver_goes_on() -> None:
    calls = [0]

    def emit(samples: object) -> bool:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("a bug downstream")
        return True

    settings = AgentsSettings.model_validate(
        {"listen": f"127.0.0.1:{free_tcp_port()}", "tokens": [{"name": "t", "token": "tok"}]}
    )
    service = AgentService(settings, emit=emit, passthrough=lambda lines: True, backlog=lambda: 0.0)
    await service.start()
    try:
        url = f"http://127.0.0.1:{service.receiver.port}/write?p=tok"
        body = b"cpu,host=a,cpu=cpu-total usage_idle=90\n"
        assert (await asyncio.to_thread(post, url, body))[0] == 500
        assert (await asyncio.to_thread(post, url, body))[0] == 204
        assert service.stats()["push_refused_internal"] == 1
    finally:
        await service.stop()
