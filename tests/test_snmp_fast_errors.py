"""How NativeSnmpClient fails: the same errors as PysnmpClient, and garbage never gets through.

Real agents wherever one produces the failure: net-snmp `snmpd` for a wrong community,
snmpsim's `error` variation for error-status answers, a closed port on 127.0.0.1. The
protocol faults no real agent here produces on demand come from `FaultyAgent` (shared with
tests/test_snmp_errors.py, built on pysnmp's message codec). `GarbageAgent` is the
fault-injection case: it stands in for a broken agent or a hostile network, sending
truncated, malformed, misaddressed and mismatched datagrams around each real answer.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto.api import v2c

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.client import NativeSnmpClient, PysnmpClient
from lanpulse.core.errors import (
    AgentError,
    BadAnswerError,
    CollectTimeout,
    ConfigError,
    UnreachableError,
)
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.snmpd import SnmpdAgent
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port
from tests.test_snmp_client import warm_up
from tests.test_snmp_errors import FAULTS_RECORDING, FaultyAgent, start_faulty

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
COLUMN = "1.3.6.1.4.1.99999.1.1"


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim-fast-faults"))
    agent.add_text("faults", FAULTS_RECORDING)
    with agent:
        warm_up(agent, "faults")
        yield agent


@pytest.fixture
async def fast() -> AsyncIterator[NativeSnmpClient]:
    c = NativeSnmpClient(rng=random.Random(7))
    yield c
    c.close()


@pytest.fixture
async def slow() -> AsyncIterator[PysnmpClient]:
    c = PysnmpClient()
    yield c
    c.close()


def v2(port: int, community: str = "public", **kw: Any) -> SnmpTarget:
    """A v2c target on 127.0.0.1:`port`."""
    creds = SnmpCredentials(version="2c", community=Secret(community), **kw)
    return SnmpTarget("core-sw1", "127.0.0.1", port, creds)


async def outcome(call: Callable[[], Awaitable[Any]]) -> tuple[str, Any, Any]:
    """('ok', result, its errors) or ('raised', exception class, message)."""
    try:
        result = await call()
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return ("ok", dict(result), list(getattr(result, "errors", [])))


async def test_closed_port_times_out_like_pysnmp(fast: NativeSnmpClient) -> None:
    target = v2(free_udp_port(), timeout_s=0.2, retries=1)
    started = time.monotonic()
    with pytest.raises(CollectTimeout) as err:
        await fast.get(target, [SYS_UPTIME])
    assert time.monotonic() - started < 2.0
    assert str(err.value).startswith(f"core-sw1: no answer from 127.0.0.1:{target.port} within")
    assert "0.2s × 2 tries" in str(err.value)  # noqa: RUF001
    with pytest.raises(CollectTimeout):
        await fast.walk(target, [COLUMN])


async def test_wrong_community_times_out_and_says_so(
    fast: NativeSnmpClient, slow: PysnmpClient
) -> None:
    with SnmpdAgent(community="the-right-one") as snmpd:
        target = v2(snmpd.port, "not-this-one", timeout_s=0.3, retries=1)
        got = await outcome(lambda: fast.get(target, [SYS_UPTIME]))
        assert got == await outcome(lambda: slow.get(target, [SYS_UPTIME]))
        assert got[1] is CollectTimeout
        assert "wrong community looks the same" in got[2] and "not-this-one" not in got[2]
        right = await fast.get(v2(snmpd.port, "the-right-one", timeout_s=3), [SYS_UPTIME])
        assert isinstance(right[SYS_UPTIME], int)


async def test_unresolvable_address_is_unreachable(fast: NativeSnmpClient) -> None:
    target = SnmpTarget(
        "printer-7", "x" * 64 + ".example", 161, SnmpCredentials(community=Secret("public"))
    )
    with pytest.raises(UnreachableError) as err:
        await fast.get(target, [SYS_UPTIME])
    assert str(err.value) == (
        f"printer-7: cannot resolve address {target.address!r} — check the device's address"
    )


async def test_refused_send_is_unreachable(fast: NativeSnmpClient) -> None:
    # The kernel refuses a datagram to the broadcast address (EACCES): nothing leaves.
    target = SnmpTarget(
        "bcast", "255.255.255.255", 161, SnmpCredentials(community=Secret("public"))
    )
    with pytest.raises(UnreachableError) as err:
        await fast.get(target, [SYS_UPTIME])
    assert str(err.value) == (
        "bcast: cannot send to 255.255.255.255:161: Permission denied "
        "— check the device's address and this host's routes"
    )


async def test_missing_community_or_user_is_a_config_error(fast: NativeSnmpClient) -> None:
    with pytest.raises(ConfigError) as err:
        await fast.get(SnmpTarget("d", "127.0.0.1", 161, SnmpCredentials()), [SYS_UPTIME])
    assert "snmp.community" in str(err.value)
    v3 = SnmpTarget("d", "127.0.0.1", 161, SnmpCredentials(version="3"))
    with pytest.raises(ConfigError) as err:
        await fast.get(v3, [SYS_UPTIME])
    assert "snmp.user" in str(err.value)


@pytest.mark.parametrize(
    "oids",
    [
        [SYS_UPTIME, "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"],  # genErr for the last
        ["1.3.6.1.2.1.1.5.0"],  # genErr for everything
        [f"1.3.6.1.2.1.2.2.1.2.{n}" for n in (1, 2, 3, 4)],  # tooBig for row 3
    ],
)
async def test_error_status_gets_match_pysnmp(
    fast: NativeSnmpClient, slow: PysnmpClient, faults: SnmpSimAgent, oids: list[str]
) -> None:
    target = v2(faults.port, "faults")
    got = await outcome(lambda: fast.get(target, oids))
    assert got == await outcome(lambda: slow.get(target, oids))
    assert got[0] == "raised" or got[2]  # every case reports an error somewhere
    if got[0] == "raised":
        assert got[1] is AgentError


async def test_persistent_too_big_walk_matches_pysnmp(
    fast: NativeSnmpClient, slow: PysnmpClient, faults: SnmpSimAgent
) -> None:
    target = v2(faults.port, "faults", max_repetitions=8)
    column = "1.3.6.1.2.1.2.2.1.2"
    got = await outcome(lambda: fast.walk(target, [column]))
    assert got == await outcome(lambda: slow.walk(target, [column]))
    assert got[1] == {column: {"1": b"if1", "2": b"if2"}} and "tooBig" in str(got[2][0])


async def test_non_increasing_oid_stops_the_column(fast: NativeSnmpClient) -> None:
    agent = FaultyAgent(rows=10, go_back_after=3)
    transport, port = await start_faulty(agent)
    try:
        got = await fast.walk(v2(port, max_repetitions=2), [COLUMN])
    finally:
        transport.close()
    assert got == {COLUMN: {"1": 1, "2": 2, "3": 3}}
    assert [str(e) for e in got.errors] == [
        f"127.0.0.1:{port}: agent returned non-increasing OID {COLUMN}.1 after {COLUMN}.3; "
        f"stopped walking {COLUMN}"
    ]
    assert len(agent.requests) == 2


async def test_too_big_halves_and_walks_remember_what_fits(fast: NativeSnmpClient) -> None:
    agent = FaultyAgent(rows=30, too_big_above=12)
    transport, port = await start_faulty(agent)
    target = v2(port, max_repetitions=25)
    try:
        first = await fast.walk(target, [COLUMN])
        first_requests = list(agent.requests)
        agent.requests.clear()
        second = await fast.walk(target, [COLUMN])
    finally:
        transport.close()
    assert first == second == {COLUMN: {str(n): n for n in range(1, 31)}}
    assert first.errors == []
    assert first_requests == [25, 12, 12, 12]  # the same requests PysnmpClient makes
    assert agent.requests == [12, 12, 7]


class LossyAgent(FaultyAgent):
    """FaultyAgent that loses the first datagram of each request-id (a lost UDP packet)."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.seen: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if data not in self.seen:  # a retry is the same datagram, request-id included
            self.seen.append(data)
            return
        super().datagram_received(data, addr)


