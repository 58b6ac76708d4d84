"""One snmpsim agent per device (so one device can be stopped), for the scenario tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import pytest

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests.test_snmp_client import warm_up


@contextlib.contextmanager
def agent_per_device(
    factory: pytest.TempPathFactory, recordings: Mapping[str, str]
) -> Iterator[dict[str, SnmpSimAgent]]:
    """device name -> its own running agent serving `recordings[name]` (a demo recording)."""
    started: dict[str, SnmpSimAgent] = {}
    try:
        for name, recording in recordings.items():
            agent = SnmpSimAgent(workdir=factory.mktemp(name))
            agent.add(RECORDINGS / f"{recording}.snmprec", name)
            started[name] = agent.start()
        for name, agent in started.items():
            warm_up(agent, name)
        yield started
    finally:
        for agent in started.values():
            agent.cleanup()
