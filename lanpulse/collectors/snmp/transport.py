"""The UDP transport of lanpulse's own SNMP engine: one socket, request ids, tries, bad answers.

`UdpTransport.exchange` sends one message and returns what matched it: the datagram from
the address asked, carrying the request-id (v1/v2c) or msgID (v3) waited for, that the
waiter's `accept` turns into a result. Everything else is dropped and counted, and
remembered per source address for a while, so that a request that got only bad answers
fails as `BadAnswerError` ("garbage from the agent") rather than as a timeout that blames
the community. A timeout whose timer fired late because this process's event loop was
busy fails as `OverloadError`: the device is not to blame.

The community step (v1/v2c) is here; the v3 one is `v3.V3Step`. Both give the walk driver
(`walk.py`) a decoded `Pdu` or a typed `CollectError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, cast

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.codec import (
    MalformedMessage,
    Response,
    decode_response,
    encode_request,
)
from lanpulse.collectors.snmp.results import timeout_error, where
from lanpulse.collectors.snmp.usm import MAX_MESSAGE_SIZE, UsmError, parse_message
from lanpulse.core.errors import (
    BadAnswerError,
    CollectError,
    ConfigError,
    OverloadError,
    UnreachableError,
)

Address = tuple[str, int]
RECEIVE_BUFFER = 4 << 20  # bytes
# A timer that fires this much later than asked means the loop was busy elsewhere.
LOOP_LAG_S = 0.5
_REJECTION_MEMORY = 4096  # source addresses remembered with their last bad answer


@dataclass
class TransportStats:
    """Datagrams the transport threw away (they never reach a caller)."""

    dropped: int = 0  # malformed, truncated, oversize or not a Response at all
    ignored: int = 0  # well-formed, but answers no request in flight (id, source, keys)
    late_timers: int = 0  # tries whose timeout fired late: this loop was overloaded


class Waiter:
    """One request in flight: where it went and how to accept an answer to it."""

    __slots__ = ("accept", "address", "future")

    def __init__(
        self,
        future: asyncio.Future[Any],
        address: Address,
        accept: Callable[[bytes, Any], Any],
    ) -> None:
        self.future = future
        self.address = address
        # (datagram, its decoded header) -> result; raises MalformedMessage / UsmError
        self.accept = accept


class _Endpoint(asyncio.DatagramProtocol):
    """The socket: hands each datagram to the request waiting for it."""

    def __init__(self, transport: UdpTransport) -> None:
        self.owner = transport
        self.transport: asyncio.DatagramTransport | None = None
        self.send_error: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to send with."""
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        """Decode the header, match by id and address, let the waiter accept it."""
        self.owner.received(data, (str(addr[0]), addr[1]))

    def error_received(self, exc: Exception) -> None:
        """asyncio reports a refused sendto here, synchronously inside `sendto`."""
        self.send_error = exc


