"""The notification codec and the trap receiver, with net-snmp's snmptrap/snmpinform sending.

Real datagrams from `snmptrap` / `snmpinform` (Debian `snmp`) over 127.0.0.1; property tests
(hypothesis) feed random and mutated datagrams to the decoder and to the receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanpulse.collectors.snmp.codec import GET, encode_oid, encode_request
from lanpulse.collectors.snmp.notification import (
    MalformedTrap,
    V3Message,
    decode_notification,
    encode_inform_response,
)
from lanpulse.collectors.traps import TrapReceiver
from lanpulse.core.model import RawTrap

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
IF_INDEX_3 = ("1.3.6.1.2.1.2.2.1.1.3", "i", "3")


def snmptrap(
    port: int,
    *args: str,
    opts: tuple[str, ...] = ("-v2c",),
    tool: str = "snmptrap",
    community: str = "public",
) -> int:
    """Run net-snmp's snmptrap/snmpinform (`opts` before the address); its exit code."""
    cmd = [tool, *opts, "-c", community, "-t", "2", "-r", "1", f"127.0.0.1:{port}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=30, check=False).returncode


def v2c_args(trap_oid: str, *varbinds: tuple[str, str, str]) -> list[str]:
    """snmptrap -v2c arguments: uptime (empty: the sender's), trap OID, varbinds."""
    return ["", trap_oid, *[part for vb in varbinds for part in vb]]


@pytest.fixture
def sink() -> Iterator[socket.socket]:
    """A plain UDP socket on 127.0.0.1 that captures what snmptrap sends."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        yield s


def captured(sink: socket.socket, *args: str, opts: tuple[str, ...] = ("-v2c",)) -> bytes:
    """The datagram snmptrap sends for `args`."""
    port = sink.getsockname()[1]
    assert snmptrap(port, *args, opts=opts) == 0
    return sink.recvfrom(65535)[0]


def test_v2c_trap_from_snmptrap(sink: socket.socket) -> None:
    data = captured(
        sink,
        *v2c_args(LINK_DOWN, IF_INDEX_3, ("1.3.6.1.2.1.2.2.1.2.3", "s", "Gi0/3")),
    )
    n = decode_notification(data)
    assert (n.version, n.community, n.inform, n.trap_oid) == (1, b"public", False, LINK_DOWN)
    assert isinstance(n.uptime_ticks, int)
    assert n.varbinds == (("1.3.6.1.2.1.2.2.1.1.3", 3), ("1.3.6.1.2.1.2.2.1.2.3", b"Gi0/3"))


def test_v1_traps_translated_as_rfc3584_says(sink: socket.socket) -> None:
    # enterprise-specific: enterprise.0.specific, plus snmpTrapAddress and snmpTrapEnterprise
    apc = ("1.3.6.1.4.1.318", "10.1.2.3", "6", "5", "55")
    data = captured(sink, *apc, "1.3.6.1.4.1.318.2.3.3.0", "s", "On battery", opts=("-v1",))
    n = decode_notification(data)
    assert (n.version, n.trap_oid, n.uptime_ticks) == (0, "1.3.6.1.4.1.318.0.5", 55)
    assert n.varbinds == (
        ("1.3.6.1.4.1.318.2.3.3.0", b"On battery"),
        ("1.3.6.1.6.3.18.1.3.0", "10.1.2.3"),
        ("1.3.6.1.6.3.1.1.4.3.0", "1.3.6.1.4.1.318"),
    )
    # generic linkDown (2) -> snmpTraps.3
    data = captured(sink, "1.3.6.1.4.1.9", "10.1.2.3", "2", "0", "", *IF_INDEX_3, opts=("-v1",))
    assert decode_notification(data).trap_oid == LINK_DOWN


def test_inform_response_echoes_request_id_and_varbinds(sink: socket.socket) -> None:
    port = sink.getsockname()[1]
    proc = subprocess.Popen(
        [
            *("snmpinform", "-v2c", "-c", "public", "-t", "5", "-r", "0", f"127.0.0.1:{port}"),
            *v2c_args(LINK_DOWN, IF_INDEX_3),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    data, addr = sink.recvfrom(65535)
    n = decode_notification(data)
    assert n.inform
    sink.sendto(encode_inform_response(data), addr)
    assert proc.wait(30) == 0  # snmpinform exits 0 only when its inform was answered


def test_v3_message_is_handed_over(sink: socket.socket) -> None:
    opts = ("-v3", "-u", "nms", "-l", "noAuthNoPriv", "-e", "0x8000000001020304")
    data = captured(sink, *v2c_args(LINK_DOWN), opts=opts)
    with pytest.raises(V3Message):
        decode_notification(data)


def test_not_a_notification() -> None:
    # a GetRequest is well-formed SNMP but no notification
    get = encode_request(1, b"public", GET, 1, [encode_oid("1.3.6.1.2.1.1.1.0")])
    with pytest.raises(MalformedTrap, match="not a notification"):
        decode_notification(get)


# -- property tests: the decoder gives a notification, a V3Message or a MalformedTrap ------


@functools.cache
def seeds() -> tuple[bytes, ...]:
    """Real datagrams to mutate: snmptrap v1 (APC), v2c (linkDown) and an snmpinform."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        apc = ("1.3.6.1.4.1.318", "10.1.2.3", "6", "5", "55")
        v1 = captured(s, *apc, *IF_INDEX_3, opts=("-v1",))
        v2 = captured(s, *v2c_args(LINK_DOWN, IF_INDEX_3, ("1.3.6.1.2.1.2.2.1.2.3", "s", "x")))
        port = s.getsockname()[1]
        subprocess.Popen(
            [
                *("snmpinform", "-v2c", "-c", "public", "-t", "1", "-r", "0"),
                *(f"127.0.0.1:{port}", *v2c_args(LINK_DOWN, IF_INDEX_3)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        inform = s.recvfrom(65535)[0]
    return v1, v2, inform


def _decodes_or_typed_error(data: bytes) -> None:
    with contextlib.suppress(MalformedTrap, V3Message):
        decode_notification(data)


def test_seeds_decode() -> None:
    v1, v2, inform = (decode_notification(d) for d in seeds())
    assert (v1.trap_oid, v2.trap_oid, inform.inform) == ("1.3.6.1.4.1.318.0.5", LINK_DOWN, True)


@given(st.binary(max_size=600))
@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes_give_a_typed_error(data: bytes) -> None:
    _decodes_or_typed_error(data)


@given(st.data())
@settings(max_examples=3000, deadline=None)
def test_mutated_datagrams_give_a_typed_error(data: st.DataObject) -> None:
    base = bytearray(data.draw(st.sampled_from(seeds())))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(base) - 1, 0)))
        if kind == "flip" and base:
            base[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del base[at:]
        else:
            base[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    _decodes_or_typed_error(bytes(base))


@given(st.binary(max_size=300))
@settings(max_examples=500)
def test_receiver_never_raises(data: bytes) -> None:
    got: list[RawTrap] = []
    receiver = TrapReceiver([b"public"], got.append)
    receiver.datagram_received(data, ("127.0.0.1", 5000))
    s = receiver.stats
    assert s.traps_received == 1
    assert s.traps_accepted + s.traps_malformed + s.traps_bad_community + s.traps_v3_rejected == 1


# -- the receiver on a real socket ---------------------------------------------------------


async def test_receiver_accepts_answers_and_counts() -> None:
    got: list[RawTrap] = []
    receiver = TrapReceiver([b"public"], got.append)
    _, port = await receiver.start("127.0.0.1", 0)
    try:
        send = asyncio.to_thread
        assert await send(snmptrap, port, *v2c_args(LINK_DOWN, IF_INDEX_3)) == 0
        assert await send(snmptrap, port, *v2c_args(LINK_DOWN), tool="snmpinform") == 0
        assert await send(snmptrap, port, *v2c_args(LINK_DOWN), community="wrong") == 0
        for _ in range(100):
            if receiver.stats.traps_bad_community:
                break
            await asyncio.sleep(0.05)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x30\x03garbage", ("127.0.0.1", port))
        for _ in range(100):
            if receiver.stats.traps_malformed:
                break
            await asyncio.sleep(0.05)
    finally:
        receiver.close()
    assert [(t.version, t.trap_oid, t.inform, t.source) for t in got] == [
        ("2c", LINK_DOWN, False, "127.0.0.1"),
        ("2c", LINK_DOWN, True, "127.0.0.1"),
    ]
    stats = receiver.stats.as_fields()
    assert stats["informs_answered"] == 1
    assert stats["traps_bad_community"] == 1
    assert stats["traps_malformed"] == 1
    assert "public" not in repr(receiver)