async def test_a_lost_request_is_retried_with_the_same_request_id(fast: NativeSnmpClient) -> None:
    agent = LossyAgent(rows=4)
    transport, port = await start_faulty(agent)
    try:
        got = await fast.walk(v2(port, timeout_s=0.1, retries=1), [COLUMN])
        with pytest.raises(CollectTimeout):
            await fast.walk(v2(port, timeout_s=0.1, retries=0), [COLUMN])
    finally:
        transport.close()
    assert got == {COLUMN: {"1": 1, "2": 2, "3": 3, "4": 4}}
    assert agent.requests == [25]  # answered once: the retry of the first try's datagram


class _Capture:
    """Collects what FaultyAgent would send, so GarbageAgent can surround it with garbage."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, data: bytes, addr: Any) -> None:
        self.sent.append(data)


class GarbageAgent(asyncio.DatagramProtocol):
    """Fault injection (see the module docstring): a real answer from `FaultyAgent`, preceded
    by datagrams a client must drop (malformed) or ignore (not an answer to its request)."""

    def __init__(self, inner: FaultyAgent, stray: asyncio.DatagramTransport, answer: bool) -> None:
        self.inner = inner
        self.stray = stray  # another socket: right bytes, wrong source port
        self.answer = answer
        self.rng = random.Random(11)
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        capture = _Capture()
        self.inner.transport = cast(asyncio.DatagramTransport, capture)
        self.inner.datagram_received(data, addr)
        (good,) = capture.sent
        assert self.transport is not None
        for bad in self.malformed(good):
            self.transport.sendto(bad, addr)
        for other in self.mismatched(good):
            self.transport.sendto(other, addr)
        self.stray.sendto(good, addr)
        if self.answer:
            self.transport.sendto(good, addr)

    def malformed(self, good: bytes) -> list[bytes]:
        """MALFORMED_PER_REQUEST datagrams that are not well-formed Responses."""
        noise = bytes(self.rng.randrange(256) for _ in range(60))
        as_request = bytearray(good)
        as_request[good.index(b"\xa2")] = 0xA0  # a GetRequest, not a Response
        return [
            b"\x02\x01\x00",  # (asyncio does not send empty datagrams)
            b"\x30",
            noise,
            b"\x30\x80" + good[2:],  # indefinite length
            good[:-1],
            good[: len(good) // 2],
            good + b"\x00",
            bytes(as_request),
        ]

    @staticmethod
    def mismatched(good: bytes) -> list[bytes]:
        """Well-formed Responses that answer no request of the client's."""
        out = []
        for change in ("request_id", "community", "version"):
            message, _ = decoder.decode(good, asn1Spec=v2c.Message())
            pdu = v2c.apiMessage.get_pdu(message)
            if change == "request_id":
                v2c.apiPDU.set_request_id(pdu, int(v2c.apiPDU.get_request_id(pdu)) ^ 0x5A5A)
            elif change == "community":
                v2c.apiMessage.set_community(message, "someone-else")
            else:
                message.setComponentByPosition(0, 0)  # SNMPv1 answer to a v2c request
            out.append(encoder.encode(message))
        return out


