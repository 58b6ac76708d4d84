"""The trap receiver's SNMPv3 side: `TrapUsm`, the `V3Decoder` for `traps.v3_users`, on the
one USM (`collectors/snmp/usm.py`: keys, HMAC, ciphers, message encoding and parsing).

Who is the authoritative engine (RFC 3412 6.4, RFC 3414 2.5) decides everything:

- **A v3 trap**: its sender. Keys are localised to the trap's msgAuthoritativeEngineID (the
  user's `engine_id` when configured, which the trap must then carry; otherwise whatever
  engine it names). `usm.receive` checks the digest and decrypts; here the latest boots and
  time per sender engine are kept and a trap more than 150 s older than that is refused
  (a replay): `usm.receive` checks a time window only where lanpulse is authoritative.
- **A v3 inform**: lanpulse, as the `LocalEngine` (`snmp/engine_state.py`). An engine-ID
  discovery probe (empty engine ID, reportable) is answered with a usmStatsUnknownEngineIDs
  Report carrying lanpulse's engine ID, boots and time; an inform outside the time window with an
  authenticated usmStatsNotInTimeWindows Report (so the sender re-synchronises); other
  rejections of a reportable message with the matching usmStats Report; an accepted inform
  with a Response secured as the inform was.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lanpulse.collectors.snmp.codec import (
    COUNTER32,
    INFORM,
    REPORT,
    RESPONSE,
    MalformedMessage,
    encode_pdu,
)
from lanpulse.collectors.snmp.notification import from_pdu
from lanpulse.collectors.snmp.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    TIME_WINDOW_S,
    USM_STATS,
    KeyCache,
    LocalEngine,
    Opened,
    UsmError,
    UsmUser,
    V3Message,
    encode_message,
    open_message,
    parse_message,
    receive,
)
from lanpulse.collectors.traps import V3DecodeError, V3Notification

_ENGINES_MAX = 10_000  # sender engines whose boots/time are remembered
_COUNTER32 = 1 << 32


@dataclass(frozen=True, slots=True)
class V3User:
    """A user whose notifications are accepted; `engine_id` None: any sender's engine."""

    user: UsmUser
    engine_id: bytes | None = None

    @property
    def name(self) -> str:
        """The USM user name."""
        return self.user.name


@dataclass(slots=True)
class _EngineClock:
    boots: int
    time: int
    seen_at: float