class UdpTransport:
    """One UDP socket shared by every target of a client. Use inside one running loop."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.stats = TransportStats()
        self.rng = rng or random.Random()
        self._next_id = self.rng.randrange(1, 1 << 31)
        self._waiting: dict[int, Waiter] = {}
        self._endpoint: _Endpoint | None = None
        self._opening: asyncio.Lock | None = None
        self._addresses: dict[tuple[str, int], Address] = {}
        # source address -> (loop time, what was wrong with its last unusable datagram)
        self.rejected: dict[Address, tuple[float, str]] = {}

    # -- receiving ----------------------------------------------------------------------

    def received(self, data: bytes, addr: Address) -> None:
        """One datagram: to its waiter, or dropped with the reason remembered."""
        try:
            if len(data) > MAX_MESSAGE_SIZE:
                raise MalformedMessage(f"oversize datagram ({len(data)} bytes)")
            header: Any
            # The version INTEGER follows the outer SEQUENCE's header: 02 01 03 for v3.
            at = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
            if data[at : at + 3] == b"\x02\x01\x03":
                header = parse_message(data)
                request_id = header.msg_id
            else:
                header = decode_response(data)
                request_id = header.request_id
        except (MalformedMessage, UsmError, IndexError) as exc:
            self.stats.dropped += 1
            self._reject(addr, f"garbage ({exc if not isinstance(exc, IndexError) else 'empty'})")
            return
        waiter = self._waiting.get(request_id)
        if waiter is None or waiter.future.done():
            self.stats.ignored += 1
            self._reject(addr, "an answer to no request in flight (wrong request-id)")
            return
        if addr != waiter.address:
            self.stats.ignored += 1
            self._reject(
                waiter.address,
                f"the answer came from {addr[0]}:{addr[1]}, not from the address asked",
            )
            return
        try:
            result = waiter.accept(data, header)
        except (MalformedMessage, UsmError) as exc:
            self.stats.ignored += 1  # well-formed, but not an answer to that request
            self._reject(addr, f"an unusable answer ({exc})")
            return
        waiter.future.set_result(result)

    def _reject(self, addr: Address, reason: str) -> None:
        if len(self.rejected) >= _REJECTION_MEMORY:
            self.rejected.clear()
        self.rejected[addr] = (asyncio.get_running_loop().time(), reason)

    # -- sending ------------------------------------------------------------------------

    def request_id(self) -> int:
        """A request-id (and v3 msgID) no request in flight uses."""
        while True:
            request_id = self._next_id
            self._next_id = request_id + 1 if request_id < (1 << 31) - 1 else 1
            if request_id not in self._waiting:
                return request_id

    async def exchange(
        self,
        target: SnmpTarget,
        address: Address,
        request_id: int,
        message: bytes | Callable[[], bytes],
        accept: Callable[[bytes, Any], Any],
        *,
        tries: int,
        timeout_s: float,
        silence: Callable[[], CollectError] | None = None,
    ) -> Any:
        """Send `message` up to `tries` times (the same id each time) and return `accept`'s
        result for the first answer it takes. `message` may be a function: v3 builds each
        try anew (fresh engine time and salt). `silence` makes the error for no answer."""
        endpoint = self._endpoint or await self._open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting[request_id] = Waiter(future, address, accept)
        started = loop.time()
        lagged = 0.0
        try:
            for _ in range(tries):
                assert endpoint.transport is not None
                endpoint.send_error = None
                endpoint.transport.sendto(message() if callable(message) else message, address)
                refused = endpoint.send_error
                if refused is not None:
                    reason = getattr(refused, "strerror", None) or refused
                    raise UnreachableError(
                        target.device,
                        f"cannot send to {where(target)}: {reason} "
                        "— check the device's address and this host's routes",
                    )
                sent = loop.time()
                done, _ = await asyncio.wait((future,), timeout=timeout_s)
                if not done:
                    # An answer may sit unread in the socket while the loop ran late.
                    await asyncio.sleep(0)
                    lag = loop.time() - sent - timeout_s
                    if lag > max(LOOP_LAG_S, timeout_s / 2):
                        self.stats.late_timers += 1
                        lagged = max(lagged, lag)
                if future.done():
                    return future.result()  # raises CancelledError after close()
            bad = self.rejected.get(address)
            if bad is not None and bad[0] >= started:
                raise BadAnswerError(
                    target.device,
                    f"no usable answer from {where(target)}, only {bad[1]} "
                    "— the agent (or something else on that port) sends invalid SNMP",
                )
            if lagged:
                raise OverloadError(
                    target.device,
                    f"no answer from {where(target)} in time, but this daemon's event loop "
                    f"ran {lagged:.1f}s late (lanpulse is overloaded: too many devices for "
                    "this host or interval) — not a device or credentials problem",
                )
            raise (silence or (lambda: timeout_error(target)))()
        finally:
            self._waiting.pop(request_id, None)

    def close(self) -> None:
        """Close the socket; requests still waiting are cancelled."""
        for waiter in self._waiting.values():
            waiter.future.cancel()
        self._waiting.clear()
        if self._endpoint is not None and self._endpoint.transport is not None:
            self._endpoint.transport.close()
        self._endpoint = None

    async def _open(self) -> _Endpoint:
        """The UDP socket, opened on first use."""
        if self._endpoint is not None:
            return self._endpoint
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._endpoint is None:
                loop = asyncio.get_running_loop()
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self), local_addr=("0.0.0.0", 0), family=socket.AF_INET
                )
                # Answers from many devices land on this one socket at once: ask for a
                # receive buffer that holds a burst (the kernel caps it at rmem_max).
                sock = transport.get_extra_info("socket")
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
                self._endpoint = protocol
            return self._endpoint

    async def resolve(self, target: SnmpTarget) -> Address:
        """The target's IPv4 address and port, looked up once."""
        key = (target.address, target.port)
        address = self._addresses.get(key)
        if address is None:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(
                    target.address, target.port, family=socket.AF_INET, type=socket.SOCK_DGRAM
                )
            except (OSError, UnicodeError, ValueError):
                # gaierror is an OSError; an invalid host name (label too long, NUL) fails
                # earlier with UnicodeError / ValueError.
                infos = []
            if not infos:
                raise UnreachableError(
                    target.device,
                    f"cannot resolve address {target.address!r} — check the device's address",
                )
            sockaddr = infos[0][4]
            address = (str(sockaddr[0]), int(sockaddr[1]))
            self._addresses[key] = address
        return address


