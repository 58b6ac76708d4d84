"""SNMPv3 failures, each with its own one-line message, against net-snmp `snmpd` on 127.0.0.1.

Through `lanpulse poll` (one `error:` line, no traceback, no secret): wrong user, wrong auth
password, wrong priv password, a security level the agent's access rules refuse. In-process (the
poll succeeds, a log line says what happened): the agent restarts (engine boots go up, a
real snmpd reboot with its persistent state) and the agent is replaced (new engine ID).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from test_cli_poll import _one_error_line, lanpulse

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser

USER = SnmpdUser("poller", "sha256", "auth-pass-123", "aes256c", "priv-pass-456")
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    with SnmpdAgent(users=(USER,)) as agent:
        yield agent


def poll(
    snmpd: SnmpdAgent, *args: str, auth: str = "auth-pass-123", priv: str = "priv-pass-456"
) -> str:
    """`lanpulse poll` as a v3 user, passwords from the environment; its one error line."""
    r = lanpulse(
        "poll", "127.0.0.1", "--port", str(snmpd.port), "--timeout", "1", "--retries", "0",
        "--auth-protocol", "sha256", *args,
        env={"LANPULSE_AUTH_PASSWORD": auth, "LANPULSE_PRIV_PASSWORD": priv},
    )  # fmt: skip
    line = _one_error_line(r)
    assert auth not in r.stderr + r.stdout and priv not in r.stderr + r.stdout
    return line


@pytest.mark.parametrize(
    ("args", "passwords", "expected"),
    [
        (("--user", "nobody"), {}, "unknown user (usmStatsUnknownUserNames) — check snmp.user"),
        (
            ("--user", "poller", "--priv-protocol", "aes256c"),
            {"auth": "wrong-auth-pass"},
            "wrong digest (usmStatsWrongDigests) — check snmp.auth_password",
        ),
        (
            ("--user", "poller", "--priv-protocol", "aes256c"),
            {"priv": "wrong-priv-pass"},
            "answers authenticated requests but not encrypted ones — check snmp.priv_password",
        ),
        (
            ("--user", "poller"),  # authNoPriv for a user the agent only serves with privacy
            {},
            "agent answered authorizationError — the agent's access rules refuse this request",
        ),
    ],
)
def test_each_v3_failure_has_its_own_line(
    snmpd: SnmpdAgent, args: tuple[str, ...], passwords: dict[str, str], expected: str
) -> None:
    line = poll(snmpd, *args, **passwords)
    assert expected in line, line


def target(port: int, timeout_s: float = 2.0) -> SnmpTarget:
    """The v3 user on the agent at `port`."""
    creds = SnmpCredentials(
        version="3",
        user=USER.name,
        auth_protocol="sha256",
        auth_password=Secret("auth-pass-123"),
        priv_protocol="aes256c",
        priv_password=Secret("priv-pass-456"),
        timeout_s=timeout_s,
        retries=1,
    )
    return SnmpTarget("core-sw1", "127.0.0.1", port, creds)


async def test_agent_restart_resynchronises_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    agent = SnmpdAgent(users=(USER,), extra_config=("engineID lanpulse-one",), keep_state=True)
    client = NativeSnmpClient()
    try:
        with agent:
            await client.get(target(agent.port), [SYS_OBJECT_ID])
            (peer,) = client.v3._peers.values()
            boots, engine = peer.boots, peer.engine_id
            agent.stop()
            agent.start()  # a reboot: same engine ID, boots + 1, engine time from 0
            with caplog.at_level(logging.INFO, "lanpulse.collectors.snmp.v3"):
                got = await client.get(target(agent.port), [SYS_OBJECT_ID])
            assert got == {SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}
            assert peer.boots == boots + 1 and peer.engine_id == engine
            (line,) = [r.getMessage() for r in caplog.records]
            assert line == (
                f"core-sw1: agent 127.0.0.1:{agent.port} restarted (engine boots "
                f"{boots} -> {boots + 1}); re-synchronised"
            )
    finally:
        client.close()


async def test_replaced_agent_is_discovered_again_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent = SnmpdAgent(users=(USER,), extra_config=("engineID lanpulse-one",))
    client = NativeSnmpClient()
    try:
        with agent:
            await client.get(target(agent.port), [SYS_OBJECT_ID])
            (peer,) = client.v3._peers.values()
            first = peer.engine_id
            agent.stop()
            agent.extra_config = ("engineID lanpulse-two",)
            agent.start()
            with caplog.at_level(logging.INFO, "lanpulse.collectors.snmp.v3"):
                got = await client.get(target(agent.port), [SYS_OBJECT_ID])
            assert got == {SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}
            assert peer.engine_id != first and peer.engine_id.endswith(b"lanpulse-two")
            (line,) = [r.getMessage() for r in caplog.records]
            assert line == (
                f"core-sw1: agent 127.0.0.1:{agent.port} has a new engine ID "
                "(unknownEngineID); discovered it again"
            )
    finally:
        client.close()