class TrapUsm:
    """`V3Decoder` over the configured users and lanpulse's own engine; owns the key cache,
    the sender clocks and the usmStats counters (of messages to lanpulse's engine) that its
    Reports carry."""

    def __init__(
        self,
        users: Iterable[V3User],
        engine: LocalEngine,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = {u.name.encode(): u for u in users}
        self.engine = engine
        self.monotonic = monotonic
        self.keys = KeyCache()
        self.stats: dict[str, int] = dict.fromkeys(USM_STATS, 0)
        self._clocks: dict[bytes, _EngineClock] = {}
        self._salt = itertools.count(random.getrandbits(63))

    def __repr__(self) -> str:
        return f"TrapUsm(users={len(self.users)}, engine={self.engine.engine_id.hex()})"

    def decode(self, data: bytes) -> V3Notification:
        """Accept, answer or reject one v3 message (V3DecodeError with the reason)."""
        try:
            message = parse_message(data)
        except MalformedMessage as exc:
            raise V3DecodeError("malformed", f"malformed SNMPv3 message: {exc}") from None
        except UsmError as exc:
            raise V3DecodeError(exc.kind, str(exc)) from None
        try:
            if message.engine_id == self.engine.engine_id or not message.engine_id:
                return self._to_us(data, message)
            return self._trap(data, message)
        except MalformedMessage as exc:
            raise V3DecodeError("malformed", f"malformed SNMPv3 message: {exc}") from None

    def _trap(self, data: bytes, message: V3Message) -> V3Notification:
        """A notification whose sender is authoritative (a v3 trap)."""
        try:
            opened = receive(data, self._sender_user, self.keys)
        except UsmError as exc:
            raise V3DecodeError(exc.kind, str(exc)) from None
        if opened.pdu.pdu_type == INFORM:  # an inform names the receiver's engine
            raise self._reject(message, "unknownEngineID", "inform for another engine ID")
        if message.flags & FLAG_AUTH:
            self._check_sender_clock(message)
        return V3Notification(self._name(message), from_pdu(opened.pdu, 3))

    def _to_us(self, data: bytes, message: V3Message) -> V3Notification:
        """A message for lanpulse's engine: discovery probe, or an inform (or trap) to it."""
        if not message.engine_id:  # RFC 3414 4: discovery, answered with a Report
            probe = self._reject(message, "unknownEngineID", "engine ID discovery")
            if probe.reply is None:
                raise probe
            return V3Notification("", None, probe.reply)
        try:
            opened = receive(data, self._local_user, self.keys, self.engine)
        except UsmError as exc:
            raise self._reject(message, exc.kind, str(exc)) from None
        notification = from_pdu(opened.pdu, 3)
        reply = self._response(opened) if notification.inform else None
        return V3Notification(self._name(message), notification, reply)

    def _sender_user(self, name: bytes, engine_id: bytes) -> UsmUser | None:
        found = self.users.get(name)
        if found is None:
            return None
        if found.engine_id is not None and found.engine_id != engine_id:
            raise UsmError("unknownEngineID", f"engine ID {engine_id.hex()} is not the user's")
        return found.user

    def _local_user(self, name: bytes, _engine_id: bytes) -> UsmUser | None:
        found = self.users.get(name)
        return found.user if found is not None else None

    def _name(self, message: V3Message) -> str:
        return self.users[message.user_name].name

    def _check_sender_clock(self, message: V3Message) -> None:
        """Refuse a trap older than the latest seen from its engine by more than 150 s."""
        now = self.monotonic()
        engine_id, boots, engine_time = message.engine_id, message.boots, message.time
        clock = self._clocks.get(engine_id)
        if clock is not None:
            expected = clock.time + (now - clock.seen_at)
            if boots < clock.boots or (
                boots == clock.boots and engine_time < expected - TIME_WINDOW_S
            ):
                raise V3DecodeError("notInTimeWindow", "trap outside the time window (a replay?)")
            if boots == clock.boots and engine_time <= expected:
                return
        if len(self._clocks) >= _ENGINES_MAX:
            self._clocks.clear()
        self._clocks[engine_id] = _EngineClock(boots, engine_time, now)

    def _response(self, opened: Opened) -> bytes:
        """The Response to an accepted inform (RFC 3416 4.2.7), secured as the inform was."""
        message, pdu = opened.message, opened.pdu
        level = message.flags & (FLAG_AUTH | FLAG_PRIV)
        return self._encode(
            message,
            level,
            encode_pdu(RESPONSE, pdu.request_id, 0, 0, pdu.varbinds),
            opened.context_engine_id,
            opened.context_name,
        )

    def _reject(self, message: V3Message, kind: str, text: str) -> V3DecodeError:
        """The error for a rejected message to lanpulse's engine, with its Report if the
        sender asked for one (msgFlags reportable) and USM has a counter for `kind`."""
        error = V3DecodeError(kind, text)
        oid = USM_STATS.get(kind)
        if oid is None:
            return error
        count = self.stats[kind] = (self.stats[kind] + 1) % _COUNTER32
        if not message.flags & FLAG_REPORTABLE:
            return error
        # RFC 3414 3.2 7b: a notInTimeWindow Report is authenticated, so that the sender
        # may take lanpulse's boots and time from it; every other Report is noAuthNoPriv.
        level = FLAG_AUTH if kind == "notInTimeWindow" else 0
        request_id = _request_id(message) if not message.flags & FLAG_PRIV else 0
        report = encode_pdu(REPORT, request_id, 0, 0, [(oid, COUNTER32, count)])
        error.reply = self._encode(message, level, report, self.engine.engine_id, b"")
        return error

    def _encode(
        self, message: V3Message, level: int, pdu: bytes, context_engine: bytes, context: bytes
    ) -> bytes:
        keys = None
        if level:
            user = self.users[message.user_name].user
            keys = self.keys.keys(user, self.engine.engine_id)
        engine = self.engine
        return encode_message(
            msg_id=message.msg_id,
            flags=level,
            engine_id=engine.engine_id,
            boots=engine.boots,
            time=engine.time(),
            user_name=message.user_name,
            keys=keys,
            context_engine_id=context_engine,
            context_name=context,
            pdu=pdu,
            salt=next(self._salt),
        )


def _request_id(message: V3Message) -> int:
    """The request-id of an unencrypted message's PDU, read without checking its digest
    (RFC 3412 7.1 3: the Report echoes it); 0 when it cannot be read."""
    try:
        return open_message(message._replace(flags=message.flags & ~FLAG_AUTH), None).pdu.request_id
    except (MalformedMessage, UsmError):
        return 0