class _CommunityPeer:
    """A v1/v2c device as the step talks to it (resolved once per address and credentials)."""

    __slots__ = ("address", "community", "version")

    def __init__(self, address: Address, version: int, community: bytes) -> None:
        self.address = address
        self.version = version
        self.community = community

    def accept(self, _data: bytes, response: Any) -> Response:
        """The Response, if it has the version and community asked with."""
        if response.version != self.version or response.community != self.community:
            raise MalformedMessage("another version or community than asked")
        return cast(Response, response)


class CommunityStep:
    """The SNMPv1/v2c step: one request PDU out, its Response back."""

    def __init__(self, transport: UdpTransport) -> None:
        self.transport = transport
        self._peers: dict[tuple[str, int, object], _CommunityPeer] = {}

    def request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Coroutine[Any, Any, Response]:
        """Send one request; the matching Response (or a `CollectError`) when awaited.

        A plain function returning the transport's coroutine: one coroutine frame less per
        request (get10 v2c: 5 % of the client's CPU, benchmarks/snmp_throughput.py).
        """
        peer = self._peers.get((target.address, target.port, target.credentials))
        if peer is None:
            return self._first_request(target, pdu_type, raw_oids, max_repetitions)
        return self._send(target, peer, pdu_type, raw_oids, max_repetitions)

    def _send(
        self,
        target: SnmpTarget,
        peer: _CommunityPeer,
        pdu_type: int,
        raw_oids: list[bytes],
        max_repetitions: int,
    ) -> Coroutine[Any, Any, Response]:
        request_id = self.transport.request_id()
        message = encode_request(
            peer.version, peer.community, pdu_type, request_id, raw_oids, 0, max_repetitions
        )
        creds = target.credentials
        return self.transport.exchange(
            target,
            peer.address,
            request_id,
            message,
            peer.accept,
            tries=creds.retries + 1,
            timeout_s=creds.timeout_s,
        )

    async def _first_request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Response:
        peer = await self._peer(target)
        return await self._send(target, peer, pdu_type, raw_oids, max_repetitions)

    async def _peer(self, target: SnmpTarget) -> _CommunityPeer:
        creds = target.credentials
        if creds.community is None:
            raise ConfigError("SNMPv1/v2c needs a community", key="snmp.community")
        address = await self.transport.resolve(target)
        peer = _CommunityPeer(
            address, 0 if creds.version == "1" else 1, creds.community.reveal().encode()
        )
        self._peers[(target.address, target.port, creds)] = peer
        return peer
