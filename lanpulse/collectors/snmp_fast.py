"""`FastSnmpClient`: the SNMPv1/v2c transport on asyncio UDP and lanpulse's own BER codec.

Same contract as `PysnmpClient` (results, value types, error classes and texts, walk
tuning: see `snmp_shared`), at a fraction of its CPU cost per varbind, because community
messages need none of pysnmp's machinery: the codec is `snmp_ber`, the rest is one UDP
socket, a table of requests waiting for their request-id, and a timer per try.

SNMPv3 is not spoken here; `snmp_auto.AutoSnmpClient` routes it to `PysnmpClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp_ber import (
    END_OF_MIB_VIEW,
    GET,
    GET_BULK,
    GET_NEXT,
    MalformedMessage,
    Response,
    decode_arcs,
    decode_response,
    encode_oid,
    encode_request,
    oid_text,
)
from lanpulse.collectors.snmp_shared import (
    NO_SUCH_NAME,
    TOO_BIG,
    GetResult,
    WalkResult,
    WalkTuning,
    no_rows_text,
    non_increasing_text,
    status_text,
    timeout_error,
    where,
)
from lanpulse.core.errors import AgentError, ConfigError, UnreachableError
from lanpulse.core.model import SnmpCredentials

Address = tuple[str, int]
RECEIVE_BUFFER = 4 << 20  # bytes


@dataclass
class FastSnmpStats:
    """Datagrams the client threw away (they never reach a caller)."""

    dropped: int = 0  # malformed, truncated or not a Response at all
    ignored: int = 0  # well-formed, but no request waits for it from that address


@dataclass(frozen=True, slots=True)
class _Peer:
    """A device as this client talks to it (resolved once per address, port, credentials)."""

    address: Address
    version: int  # on the wire: 0 SNMPv1, 1 SNMPv2c
    community: bytes


class _Waiter:
    __slots__ = ("address", "community", "future", "version")

    def __init__(self, future: asyncio.Future[Response], peer: _Peer) -> None:
        self.future = future
        self.address = peer.address
        self.version = peer.version
        self.community = peer.community


class _Endpoint(asyncio.DatagramProtocol):
    """The client's UDP socket: hands each Response to the request waiting for it."""

    def __init__(self, waiting: dict[int, _Waiter], stats: FastSnmpStats) -> None:
        self.waiting = waiting
        self.stats = stats
        self.transport: asyncio.DatagramTransport | None = None
        self.send_error: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to send with."""
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        """Decode, match by request-id, address, version and community; drop the rest."""
        try:
            response = decode_response(data)
        except MalformedMessage:
            self.stats.dropped += 1
            return
        waiter = self.waiting.get(response.request_id)
        if (
            waiter is None
            or waiter.future.done()
            or (addr[0], addr[1]) != waiter.address
            or response.version != waiter.version
            or response.community != waiter.community
        ):
            self.stats.ignored += 1
            return
        waiter.future.set_result(response)

    def error_received(self, exc: Exception) -> None:
        """asyncio reports a refused sendto here, synchronously inside `sendto`."""
        self.send_error = exc


class FastSnmpClient:
    """`SnmpClient` for SNMPv1/v2c. Create and use it inside one running asyncio loop.

    `rng` picks the first request-id (tests may pass a seeded one).
    """

    def __init__(self, *, get_batch_size: int = 20, rng: random.Random | None = None) -> None:
        if get_batch_size < 1:
            raise ValueError("get_batch_size must be at least 1")
        self.get_batch_size = get_batch_size
        self.stats = FastSnmpStats()
        self._rng = rng or random.Random()
        self._next_id = self._rng.randrange(1, 1 << 31)
        self._waiting: dict[int, _Waiter] = {}
        self._endpoint: _Endpoint | None = None
        self._opening: asyncio.Lock | None = None
        self._peers: dict[tuple[str, int, SnmpCredentials], _Peer] = {}
        self._addresses: dict[tuple[str, int], Address] = {}
        self._tuning = WalkTuning()

    # -- public API ---------------------------------------------------------------------

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        """GET `oids` in PDUs of `get_batch_size`; OIDs the agent lacks are left out.

        An OID the agent answers with an error status (genErr, ...) is left out too and
        named in `errors`; only when nothing at all came back does that raise `AgentError`.
        """
        peer = await self._peer(target)
        names = [o.strip().lstrip(".") for o in oids]
        result = GetResult()
        size = self.get_batch_size
        for start in range(0, len(names), size):
            await self._get_batch(target, peer, names[start : start + size], result)
        if result.errors and not result:
            raise AgentError(target.device, "; ".join(result.errors))
        return result

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        """Walk `columns` together (GETBULK, or GETNEXT for v1): column -> {index: value}."""
        peer = await self._peer(target)
        result = WalkResult()
        prefixes = {c.strip().lstrip("."): b"" for c in columns}
        for column in prefixes:
            prefixes[column] = encode_oid(column)
            result[column] = {}
        cursor = dict(prefixes)  # open columns -> raw OID of the last row seen
        seen: dict[str, tuple[int, ...]] = dict.fromkeys(prefixes, ())  # its index arcs
        creds = target.credentials
        plan = self._tuning.start(
            (target.address, target.port, creds), list(prefixes), creds.max_repetitions
        )
        bulk = peer.version != 0
        while cursor:
            open_columns = list(cursor)
            request = [cursor[c] for c in open_columns]
            if bulk:
                repetitions = plan.repetitions(max(len(v) for v in result.values()))
                response = await self._request(
                    target, peer, GET_BULK, request, max_repetitions=repetitions
                )
            else:
                repetitions = 0
                response = await self._request(target, peer, GET_NEXT, request)
            status, index = response.error_status, response.error_index
            if status == TOO_BIG and bulk and plan.too_big(repetitions):
                continue
            if bulk and not status:
                plan.answered()
            if status == NO_SUCH_NAME and not bulk and 0 < index <= len(open_columns):
                del cursor[open_columns[index - 1]]  # v1 end of this column's view
                continue
            if status:
                oids = [oid_text(r) for r in request]
                result.errors.append(status_text(target, status, index, oids))
                break
            progressed = _take_rows(target, open_columns, prefixes, cursor, seen, response, result)
            if not progressed and cursor:
                result.errors.append(no_rows_text(target))
                break
        plan.finish(max((len(v) for v in result.values()), default=0))
        return result

    def close(self) -> None:
        """Close the socket; requests still waiting are cancelled."""
        for waiter in self._waiting.values():
            waiter.future.cancel()
        self._waiting.clear()
        if self._endpoint is not None and self._endpoint.transport is not None:
            self._endpoint.transport.close()
        self._endpoint = None

    # -- GET ----------------------------------------------------------------------------

    async def _get_batch(
        self, target: SnmpTarget, peer: _Peer, names: list[str], result: GetResult
    ) -> None:
        while names:
            response = await self._request(target, peer, GET, [encode_oid(n) for n in names])
            status, index = response.error_status, response.error_index
            if status == TOO_BIG and len(names) > 1:
                half = len(names) // 2
                await self._get_batch(target, peer, names[:half], result)
                await self._get_batch(target, peer, names[half:], result)
                return
            if status and 0 < index <= len(names) and status != TOO_BIG:
                # One OID spoils the whole PDU: drop it and ask for the others again.
                # (noSuchName is SNMPv1's way to say "absent", not an error.)
                if not (status == NO_SUCH_NAME and peer.version == 0):
                    result.errors.append(status_text(target, status, index, names))
                names = names[: index - 1] + names[index:]
                continue
            if status:
                raise AgentError(target.device, status_text(target, status, index, names))
            for raw, _tag, value in response.varbinds:
                if value is not None:
                    result[oid_text(raw)] = value
            return

    # -- one request --------------------------------------------------------------------

    async def _request(
        self,
        target: SnmpTarget,
        peer: _Peer,
        pdu_type: int,
        raw_oids: list[bytes],
        *,
        max_repetitions: int = 0,
    ) -> Response:
        """Send one PDU, resend it on each timeout, and return the Response that matches."""
        endpoint = await self._open()
        request_id = self._request_id()
        message = encode_request(
            peer.version, peer.community, pdu_type, request_id, raw_oids, 0, max_repetitions
        )
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = _Waiter(future, peer)
        creds = target.credentials
        try:
            for _ in range(creds.retries + 1):
                # The same request-id on every try: a late answer to an earlier try counts.
                assert endpoint.transport is not None
                endpoint.send_error = None
                endpoint.transport.sendto(message, peer.address)
                refused = endpoint.send_error
                if refused is not None:
                    reason = getattr(refused, "strerror", None) or refused
                    raise UnreachableError(
                        target.device,
                        f"cannot send to {where(target)}: {reason} "
                        "— check the device's address and this host's routes",
                    )
                done, _ = await asyncio.wait((future,), timeout=creds.timeout_s)
                if done:
                    return future.result()  # raises CancelledError after close()
            raise timeout_error(target)
        finally:
            self._waiting.pop(request_id, None)

    def _request_id(self) -> int:
        while True:
            request_id = self._next_id
            self._next_id = request_id + 1 if request_id < (1 << 31) - 1 else 1
            if request_id not in self._waiting:
                return request_id

    async def _open(self) -> _Endpoint:
        """The client's UDP socket, opened on first use."""
        if self._endpoint is not None:
            return self._endpoint
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._endpoint is None:
                loop = asyncio.get_running_loop()
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self._waiting, self.stats),
                    local_addr=("0.0.0.0", 0),
                    family=socket.AF_INET,
                )
                # Answers from many devices land on this one socket at once: ask for a
                # receive buffer that holds a burst (the kernel caps it at rmem_max).
                sock = transport.get_extra_info("socket")
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
                self._endpoint = protocol
            return self._endpoint

    async def _peer(self, target: SnmpTarget) -> _Peer:
        creds = target.credentials
        key = (target.address, target.port, creds)
        peer = self._peers.get(key)
        if peer is not None:
            return peer
        if creds.version not in ("1", "2c"):
            raise ConfigError(
                f"FastSnmpClient speaks SNMPv1/v2c, not version {creds.version!r} "
                "(use AutoSnmpClient)",
                key="snmp.version",
            )
        if creds.community is None:
            raise ConfigError("SNMPv1/v2c needs a community", key="snmp.community")
        address = await self._resolve(target)
        peer = _Peer(address, 0 if creds.version == "1" else 1, creds.community.reveal().encode())
        self._peers[key] = peer
        return peer

    async def _resolve(self, target: SnmpTarget) -> Address:
        # IPv4 only, as pysnmp's UDP transport that PysnmpClient uses.
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


def _take_rows(
    target: SnmpTarget,
    open_columns: list[str],
    prefixes: dict[str, bytes],
    cursor: dict[str, bytes],
    seen: dict[str, tuple[int, ...]],
    response: Response,
    result: WalkResult,
) -> bool:
    """File one response's varbinds under their columns; close finished columns.

    A column's subtree is a byte prefix of the BER OID, and the index arcs after it
    compare like the whole OID does, so neither OID is turned into text or a full tuple.
    """
    width = len(open_columns)
    progressed = False
    closed: set[str] = set()
    for position, (raw, tag, value) in enumerate(response.varbinds):
        column = open_columns[position % width]
        if column in closed:
            continue
        prefix = prefixes[column]
        if tag == END_OF_MIB_VIEW or not raw.startswith(prefix):
            closed.add(column)
            continue
        index = decode_arcs(raw[len(prefix) :])
        if index <= seen[column]:
            result.errors.append(
                non_increasing_text(target, oid_text(raw), oid_text(cursor[column]), column)
            )
            closed.add(column)
            continue
        cursor[column] = raw
        seen[column] = index
        progressed = True
        if value is not None:
            result[column][".".join(map(str, index))] = value
    for column in closed:
        del cursor[column]
    return progressed or bool(closed)
