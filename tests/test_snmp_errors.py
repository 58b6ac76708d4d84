"""How the SNMP transport fails: each failure a `CollectError` naming the device and the fix.

Real agents wherever one can produce the failure: net-snmp `snmpd` for SNMPv3 (unknown user,
wrong digest, undecryptable request) and v2c communities, snmpsim's `error` variation for
error-status answers. Two protocol faults no real agent here produces on demand — a walk
answer with a non-increasing OID, and tooBig that goes away with fewer repetitions — come
from `FaultyAgent`, a minimal UDP responder built on pysnmp's own message codec.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1905
from pysnmp.proto.api import v2c

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import PysnmpClient
from lanpulse.core.errors import AgentError, AuthError, CollectTimeout, UnreachableError
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port
from tests.test_snmp_client import warm_up

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
USER = SnmpdUser("lp_sha_aes", "sha", "auth-pass-1", "aes", "priv-pass-1")

FAULTS_RECORDING = """\
1.3.6.1.2.1.1.1.0|4|fault box
1.3.6.1.2.1.1.3.0|67|4242
1.3.6.1.2.1.1.5.0|4:error|op=get,status=genError
1.3.6.1.2.1.2.2.1.2.1|4|if1
1.3.6.1.2.1.2.2.1.2.2|4|if2
1.3.6.1.2.1.2.2.1.2.3|4:error|op=get,status=tooBig
1.3.6.1.2.1.2.2.1.2.4|4|if4
"""


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    with SnmpdAgent(users=(USER,)) as agent:
        yield agent


@pytest.fixture(scope="module")
def faults_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim-faults"))
    agent.add_text("faults", FAULTS_RECORDING)
    with agent:
        warm_up(agent, "faults")
        yield agent


@pytest.fixture
async def client() -> AsyncIterator[PysnmpClient]:
    c = PysnmpClient()
    yield c
    c.close()


def v3(port: int, **changes: Any) -> SnmpTarget:
    """A v3 authPriv target for USER on `port`, with some fields changed."""
    fields: dict[str, Any] = dict(
        version="3",
        user=USER.name,
        auth_protocol=USER.auth_protocol,
        auth_password=Secret(USER.auth_password or ""),
        priv_protocol=USER.priv_protocol,
        priv_password=Secret(USER.priv_password or ""),
        timeout_s=0.5,
        retries=0,
    )
    fields.update(changes)
    return SnmpTarget("core-sw1", "127.0.0.1", port, SnmpCredentials(**fields))


def v2(port: int, community: str, **kw: Any) -> SnmpTarget:
    """A v2c target on `port`."""
    creds = SnmpCredentials(version="2c", community=Secret(community), **kw)
    return SnmpTarget("core-sw1", "127.0.0.1", port, creds)


async def test_v3_unknown_user_is_auth_error(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    with pytest.raises(AuthError) as err:
        await client.get(v3(snmpd.port, user="nobody"), [SYS_UPTIME])
    assert "core-sw1" in str(err.value)
    assert "unknown user" in str(err.value) and "snmp.user" in str(err.value)


async def test_v3_wrong_auth_password_is_wrong_digest(
    client: PysnmpClient, snmpd: SnmpdAgent
) -> None:
    with pytest.raises(AuthError) as err:
        await client.get(v3(snmpd.port, auth_password=Secret("not-the-one")), [SYS_UPTIME])
    assert "wrong digest" in str(err.value) and "snmp.auth_password" in str(err.value)
    assert "not-the-one" not in str(err.value)


async def test_v3_wrong_priv_password_times_out(client: PysnmpClient, snmpd: SnmpdAgent) -> None:
    # net-snmp decrypts the request into garbage, fails to parse the scoped PDU and drops
    # it without a report ("error parsing ScopedPDU" in its log): the manager sees silence.
    with pytest.raises(CollectTimeout) as err:
        await client.get(v3(snmpd.port, priv_password=Secret("wrong-priv")), [SYS_UPTIME])
    assert "snmp.priv_password" in str(err.value)
    assert "wrong-priv" not in str(err.value)


async def test_v3_wrong_aes_key_extension_times_out(
    client: PysnmpClient, snmpd: SnmpdAgent
) -> None:
    # AES-128 user asked with AES-256: same silence as a wrong privacy password.
    with pytest.raises(CollectTimeout):
        await client.get(v3(snmpd.port, priv_protocol="aes256"), [SYS_UPTIME])


async def test_v2c_wrong_community_times_out_and_says_so(
    client: PysnmpClient, snmpd: SnmpdAgent
) -> None:
    target = v2(snmpd.port, "not-this-one", timeout_s=0.3, retries=1)
    with pytest.raises(CollectTimeout) as err:
        await client.get(target, [SYS_UPTIME])
    message = str(err.value)
    assert message.startswith("core-sw1: no answer from 127.0.0.1:")
    assert "within 0.3s × 2 tries" in message  # noqa: RUF001
    assert "wrong community looks the same" in message and "snmp.community" in message
    assert "not-this-one" not in message


async def test_closed_port_times_out(client: PysnmpClient) -> None:
    # Loopback answers a closed UDP port with ICMP port-unreachable, but pysnmp sends from
    # one unconnected socket, which never sees ICMP errors: the result is a timeout.
    target = v2(free_udp_port(), "public", timeout_s=0.2, retries=0)
    started = time.monotonic()
    with pytest.raises(CollectTimeout):
        await client.get(target, [SYS_UPTIME])
    assert time.monotonic() - started < 2.0


async def test_unresolvable_address_is_unreachable(client: PysnmpClient) -> None:
    # A label longer than 63 characters fails before any DNS query leaves the host; a DNS
    # failure (gaierror) takes the same path.
    target = SnmpTarget(
        "printer-7", "x" * 64 + ".example", 161, SnmpCredentials(community=Secret("public"))
    )
    with pytest.raises(UnreachableError) as err:
        await client.get(target, [SYS_UPTIME])
    assert str(err.value).startswith("printer-7: cannot resolve address")


async def test_refused_send_is_unreachable(client: PysnmpClient) -> None:
    # The kernel refuses a datagram to the broadcast address from a socket without
    # SO_BROADCAST (EACCES), so no packet leaves the host. "Network unreachable" and
    # "no route to host" are refused the same way and take the same path.
    target = SnmpTarget(
        "bcast", "255.255.255.255", 161, SnmpCredentials(community=Secret("public"))
    )
    with pytest.raises(UnreachableError) as err:
        await client.get(target, [SYS_UPTIME])
    assert str(err.value) == (
        "bcast: cannot send to 255.255.255.255:161: Permission denied "
        "— check the device's address and this host's routes"
    )


async def test_gen_err_drops_that_oid_and_names_it(
    client: PysnmpClient, faults_agent: SnmpSimAgent
) -> None:
    # Like net-snmp's snmpget, the client drops the OID the error-index names and asks again.
    # (snmpsim names the wrong varbind when the failing one sits in the middle of three, so
    # it goes last here; a real agent with that bug costs a good OID, as with snmpget.)
    target = v2(faults_agent.port, "faults")
    got = await client.get(target, [SYS_UPTIME, "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"])
    assert got == {SYS_UPTIME: 4242, "1.3.6.1.2.1.1.1.0": b"fault box"}
    assert [str(e) for e in got.errors] == [
        f"127.0.0.1:{faults_agent.port}: agent answered genErr at varbind 3 (1.3.6.1.2.1.1.5.0)"
    ]


async def test_gen_err_for_everything_is_agent_error(
    client: PysnmpClient, faults_agent: SnmpSimAgent
) -> None:
    with pytest.raises(AgentError) as err:
        await client.get(v2(faults_agent.port, "faults"), ["1.3.6.1.2.1.1.5.0"])
    assert str(err.value) == (
        f"core-sw1: 127.0.0.1:{faults_agent.port}: agent answered genErr at varbind 1 "
        "(1.3.6.1.2.1.1.5.0)"
    )


async def test_persistent_too_big_keeps_rows_before_it(
    client: PysnmpClient, faults_agent: SnmpSimAgent
) -> None:
    # snmpsim answers tooBig whenever row 3 is reached: the walk halves its repetitions
    # down to 1, then gives up on the column and keeps rows 1 and 2.
    column = "1.3.6.1.2.1.2.2.1.2"
    got = await client.walk(v2(faults_agent.port, "faults", max_repetitions=8), [column])
    assert got == {column: {"1": b"if1", "2": b"if2"}}
    assert len(got.errors) == 1 and "tooBig" in str(got.errors[0])


class FaultyAgent(asyncio.DatagramProtocol):
    """A v2c responder for one column with injected faults (see the module docstring).

    Stands in for real agents that (a) answer a walk with an OID lower than asked for,
    which makes naive managers loop, and (b) answer tooBig to a large GETBULK and fine to
    a smaller one.
    """

    def __init__(self, rows: int, *, go_back_after: int = 0, too_big_above: int = 0) -> None:
        self.column = (1, 3, 6, 1, 4, 1, 99999, 1, 1)
        self.rows = rows
        self.go_back_after = go_back_after
        self.too_big_above = too_big_above
        self.requests: list[int] = []  # max-repetitions of each request
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def next_after(self, oid: tuple[int, ...]) -> tuple[tuple[int, ...], Any]:
        if self.go_back_after and oid == (*self.column, self.go_back_after):
            return (*self.column, 1), v2c.Integer(-1)  # lower than what was asked
        if oid[: len(self.column)] != self.column:
            return (*self.column, 1), v2c.Integer(1)
        row = oid[len(self.column)] + 1 if len(oid) > len(self.column) else 1
        if row > self.rows:
            return oid, rfc1905.endOfMibView
        return (*self.column, row), v2c.Integer(row)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        request, _ = decoder.decode(data, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(request)
        response = v2c.apiMessage.get_response(request)
        answer = v2c.apiMessage.get_pdu(response)
        asked = [tuple(name) for name, _ in v2c.apiPDU.get_varbinds(pdu)]
        repetitions = int(v2c.apiBulkPDU.get_max_repetitions(pdu))
        self.requests.append(repetitions)
        if self.too_big_above and repetitions > self.too_big_above:
            v2c.apiPDU.set_error_status(answer, 1)
            v2c.apiPDU.set_varbinds(answer, [(v2c.ObjectIdentifier(o), v2c.null) for o in asked])
        else:
            varbinds = []
            for _ in range(repetitions):
                row = [self.next_after(o) for o in asked]
                varbinds += [(v2c.ObjectIdentifier(o), v) for o, v in row]
                asked = [o for o, _ in row]
            v2c.apiPDU.set_varbinds(answer, varbinds)
        assert self.transport is not None
        self.transport.sendto(encoder.encode(response), addr)


async def start_faulty(agent: FaultyAgent) -> tuple[asyncio.DatagramTransport, int]:
    """Serve `agent` on a free UDP port of 127.0.0.1."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: agent, local_addr=("127.0.0.1", 0))
    return transport, transport.get_extra_info("sockname")[1]


