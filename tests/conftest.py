"""Shared fixtures: real agents on 127.0.0.1 serving real recordings.

snmpsim stands in for nothing: it is a real SNMP agent (UDP, BER, the v1/v2c/v3 protocol
engine of pysnmp) answering from recordings of real devices.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.sim.servers import InfluxDB16
from lanpulse.sim.snmpsim import SnmpSimAgent

FIXTURES = Path(__file__).parent / "fixtures"
RECORDINGS = FIXTURES / "librenms" / "recordings"
EXPECTED = FIXTURES / "librenms" / "expected"


def all_recordings() -> list[Path]:
    """Every recording on disk, sorted, so tests can be parametrised over them."""
    return sorted(RECORDINGS.glob("*/*.snmprec"))


@pytest.fixture(scope="session")
def snmpsim_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    """One snmpsim serving every corpus recording; community = recording name."""
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim"))
    for rec in all_recordings():
        agent.add(rec)
    agent.start()
    yield agent
    agent.cleanup()


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[InfluxDB16]:
    """A real InfluxDB 1.6 of this test, with an empty database `lp`."""
    server = InfluxDB16(tmp_path / "influxd").start()
    server.query("CREATE DATABASE lp")
    yield server
    server.cleanup()
