"""The SNMPv3 step: engine discovery, time synchronisation, Reports as typed errors.

Per target (address, port, credentials) a `_V3Peer` keeps the agent's engine ID, boots
and time (with the loop time it was learnt at, so the time sent moves on with the clock).
The first request discovers the engine (RFC 3414 4: a noAuthNoPriv, reportable, empty
request answered by an unknownEngineID Report that carries the engine's ID, boots and
time). A notInTimeWindow Report re-synchronises from its header and asks again; an
unknownEngineID Report for a known engine (the agent was replaced) discovers it again.
Reports that remain are `AuthError`s with one line each (`usm.REPORT_TEXTS`).

net-snmp drops a request it cannot decrypt without a Report, so an authPriv request that
gets no answer is followed by one authNoPriv probe: an authenticated answer to that means
user, auth password and engine are right, and the privacy settings are the problem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.codec import GET, REPORT, RESPONSE, MalformedMessage, Pdu, encode_oid
from lanpulse.collectors.snmp.codec import encode_request_pdu as request_pdu
from lanpulse.collectors.snmp.results import timeout_error, where
from lanpulse.collectors.snmp.transport import Address, UdpTransport
from lanpulse.collectors.snmp.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    REPORT_TEXTS,
    MessageTemplate,
    UsmError,
    V3Message,
    open_message,
    report_kind,
)
from lanpulse.collectors.snmp.usm_crypto import KeyCache, LocalizedKeys, UsmUser
from lanpulse.core.errors import AuthError, CollectError, CollectTimeout, ConfigError

log = logging.getLogger(__name__)
_SYS_UPTIME = encode_oid("1.3.6.1.2.1.1.3.0")


class _V3Peer:
    """One v3 target as this client knows it; engine state learnt from its agent."""

    __slots__ = (
        *("address", "boots", "context", "discovering", "engine_id"),
        *("flags", "keys", "learnt_at", "templates", "time", "user"),
    )

    def __init__(self, address: Address, user: UsmUser, context: bytes) -> None:
        self.address = address
        self.user = user
        self.context = context
        self.flags = user.flags
        self.engine_id = b""
        self.boots = self.time = 0
        self.learnt_at = 0.0
        self.keys: LocalizedKeys | None = None
        self.discovering: asyncio.Future[None] | None = None
        # msgFlags -> the message template for this engine and user (cleared on discovery)
        self.templates: dict[int, MessageTemplate] = {}

    def __repr__(self) -> str:
        return f"_V3Peer({self.address[0]}:{self.address[1]}, user={self.user.name!r})"

    def engine_time(self, now: float) -> int:
        """The agent's snmpEngineTime now, as estimated from when it was learnt."""
        return min(self.time + int(now - self.learnt_at), (1 << 31) - 1)

    def template(self, flags: int) -> MessageTemplate:
        """The template of this peer's messages at security level `flags` (reportable)."""
        template = self.templates.get(flags)
        if template is None:
            engine_id = self.engine_id
            template = self.templates[flags] = MessageTemplate(
                flags=flags | FLAG_REPORTABLE,
                engine_id=engine_id,
                user_name=self.user.name.encode() if engine_id else b"",
                keys=self.keys,
                context_engine_id=engine_id,
                context_name=self.context,
            )
        return template

    def learn(self, message: V3Message, now: float) -> None:
        """Take the engine's boots and time from a message (discovery or resync)."""
        self.boots, self.time, self.learnt_at = message.boots, message.time, now


