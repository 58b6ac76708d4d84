"""Trouble on every side while the daemon runs: slow, hung, silent, lying and absent devices,
and an InfluxDB 1.6 that refuses the writes. The daemon keeps running, the healthy device keeps
being polled on time, slow polls are skipped (counted, never stacked), nothing is lost.

Real components: snmpsim (one agent for the healthy devices, a separate one for the slow
device, because snmpsim's `delay` variation blocks its whole process), influxd 1.6, and plain
UDP sockets on 127.0.0.1 standing in for devices that never answer or answer garbage.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.servers import InfluxDB16, free_tcp_port
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port
from tests._daemon import device_line, influx_rows, running, until, write_config
from tests.test_snmp_client import warm_up

BROTHER = RECORDINGS / "brother_hl5370dw.snmprec"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def slow_recording(wait_ms: int) -> str:
    """The Brother recording whose sysUpTime (GET every poll) answers `wait_ms` late."""
    out = []
    for line in BROTHER.read_text().splitlines():
        if line.startswith(SYS_UPTIME + "|"):
            value = line.split("|")[2]
            line = f"{SYS_UPTIME}|67:delay|value={value},wait={wait_ms}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("healthy"))
    agent.add(BROTHER, "good")
    agent.start()
    warm_up(agent, "good")
    yield agent
    agent.cleanup()


@pytest.fixture(scope="module")
def slow_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("slow"))
    agent.add_text("slow", slow_recording(2000))
    agent.start()
    yield agent
    agent.cleanup()


class _Garbage(asyncio.DatagramProtocol):
    """Answers every datagram with bytes that are not SNMP (or does not answer at all)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.reply is not None and self.transport is not None:
            self.transport.sendto(self.reply, addr)


@pytest.fixture
async def udp_devices() -> AsyncIterator[dict[str, int]]:
    """Ports of a device that never answers and one that answers garbage."""
    loop = asyncio.get_running_loop()
    ports: dict[str, int] = {}
    transports = []
    for name, reply in (("hung", None), ("garbage", b"\x30\x05\x02\x01\x09\xff\xff not snmp")):
        transport, _ = await loop.create_datagram_endpoint(
            lambda reply=reply: _Garbage(reply), local_addr=("127.0.0.1", 0)
        )
        transports.append(transport)
        ports[name] = transport.get_extra_info("sockname")[1]
    yield ports
    for t in transports:
        t.close()


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_daemon_survives_bad_devices_and_a_refusing_influxdb(
    agent: SnmpSimAgent,
    slow_agent: SnmpSimAgent,
    udp_devices: dict[str, int],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = "faults"
    http = f"127.0.0.1:{free_tcp_port()}"
    with InfluxDB16(tmp_path / "influxd") as influx:
        # The database does not exist yet and lanpulse may not create it: InfluxDB answers
        # every write with 404.
        section = (
            f"influxdb:\n  url: {influx.url}\n  api: v1\n  database: {db}\n"
            "  create_database: false\n"
            "  flush_interval: 0.2s\n  backoff: 0.2s\n  max_backoff: 0.5s"
        )
        devices = [
            device_line("good", agent.port, interval="1s"),
            # Its sysUpTime answers after 2 s: each poll outlasts the 1 s interval.
            device_line("slow", slow_agent.port, snmp="timeout: 3s", interval="1s", deadline="4s"),
            device_line("hung", udp_devices["hung"]),
            device_line("garbage", udp_devices["garbage"]),
            device_line("wrong-community", agent.port, community="not-the-community"),
            device_line("absent", free_udp_port()),
        ]
        config = write_config(
            tmp_path / "lanpulse.yaml",
            devices,
            influx=section,
            http_listen=http,
            interval="2s",
            daemon="unhealthy_after: 2s",
        )
        started = time.monotonic()
        async with running(config) as run:
            await until(lambda: run.daemon.scheduler.stats.polls_skipped >= 2, 20)
            await until(
                lambda: all(run.polled.get(n, 0) >= 1 for n in run.daemon.scheduler.devices), 20
            )
            elapsed = time.monotonic() - started
            # The healthy device was polled on its 1 s interval throughout.
            assert run.answered["good"] >= int(elapsed) - 2
            # Never stacked: the slow device ran at most one poll per 2 s it takes.
            assert run.polled.get("slow", 0) <= elapsed / 2 + 1
            for name in ("hung", "garbage", "wrong-community", "absent"):
                assert run.answered.get(name, 0) == 0, name
            # InfluxDB has taken nothing for longer than `unhealthy_after`.
            await until(lambda: run.daemon.all_stats()["spool_age_seconds"] > 2.5)
            status, body = await asyncio.to_thread(http_get, f"http://{http}/healthz")
            assert status == 503 and json.loads(body)["status"] == "degraded"
            status, text = await asyncio.to_thread(http_get, f"http://{http}/metrics")
            assert status == 200
            assert metric(text, "lanpulse_polls_skipped_total") >= 2
            assert metric(text, "lanpulse_polls_failed_total") >= 4
            assert "# TYPE lanpulse_polls_total counter" in text
            shipper = run.daemon.sinks[0].stats().as_fields()
            assert shipper["points_written"] == 0 and shipper["spool_points"] > 0
            # InfluxDB starts accepting: everything kept so far arrives.
            await asyncio.to_thread(influx.query, f'CREATE DATABASE "{db}"')
            await until(lambda: run.daemon.sinks[0].stats().as_fields()["spool_points"] == 0, 20)
            # Health follows within a moment (the spool's age is re-read as segments go).
            for _ in range(50):
                status, body = await asyncio.to_thread(http_get, f"http://{http}/healthz")
                if status == 200:
                    break
                await asyncio.sleep(0.2)
            assert status == 200 and json.loads(body)["status"] == "ok"
        assert run.daemon.sinks[0].stats().as_fields()["points_dropped"] == 0
        for name in run.polled:
            rows = influx_rows(
                influx, db, f"SELECT count(up) AS n FROM device WHERE device = '{name}'"
            )
            assert rows and rows[0]["n"] == run.polled[name], name
        (me,) = influx_rows(influx, db, "SELECT last(polls_skipped) AS skipped FROM lanpulse")
        assert me["skipped"] >= 2
    assert "not-the-community" not in caplog.text  # no secret in any log line
    assert "wrong-community" in caplog.text