async def test_non_increasing_oid_stops_the_column(client: PysnmpClient) -> None:
    agent = FaultyAgent(rows=10, go_back_after=3)
    transport, port = await start_faulty(agent)
    try:
        column = "1.3.6.1.4.1.99999.1.1"
        got = await client.walk(v2(port, "public", max_repetitions=2), [column])
    finally:
        transport.close()
    assert got == {column: {"1": 1, "2": 2, "3": 3}}
    assert len(got.errors) == 1 and "non-increasing OID" in str(got.errors[0])
    assert len(agent.requests) == 2  # stopped at once, no loop


async def test_too_big_halves_repetitions_until_it_fits(client: PysnmpClient) -> None:
    agent = FaultyAgent(rows=30, too_big_above=6)
    transport, port = await start_faulty(agent)
    try:
        column = "1.3.6.1.4.1.99999.1.1"
        got = await client.walk(v2(port, "public", max_repetitions=25), [column])
    finally:
        transport.close()
    assert got == {column: {str(n): n for n in range(1, 31)}}
    assert got.errors == []
    assert agent.requests[:3] == [25, 12, 6]
    assert set(agent.requests[2:]) == {6}


async def test_walks_remember_what_fits_and_how_long_the_table_was(
    client: PysnmpClient,
) -> None:
    agent = FaultyAgent(rows=30, too_big_above=12)
    transport, port = await start_faulty(agent)
    column = "1.3.6.1.4.1.99999.1.1"
    target = v2(port, "public", max_repetitions=25)
    try:
        first = await client.walk(target, [column])
        first_requests = list(agent.requests)
        agent.requests.clear()
        second = await client.walk(target, [column])
    finally:
        transport.close()
    assert first == second == {column: {str(n): n for n in range(1, 31)}}
    assert first_requests == [25, 12, 12, 12]  # tooBig, then 30 rows and the end in 12s
    assert agent.requests == [12, 12, 7]  # no tooBig; the last asks for 6 rows + the end


async def test_close_cancels_requests_in_flight() -> None:
    # Without this, a poll still waiting when the daemon shuts the client down would hang:
    # the engine's timers that would time it out are gone.
    client = PysnmpClient()
    target = v2(free_udp_port(), "public", timeout_s=30, retries=0)
    poll = asyncio.create_task(client.get(target, [SYS_UPTIME]))
    while not client.pysnmp._pending:
        await asyncio.sleep(0.01)
    client.close()
    with pytest.raises(asyncio.CancelledError):
        await poll