class V3Step:
    """The SNMPv3 step for the walk driver, on the shared `UdpTransport`."""

    def __init__(self, transport: UdpTransport, keys: KeyCache | None = None) -> None:
        self.transport = transport
        self.keys = keys or KeyCache()  # owned here: one localisation per (user, engine)
        self._peers: dict[tuple[str, int, object], _V3Peer] = {}
        self._salt = transport.rng.getrandbits(64)

    async def request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Pdu:
        """Send one request and return the matching Response's PDU (or raise)."""
        creds = target.credentials
        peer = self._peers.get((target.address, target.port, creds)) or await self._peer(target)
        if not peer.engine_id:
            await self._discover(target, peer)
        for attempt in range(3):
            boots = peer.boots  # the answer may move it on (authenticated headers do)
            try:
                pdu, message = await self._send(
                    target, peer, pdu_type, raw_oids, max_repetitions, peer.flags
                )
            except _PrivSilence:
                raise await self._diagnose(target, peer) from None
            if pdu.pdu_type != REPORT:
                return pdu
            kind = report_kind(pdu)
            if kind == "notInTimeWindow" and attempt < 2 and message.flags & FLAG_AUTH:
                if message.boots != boots:
                    log.info(
                        "%s: agent %s restarted (engine boots %d -> %d); re-synchronised",
                        target.device, where(target), boots, message.boots,
                    )  # fmt: skip
                peer.learn(message, asyncio.get_running_loop().time())
                continue
            if kind == "unknownEngineID" and attempt < 2:
                await self._discover(target, peer)
                log.info(
                    "%s: agent %s has a new engine ID (unknownEngineID); discovered it again",
                    target.device, where(target),
                )  # fmt: skip
                continue
            text = REPORT_TEXTS.get(kind, f"agent sent a Report ({kind})")
            raise AuthError(target.device, f"{where(target)}: {text}")
        raise AssertionError("unreachable")

    def _send(
        self,
        target: SnmpTarget,
        peer: _V3Peer,
        pdu_type: int,
        raw_oids: list[bytes],
        max_repetitions: int,
        flags: int,
        *,
        tries: int | None = None,
        probing: bool = False,
    ) -> Coroutine[Any, Any, tuple[Pdu, V3Message]]:
        """The transport's coroutine for one request (a plain function: one coroutine frame
        less per request). Without `probing`, silence to authPriv raises `_PrivSilence`."""
        transport = self.transport
        loop = asyncio.get_running_loop()  # _send is called from a coroutine
        request_id = transport.request_id()
        pdu = request_pdu(pdu_type, request_id, raw_oids, 0, max_repetitions)
        engine_id = peer.engine_id
        template = peer.template(flags)

        def message() -> bytes:
            self._salt = salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
            return template.encode(request_id, peer.boots, peer.engine_time(loop.time()), pdu, salt)

        def accept(_data: bytes, header: Any) -> tuple[Pdu, V3Message]:
            if not isinstance(header, V3Message):
                raise MalformedMessage("a community message in answer to SNMPv3")
            level = header.flags & (FLAG_AUTH | FLAG_PRIV)
            keys = None
            if level & FLAG_AUTH:
                if header.engine_id != engine_id or peer.keys is None:
                    raise UsmError("unknownEngineID", "authenticated for another engine")
                keys = peer.keys
            answer = open_message(header, keys).pdu
            kind = answer.pdu_type
            if answer.request_id != request_id and kind != REPORT:
                raise MalformedMessage("PDU request-id differs from the msgID")
            if kind == RESPONSE and level != flags:
                raise UsmError("unsupportedSecLevel", "answer at another security level")
            if kind != RESPONSE and kind != REPORT:
                raise MalformedMessage("neither a Response nor a Report")
            if level & FLAG_AUTH and header.boots >= peer.boots:
                peer.learn(header, loop.time())  # authenticated: the agent's clock now
            return answer, header

        creds = target.credentials
        silence = None
        if not probing and flags & FLAG_PRIV:

            def silence() -> CollectError:
                return _PrivSilence(target.device, "")

        # An annotation, not typing.cast: cast's subscripted type was built on every request
        # (the annotation of a local is never evaluated).
        exchange: Coroutine[Any, Any, tuple[Pdu, V3Message]] = transport.exchange(
            target,
            peer.address,
            request_id,
            message,
            accept,
            tries=tries or creds.retries + 1,
            timeout_s=creds.timeout_s,
            silence=silence,
        )
        return exchange

    async def _diagnose(self, target: SnmpTarget, peer: _V3Peer) -> CollectError:
        """After silence to authPriv: does the agent answer the same user authNoPriv?"""
        try:
            pdu, message = await self._send(
                target, peer, GET, [_SYS_UPTIME], 0, FLAG_AUTH, tries=1, probing=True
            )
        except CollectError:
            return timeout_error(target)
        if pdu.pdu_type == RESPONSE or (
            message.flags & FLAG_AUTH and report_kind(pdu) == "unsupportedSecLevel"
        ):
            return AuthError(
                target.device,
                f"{where(target)}: agent answers authenticated requests but not encrypted "
                "ones — check snmp.priv_password and snmp.priv_protocol (aes256 vs aes256c)",
            )
        return timeout_error(target)

    async def _discover(self, target: SnmpTarget, peer: _V3Peer) -> None:
        """Learn the agent's engine ID, boots and time (once, however many polls wait)."""
        if peer.discovering is not None:
            await asyncio.shield(peer.discovering)
            if peer.engine_id:
                return
        loop = asyncio.get_running_loop()
        peer.discovering = done = loop.create_future()
        try:
            peer.engine_id = b""
            peer.templates.clear()
            pdu, message = await self._send(target, peer, GET, [], 0, 0, probing=True)
            if pdu.pdu_type != REPORT or not message.engine_id:
                raise AuthError(
                    target.device,
                    f"{where(target)}: agent did not reveal its engine ID on discovery",
                )
            peer.engine_id = message.engine_id
            peer.learn(message, loop.time())
            if peer.user.auth_protocol:
                peer.keys = self.keys.keys(peer.user, message.engine_id)
            peer.templates.clear()
        except CollectTimeout as exc:
            raise CollectTimeout(
                target.device, f"{exc.message} (SNMPv3 engine discovery)"
            ) from None
        finally:
            done.set_result(None)
            peer.discovering = None

    async def _peer(self, target: SnmpTarget) -> _V3Peer:
        creds = target.credentials
        key = (target.address, target.port, creds)
        peer = self._peers.get(key)
        if peer is None:
            if not creds.user:
                raise ConfigError("SNMPv3 needs a user", key="snmp.user")
            if creds.priv_protocol and not creds.auth_protocol:
                raise ConfigError("privacy needs authentication too", key="snmp.auth_protocol")
            user = UsmUser.from_credentials(creds)
            address = await self.transport.resolve(target)
            peer = _V3Peer(address, user, (creds.context or "").encode())
            self._peers[key] = peer
        return peer


class _PrivSilence(CollectError):
    """Internal: no answer to an authPriv request (diagnosed before anyone sees it)."""
