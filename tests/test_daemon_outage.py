"""Nothing collected is lost: InfluxDB 1.6 down for several polls, and the daemon killed -9.

Both against real servers: influxd is stopped and restarted on the same port and data
directory; the daemon runs as `python -m lanpulse run` and is killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.servers import InfluxDB16
from lanpulse.sim.snmpsim import SnmpSimAgent
from lanpulse.timeseries.segment import iter_records, read_segment
from tests._daemon import (
    DaemonProcess,
    device_line,
    influx_rows,
    running,
    until,
    v1_section,
    wait_for,
    write_config,
)
from tests.test_snmp_client import warm_up


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("outage"))
    agent.add(RECORDINGS / "brother_hl5370dw.snmprec", "printer-a")
    agent.add(RECORDINGS / "brother_hl5370dw.snmprec", "printer-b")
    agent.start()
    warm_up(agent, "printer-a")
    yield agent
    agent.cleanup()


def device_times(influx: InfluxDB16, db: str, name: str) -> list[int]:
    rows = influx_rows(influx, db, f"SELECT up FROM device WHERE device = '{name}'")
    return [int(r["time"]) for r in rows]


def spooled_device_times(spool: Path) -> dict[str, set[int]]:
    """device -> timestamps of the `device` points waiting in the spool's segments."""
    out: dict[str, set[int]] = {}
    for path in sorted((spool / "segments").glob("*")):
        for record in iter_records(read_segment(path), 0, 0):
            for line in record.payload.decode().splitlines():
                if not line.startswith("device,"):
                    continue
                tags = dict(t.split("=", 1) for t in line.split(" ", 1)[0].split(",")[1:])
                out.setdefault(tags["device"], set()).add(int(line.rsplit(" ", 1)[1]))
    return out


async def test_influxdb_outage_every_poll_arrives_once(agent: SnmpSimAgent, tmp_path: Path) -> None:
    db = "outage"
    names = ["printer-a", "printer-b"]
    with InfluxDB16(tmp_path / "influxd") as influx:
        config = write_config(
            tmp_path / "lanpulse.yaml",
            [device_line(n, agent.port) for n in names],
            influx=v1_section(influx, db) + "\n  batch_size: 10",  # type: ignore[arg-type]
            interval="1s",
        )
        async with running(config) as run:
            await until(lambda: run.all_answered(2))
            influx.stop()  # same port and data directory when it comes back
            before = dict(run.polled)
            await until(lambda: all(run.polled[n] >= before[n] + 4 for n in names), 20)
            shipper = run.daemon.sinks[0].stats().as_fields()
            assert shipper["spool_points"] > 0  # kept while InfluxDB was away
            influx.start()
            # In order: whatever has arrived of a device is always its oldest polls.
            seen: list[dict[str, list[int]]] = []
            while run.daemon.sinks[0].stats().as_fields()["spool_points"] > 0:
                arrived = await asyncio.to_thread(
                    lambda: {n: device_times(influx, db, n) for n in names}
                )
                seen.append(arrived)
                await asyncio.sleep(0.02)
        stats = run.daemon.sinks[0].stats().as_fields()
        assert stats["points_dropped"] == 0
        assert stats["points_written"] == stats["points_submitted"]  # each point sent once
        for name in names:
            polled = sorted(
                s.time_ns
                for s in run.samples
                if s.measurement == "device" and s.tags["device"] == name
            )
            assert len(polled) == run.polled[name]
            assert device_times(influx, db, name) == polled  # every poll, once each
            for arrived in seen:
                assert arrived[name] == polled[: len(arrived[name])], "out of order"


def test_kill_9_then_restart_ships_the_spool(agent: SnmpSimAgent, tmp_path: Path) -> None:
    db = "crash"
    with InfluxDB16(tmp_path / "influxd") as influx:
        config = write_config(
            tmp_path / "lanpulse.yaml",
            [device_line("printer-a", agent.port)],
            influx=v1_section(influx, db),  # type: ignore[arg-type]
            interval="1s",
            fsync="always",
        )
        influx.stop()  # the daemon can only spool
        daemon = DaemonProcess(config).start()
        try:
            spool = tmp_path / "spool"
            wait_for(lambda: len(spooled_device_times(spool).get("printer-a", ())) >= 3, 20)
            daemon.kill()  # SIGKILL: no flush, no goodbye
        finally:
            daemon.kill()
        spooled = spooled_device_times(spool)["printer-a"]
        influx.start()
        again = DaemonProcess(config).start()
        try:
            wait_for(lambda: spooled <= set(device_times(influx, db, "printer-a")), 20)
            again.signal(signal.SIGTERM)
            assert again.wait(30) == 0
        finally:
            again.kill()
        times = device_times(influx, db, "printer-a")
        assert spooled <= set(times) and len(times) == len(set(times))
