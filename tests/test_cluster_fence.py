"""The fence's two leases (fence.py) on a fake clock, and its probe on real 127.0.0.1
sockets: a closed port refuses, a listening one does not."""

from __future__ import annotations

import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.cluster.fence import Fence, refused, servers_of
from lanpulse.sim.servers import free_tcp_port

A, B = ("zk-a", 2181), ("zk-b", 2181)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_proves_the_session_for_two_thirds_of_its_timeout() -> None:
    clock = Clock()
    fence = Fence([A], 3.0, clock)
    assert fence.reason() == "fenced"  # nothing answered yet
    fence.answered(clock.now)
    clock.now += 1.99
    assert fence.reason() is None
    clock.now += 0.02
    assert fence.reason() == "fenced"
    fence.answered(clock.now - 5)  # a late answer to an old request proves nothing new
    assert fence.reason() == "fenced"


def test_a_lost_session_voids_its_answers() -> None:
    clock = Clock()
    fence = Fence([A], 3.0, clock)
    fence.answered(clock.now)
    fence.session_lost()
    assert fence.reason() == "fenced"


def test_the_outage_lease_needs_every_server_to_refuse() -> None:
    clock = Clock()
    fence = Fence([A, B], 3.0, clock)
    fence.probed(A, clock.now, True)
    assert not fence.outage_proven()  # B may be serving sessions
    fence.probed(B, clock.now + 1, True)
    assert fence.reason() is None
    clock.now += 1.99  # the oldest refusal (A's) decides
    assert fence.outage_proven()
    clock.now += 0.02
    assert not fence.outage_proven()


def test_a_server_that_listens_again_ends_the_outage_lease() -> None:
    clock = Clock()
    fence = Fence([A], 3.0, clock)
    fence.probed(A, clock.now, True)
    fence.probed(A, clock.now + 0.1, False)  # accepted: it may serve, we may be cut off
    assert fence.reason() == "fenced"


def test_the_granted_timeout_sets_the_lease() -> None:
    clock = Clock()
    fence = Fence([A], 30.0, clock)
    fence.set_session_timeout(3.0)  # the server clamped 30 s to 3 s
    fence.answered(clock.now)
    clock.now += 2.1
    assert fence.reason() == "fenced"


@settings(deadline=None)  # pure, but the shared CI box stalls processes for seconds
@given(st.lists(st.tuples(st.floats(0, 10), st.booleans()), max_size=20), st.floats(0, 20))
def test_never_open_without_a_recent_proof(probes, later):
    """Whatever happened, the fence opens only with a proof less than a lease old."""
    clock = Clock()
    fence = Fence([A], 3.0, clock)
    for at, ok in probes:
        fence.probed(A, 100.0 + at, ok)
    clock.now = 100.0 + later
    if fence.reason() is None:
        assert clock.now - fence.refused_at[A] < 2.0


def test_servers_of_a_connect_string() -> None:
    assert servers_of("127.0.0.1:2181,zk2:2182/lanpulse") == [("127.0.0.1", 2181), ("zk2", 2182)]


def test_the_probe_tells_a_closed_port_from_a_listening_one() -> None:
    closed = free_tcp_port()
    assert refused(("127.0.0.1", closed), 1.0)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not refused(("127.0.0.1", listener.getsockname()[1]), 1.0)


def test_kazoo_reconnect_lines_are_summarised() -> None:
    """One line per reconnect attempt for as long as ZooKeeper is away would flood the log."""
    import logging

    from lanpulse.cluster.zk_client import ReconnectSummary

    clock = Clock()
    summary = ReconnectSummary(every_s=60, clock=clock)

    def passes(message: str) -> str | None:
        record = logging.LogRecord("kazoo.client", logging.WARNING, "", 0, message, (), None)
        return record.getMessage() if summary.filter(record) else None

    assert passes("Connection dropped: refused") == "Connection dropped: refused"
    for _ in range(29):
        clock.now += 2
        assert passes("Connection dropped: refused") is None
    clock.now += 2
    assert passes("Connection dropped: refused") == (
        "Connection dropped: refused (and 29 more like it)"
    )
    assert passes("Zookeeper connection established, state: CONNECTED") is not None
    assert passes("Connection dropped: refused") is not None  # a new series
