"""The trap and inform receiver (I/O only): UDP datagrams in, `RawTrap` records out.

    receiver = TrapReceiver(communities, on_trap, v3=None)
    await receiver.start("0.0.0.0", 162)
    ...
    receiver.close()

v1 traps, v2c traps and v2c informs (answered with a Response echoing request-id and
varbinds) from a configured community are handed to `on_trap`; SNMPv3 messages go to a
`V3Decoder` (`trap_usm.TrapUsm` for the configured users), whose answers (Reports, inform
Responses) are sent back from the same socket. Nothing received can raise out of the
protocol: every datagram is accepted, or dropped and counted under one reason.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Literal, Protocol, cast

from lanpulse.collectors.snmp.notification import (
    MalformedMessage,
    Notification,
    V3Message,
    decode_notification,
    encode_inform_response,
)
from lanpulse.core.model import RawTrap, now_ns

log = logging.getLogger(__name__)

# Bursts (a switch stack rebooting, a flapping uplink) arrive faster than one event loop
# turn; a large kernel buffer queues them instead of dropping them.
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
_VERSIONS: dict[int, Literal["1", "2c"]] = {0: "1", 1: "2c"}
_LOG_ONCE_LIMIT = 10_000  # distinct sources remembered for "logged once per source"


class V3DecodeError(Exception):
    """An SNMPv3 message that is not accepted; `kind` is one of `V3_ERROR_KINDS`, `reply` a
    Report to send back (lanpulse is the authoritative engine of an inform)."""

    def __init__(self, kind: str, message: str, reply: bytes | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.reply = reply


# The RFC 3414 usmStats counters (as `usm.UsmError.kind`), plus bad bytes and the RFC 3412
# unknownSecurityModel. `unknownEngineID` includes every engine-ID discovery probe.
V3_ERROR_KINDS: tuple[str, ...] = (
    "unknownEngineID",
    "unknownUserName",
    "unsupportedSecLevel",
    "wrongDigest",
    "decryptionError",
    "notInTimeWindow",
    "unknownSecurityModel",
    "malformed",
)


@dataclass(frozen=True, slots=True)
class V3Notification:
    """A v3 trap or inform after USM: its user, its scoped PDU decoded, and for an inform
    the secured Response to send back (for an engine-ID discovery probe: only the Report)."""

    user: str
    notification: Notification | None  # None: a discovery probe, answered by `reply`
    reply: bytes | None = None


class V3Decoder(Protocol):
    """USM for notifications: bytes in, the scoped PDU out, or a typed error."""

    def decode(self, data: bytes) -> V3Notification:
        """Authenticate and decrypt one v3 message; raises V3DecodeError."""
        ...


@dataclass
class TrapStats:
    """What the receiver counts (all running totals)."""

    traps_received: int = 0
    traps_accepted: int = 0
    traps_malformed: int = 0
    traps_bad_community: int = 0
    traps_v3_rejected: int = 0
    traps_dropped: int = 0  # accepted, but the handler failed
    informs_answered: int = 0
    v3_reports_sent: int = 0  # as the authoritative engine of informs (discovery, time)

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


TrapHandler = Callable[[RawTrap], None]


class TrapReceiver(asyncio.DatagramProtocol):
    """One UDP socket; every datagram decoded, checked, answered (informs) and handed on."""

    def __init__(
        self,
        communities: Iterable[bytes],
        on_trap: TrapHandler,
        v3: V3Decoder | None = None,
        clock_ns: Callable[[], int] = now_ns,
    ) -> None:
        self._communities = frozenset(communities)
        self.on_trap = on_trap
        self.v3 = v3
        self.clock_ns = clock_ns
        self.stats = TrapStats()
        self.transport: asyncio.DatagramTransport | None = None
        self._logged: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"TrapReceiver(communities={len(self._communities)}, v3={self.v3 is not None})"

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Bind and start receiving; returns the bound (host, port) (port 0: a free one)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, sock=sock)
        bound = sock.getsockname()
        return str(bound[0]), int(bound[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (3.11's selector datagram transport does not subclass DatagramTransport)
        self.transport = cast(asyncio.DatagramTransport, transport)

    def error_received(self, exc: Exception) -> None:
        log.debug("trap socket error: %s", exc)  # ICMP errors of inform replies: harmless

    def close(self) -> None:
        """Stop receiving."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def log_once(self, source: str, reason: str, message: str, *args: object) -> None:
        """Log `message` the first time `source` gives `reason`, so a flood is one line."""
        key = (source, reason)
        if key in self._logged:
            return
        if len(self._logged) >= _LOG_ONCE_LIMIT:
            self._logged.clear()
        self._logged.add(key)
        log.warning(message, *args)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        stats = self.stats
        stats.traps_received += 1
        source = str(addr[0])
        try:
            notification = decode_notification(data)
        except V3Message:
            self._v3(data, addr, source)
            return
        except MalformedMessage as exc:
            stats.traps_malformed += 1
            self.log_once(source, "malformed", "malformed trap from %s: %s", source, exc)
            return
        if notification.community not in self._communities:
            stats.traps_bad_community += 1
            self.log_once(source, "community", "trap from %s with an unknown community", source)
            return
        if notification.inform:
            self._reply(encode_inform_response(data), addr)
        self._accept(notification, source, "")

    def _v3(self, data: bytes, addr: tuple[str | int, ...], source: str) -> None:
        if self.v3 is None:
            self.stats.traps_v3_rejected += 1
            self.log_once(source, "v3", "SNMPv3 trap from %s: no traps.v3_users configured", source)
            return
        try:
            decoded = self.v3.decode(data)
        except V3DecodeError as exc:
            if exc.reply is not None:
                self._report(exc.reply, addr)
            self.stats.traps_v3_rejected += 1
            self.log_once(
                source, exc.kind, "SNMPv3 notification from %s rejected (%s): %s", source,
                exc.kind, exc,
            )  # fmt: skip
            return
        except Exception:  # a decoder bug: the datagram is lost, the receiver is not
            self.stats.traps_v3_rejected += 1
            self.log_once(source, "bug", "SNMPv3 trap from %s could not be decoded", source)
            log.debug("v3 decoder failed", exc_info=True)
            return
        if decoded.notification is None:  # engine-ID discovery: answered, nothing more
            if decoded.reply is not None:
                self._report(decoded.reply, addr)
            return
        if decoded.reply is not None:
            self._reply(decoded.reply, addr)
        self._accept(decoded.notification, source, decoded.user)

    def _reply(self, datagram: bytes, addr: tuple[str | int, ...]) -> None:
        self._send(datagram, addr)
        self.stats.informs_answered += 1

    def _report(self, datagram: bytes, addr: tuple[str | int, ...]) -> None:
        self._send(datagram, addr)
        self.stats.v3_reports_sent += 1

    def _send(self, datagram: bytes, addr: tuple[str | int, ...]) -> None:
        if self.transport is not None:
            self.transport.sendto(datagram, addr)

    def _accept(self, n: Notification, source: str, user: str) -> None:
        raw = RawTrap(
            source=source,
            version="3" if user else _VERSIONS[n.version],
            trap_oid=n.trap_oid,
            varbinds=n.varbinds,
            received_ns=self.clock_ns(),
            inform=n.inform,
            uptime_ticks=n.uptime_ticks,
            security_name=user,
        )
        self.stats.traps_accepted += 1
        try:
            self.on_trap(raw)
        except Exception:  # a handler bug must not stop the receiver
            self.stats.traps_dropped += 1
            self.log_once(source, "handler", "trap from %s could not be handled", source)
            log.debug("trap handler failed", exc_info=True)
