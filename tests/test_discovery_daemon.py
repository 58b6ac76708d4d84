"""Scheduled discovery in a running daemon, against real snmpsim agents on 127.0.6.x: a new
agent is polled without a restart, a vanished one is flagged (a `discovery` sample, then the
`device_vanished` alert) and stays in the inventory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import yaml

from lanpulse.core.model import Sample
from lanpulse.daemon import Daemon
from lanpulse.sim.snmpsim_estate import SnmpSimEstate, free_port_on
from tests._daemon import until
from tests._discovery_estate import estate

BASE = "127.0.6"


class ListSink:
    """Keeps what the daemon writes; stands in for the spool + InfluxDB writer (tested
    elsewhere against the real InfluxDB) so the test can read the samples directly."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def submit_nowait(self, samples: Sequence[Sample]) -> bool:
        self.samples.extend(samples)
        return True

    def submit_lines_nowait(self, lines: list[str]) -> bool:
        return True

    def backlog(self) -> float:
        return 0.0

    async def start(self) -> None:
        return None

    async def stop(self, deadline_s: float) -> bool:
        return True

    def stats(self) -> ListSink:
        return self

    def as_fields(self) -> dict[str, int | float]:
        return {}


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(
        f"""
credentials:
  office: {{version: 2c, community: lanpulse-sim, timeout: 1s, retries: 0}}
inventory: [inventory/*.yaml]
defaults: {{interval: 30s}}
spool: {{directory: {tmp_path / "spool"}, fsync: never}}
daemon: {{http_listen: null, selfmon_interval: 60s, shutdown_deadline: 5s}}
discovery:
  subnets: [{BASE}.0/28]
  credentials: [office]
  port: {port}
  timeout: 0.3s
  retries: 0
  interval: 1s
  vanished_after: 1s
  endpoints: {{interval: 1h}}
devices: []
"""
    )
    return path


def test_daemon_adds_new_agents_and_flags_vanished_ones(tmp_path: Path) -> None:
    agents = estate(BASE)
    port = free_port_on([a for agent in agents.values() for a in agent.addresses])
    config = write_config(tmp_path, port)
    sink = ListSink()

    def flagged(name: str, field: str) -> bool:
        return any(
            s.measurement == "discovery" and s.tags["device"] == name and s.fields[field] == 1
            for s in sink.samples
        )

    def alert_firing(name: str) -> bool:
        return any(
            s.measurement == "alert"
            and s.tags.get("rule") == "device_vanished"
            and s.tags.get("device") == name
            and s.fields["state"] == 2
            for s in sink.samples
        )

    async def scenario() -> None:
        daemon = Daemon(str(config), sinks=[sink])
        task = asyncio.create_task(daemon.run(install_signals=False))
        try:
            with SnmpSimEstate([agents["core"], agents["sw1"]], port=port):
                await until(lambda: {"core-sw1", "sw1"} <= set(daemon.scheduler.devices), 60)
            with SnmpSimEstate([agents["core"], agents["printer"]], port=port):
                await until(lambda: "floor3-printer" in daemon.scheduler.devices, 60)
                await until(lambda: flagged("sw1", "missing"), 30)
                await until(lambda: flagged("sw1", "vanished") and alert_firing("sw1"), 30)
                assert "sw1" in daemon.scheduler.devices  # flagged, never removed silently
                assert not flagged("core-sw1", "missing")
        finally:
            daemon.request_stop()
            assert await asyncio.wait_for(task, 30) == 0

    asyncio.run(scenario())
    written = yaml.safe_load((tmp_path / "inventory" / "discovered.yaml").read_text())
    by_name = {e["name"]: e for e in written["devices"]}
    assert set(by_name) == {"core-sw1", "sw1", "floor3-printer"}
    assert by_name["sw1"]["discovered"]["vanished_since"]
    assert "vanished_since" not in by_name["core-sw1"]["discovered"]
