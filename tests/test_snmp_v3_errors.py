"""SNMPv3 failures, each with its own one-line message, against net-snmp `snmpd` on 127.0.0.1.

Through `lanpulse poll` (one `error:` line, no traceback, no secret): wrong user, wrong auth
password, wrong priv password, a security level the agent's access rules refuse. In-process (the
poll succeeds, a log line says what happened): the agent restarts (engine boots go up, a
real snmpd reboot with its persistent state) and the agent is replaced (new engine ID).
And the faults that are not the device's credentials: garbage answers, an overloaded daemon.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from test_cli_poll import _one_error_line, lanpulse

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient
from lanpulse.core.errors import BadAnswerError, OverloadError
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmpsim import free_udp_port

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
    creds = USER.credentials(timeout_s=timeout_s, retries=1)
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


class _Garbage(asyncio.DatagramProtocol):
    """Stands in for a broken agent (no real one sends this on demand): answers every
    request with the first half of a well-formed v3 message."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.transport.sendto(data[: len(data) // 2], addr)


async def test_v3_garbage_is_a_bad_answer_not_credentials() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Garbage, local_addr=("127.0.0.1", 0))
    client = NativeSnmpClient()
    try:
        port = transport.get_extra_info("sockname")[1]
        with pytest.raises(BadAnswerError) as err:
            await client.get(target(port, timeout_s=0.3), [SYS_OBJECT_ID])
        message = str(err.value)
        assert message.startswith(f"core-sw1: no usable answer from 127.0.0.1:{port}, only garbage")
        assert "snmp.user" not in message and "password" not in message
    finally:
        transport.close()
        client.close()


async def test_overloaded_daemon_says_so_instead_of_blaming_credentials() -> None:
    # Nothing answers, and this loop is blocked for 1 s meanwhile (a stand-in for a daemon
    # with more work than CPU): the timeout is the daemon's fault, and the error says so.
    client = NativeSnmpClient()
    loop = asyncio.get_running_loop()
    try:
        loop.call_later(0.05, time.sleep, 1.0)
        with pytest.raises(OverloadError) as err:
            await client.get(target(free_udp_port(), timeout_s=0.3), [SYS_OBJECT_ID])
        assert "lanpulse is overloaded" in str(err.value)
        assert "snmp.user" not in str(err.value) and client.stats.late_timers >= 1
    finally:
        client.close()


async def test_an_answer_waiting_behind_a_blocked_loop_is_still_taken(snmpd: SnmpdAgent) -> None:
    client = NativeSnmpClient()
    loop = asyncio.get_running_loop()
    try:
        await client.get(target(snmpd.port), [SYS_OBJECT_ID])  # discovered
        loop.call_soon(time.sleep, 1.0)  # the answer arrives while the loop is blocked
        got = await client.get(target(snmpd.port, timeout_s=0.3), [SYS_OBJECT_ID])
        assert got == {SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10"}
    finally:
        client.close()
