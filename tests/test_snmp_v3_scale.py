"""SCALE TEST (about a minute): 300 SNMPv3 authPriv devices polled by the daemon every 10 s.

The issue this guards against: on pysnmp, 300 v3 devices at 10 s on this 2-core box wrote
39 % of polls as `up=0` blaming the credentials, while the agent idled. Here the daemon
(in-process, lanpulse's own USM) polls 300 devices for three intervals and no healthy device
may be reported down.

Real components: three net-snmp `snmpd` on 127.0.0.1, each serving 100 SNMPv3 users (SHA /
AES-128, authPriv); a device is one (agent, user) pair, which is what lanpulse keys a v3
target by. The devices share their passwords, as an estate's usually do, so only the
localisation per engine is per device.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from tests._daemon import Run, running, until, write_config

AGENTS, USERS_PER_AGENT = 3, 100
INTERVAL_S = 10
POLLS = 3


def user(n: int) -> SnmpdUser:
    """The n-th device's user (passwords shared, names not)."""
    return SnmpdUser(f"dev{n:03d}", "sha", "estate-auth-pass", "aes", "estate-priv-pass")


@pytest.fixture(scope="module")
def agents() -> Iterator[list[tuple[SnmpdAgent, list[SnmpdUser]]]]:
    with ExitStack() as stack:
        out = []
        for a in range(AGENTS):
            users = [user(a * USERS_PER_AGENT + i) for i in range(USERS_PER_AGENT)]
            out.append((stack.enter_context(SnmpdAgent(users=tuple(users))), users))
        yield out


async def test_300_v3_devices_at_10s_none_reported_down(
    agents: list[tuple[SnmpdAgent, list[SnmpdUser]]], tmp_path: Path
) -> None:
    devices = [
        "  - {"
        f"name: {u.name}, address: 127.0.0.1, port: {agent.port}, snmp: {{version: 3, "
        f"user: {u.name}, auth_protocol: sha, auth_password: estate-auth-pass, "
        "priv_protocol: aes, priv_password: estate-priv-pass, timeout: 3s, retries: 1}"
        "}"
        for agent, users in agents
        for u in users
    ]
    assert len(devices) == 300
    config = write_config(tmp_path / "lanpulse.yaml", devices, interval=f"{INTERVAL_S}s")
    async with running(config) as run:
        await until(lambda: run.all_answered(POLLS) or _down(run), (POLLS + 2) * INTERVAL_S)
        down = _down(run)
        assert not down, f"{len(down)} healthy devices reported down: {down[:5]}"
        assert len(run.answered) == 300 and run.all_answered(POLLS)
        interfaces = {s.tags["device"] for s in run.samples if s.measurement == "interface"}
        assert len(interfaces) == 300  # whole polls, not just the device sample
    errors = {
        s.tags["device"]: s.fields.get("error")
        for s in run.samples
        if s.measurement == "device" and s.fields.get("up") == 0
    }
    assert errors == {}


def _down(run: Run) -> list[str]:
    """Devices with a poll that came back `up=0`."""
    return [name for name, n in run.polled.items() if run.answered.get(name, 0) < n]