MALFORMED_PER_REQUEST = 8
IGNORED_PER_REQUEST = 3 + 1  # mismatched + the stray port


async def start_garbage(answer: bool) -> tuple[list[asyncio.DatagramTransport], int, FaultyAgent]:
    """A GarbageAgent on a free port of 127.0.0.1, with its stray socket."""
    loop = asyncio.get_running_loop()
    stray, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    inner = FaultyAgent(rows=12)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: GarbageAgent(inner, stray, answer), local_addr=("127.0.0.1", 0)
    )
    return [transport, stray], transport.get_extra_info("sockname")[1], inner


async def test_garbage_is_dropped_and_the_real_answer_used(fast: NativeSnmpClient) -> None:
    transports, port, inner = await start_garbage(answer=True)
    try:
        got = await fast.walk(v2(port, max_repetitions=5, timeout_s=2), [COLUMN])
    finally:
        for t in transports:
            t.close()
    assert got == {COLUMN: {str(n): n for n in range(1, 13)}} and got.errors == []
    requests = len(inner.requests)
    assert requests == 3
    assert fast.stats.dropped == MALFORMED_PER_REQUEST * requests
    assert fast.stats.ignored == IGNORED_PER_REQUEST * requests


async def test_only_garbage_is_a_bad_answer_not_a_timeout(fast: NativeSnmpClient) -> None:
    transports, port, _ = await start_garbage(answer=False)
    try:
        with pytest.raises(BadAnswerError) as err:
            await fast.get(v2(port, timeout_s=0.2, retries=1), [f"{COLUMN}.1"])
        message = str(err.value)
        assert message.startswith(f"core-sw1: no usable answer from 127.0.0.1:{port}, only ")
        assert "community" not in message and "\n" not in message
    finally:
        for t in transports:
            t.close()
    assert fast.stats.dropped == MALFORMED_PER_REQUEST * 2  # two tries, same request-id
    assert fast.stats.ignored >= IGNORED_PER_REQUEST


async def test_close_cancels_requests_in_flight() -> None:
    client = NativeSnmpClient()
    poll = asyncio.create_task(
        client.get(v2(free_udp_port(), timeout_s=30, retries=0), [SYS_UPTIME])
    )
    while not client.transport._waiting:
        await asyncio.sleep(0.01)
    client.close()
    with pytest.raises(asyncio.CancelledError):
        await poll


async def test_each_kind_of_bad_answer_is_named() -> None:
    # The transport's classification, fed directly (the agents above produce these on the
    # wire): what the BadAnswerError will say for each kind of unusable datagram.
    from lanpulse.collectors.snmp.codec import RESPONSE, encode_pdu, integer, tlv
    from lanpulse.collectors.snmp.transport import UdpTransport, Waiter

    transport = UdpTransport(random.Random(1))
    loop = asyncio.get_running_loop()
    agent = ("127.0.0.1", 1161)
    waiter_id = transport.request_id()
    future: asyncio.Future[Any] = loop.create_future()
    transport._waiting[waiter_id] = Waiter(future, agent, lambda _d, header: header)

    def response(request_id: int) -> bytes:
        pdu = encode_pdu(RESPONSE, request_id, 0, 0, [])
        return tlv(0x30, integer(1) + tlv(0x04, b"public") + pdu)

    cases = [
        (b"\x30\x03\x02\x01", agent, "garbage (message length does not match"),
        (b"\x30\x84\x00\x00\x00\x01\x00", agent, "garbage (indefinite or oversized length)"),
        (bytes(70000), agent, "garbage (oversize datagram (70000 bytes))"),
        (response(waiter_id + 1), agent, "an answer to no request in flight (wrong request-id)"),
        (response(waiter_id), ("127.0.0.1", 9), "the answer came from 127.0.0.1:9, not from"),
    ]
    for data, source, reason in cases:
        transport.received(data, source)
        assert transport.rejected[agent][1].startswith(reason), (reason, transport.rejected)
        assert not future.done()
    transport.received(response(waiter_id), agent)
    assert future.done() and future.result().request_id == waiter_id
    assert (transport.stats.dropped, transport.stats.ignored) == (3, 2)
