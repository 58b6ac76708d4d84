"""SNMPv3 messages with the User-based Security Model (RFC 3412, RFC 3414), on `codec`.

The API, for the poller (`transport`) and the trap/inform receiver alike:

- `UsmUser(name, auth_protocol, auth_password, priv_protocol, priv_password)`: a user,
  protocols by lanpulse name (`sha256`, `aes256c`, ...; see `usm_crypto`), passwords as
  `Secret`. `KeyCache().keys(user, engine_id)` gives its `LocalizedKeys` for an
  authoritative engine, computed once per (user, engine ID) and cached by that object.
- `encode_message(...)` builds one v3 message around a PDU (from `codec.encode_pdu` or
  `codec.encode_request_pdu`): authenticated and encrypted as the keys say. A receiver that
  answers an inform is the authoritative engine: it passes its own `LocalEngine`'s
  engine ID, boots and `time()`, and the inform's msgID and user.
- `parse_message(data)` reads the header and security parameters without keys (to find the
  user name, engine ID and msgID); `open_message(message, keys)` then checks the digest,
  decrypts and decodes the scoped PDU. `receive(data, users, cache, local_engine)` does both
  for a receiver: `users(user_name, engine_id)` returns the `UsmUser` or None; with a
  `local_engine` (informs: lanpulse is authoritative) the time window is checked too.
- Everything that is wrong raises `codec.MalformedMessage` (not a v3 message) or
  `UsmError` whose `kind` is the RFC 3414 statistic it counts under (`unknownUserName`,
  `wrongDigest`, ...). Nothing else escapes, and no error text holds a key or password.

Reports from an agent: `report_kind(pdu)` names the usmStats/snmp counter a Report PDU
carries (`REPORT_TEXTS` has the one-line explanation for a poller's user).

(~450 lines: one wire format's two directions. `MessageTemplate` writes the header that
`_parse` reads, field for field, and both follow the same RFC 3412/3414 layout and bounds;
kept side by side so a change to one is seen against the other. The keys and ciphers are
already apart in `usm_crypto`.)
"""

from __future__ import annotations

import hmac
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from lanpulse.collectors.snmp.codec import (
    INTEGER,
    OCTET_STRING,
    SEQUENCE,
    VERSION_3,
    MalformedMessage,
    Pdu,
    decode_pdu,
    encode_length,
    encode_oid,
    integer,
    read_tlv,
    tlv,
)
from lanpulse.collectors.snmp.usm_crypto import KeyCache, LocalizedKeys, UsmUser

__all__ = [
    "REPORT_TEXTS",
    "USM_STATS",
    "KeyCache",
    "LocalEngine",
    "LocalizedKeys",
    "MessageTemplate",
    "Opened",
    "UsmError",
    "UsmUser",
    "V3Message",
    "encode_message",
    "open_message",
    "parse_message",
    "receive",
    "report_kind",
]

USM_SECURITY_MODEL = 3
MAX_MESSAGE_SIZE = 65507  # the largest UDP payload over IPv4
FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 1, 2, 4
TIME_WINDOW_S = 150  # RFC 3414 3.2.7

# RFC 3414 usmStats counters -> the OID (BER content) of the instance a Report carries.
USM_STATS: dict[str, bytes] = {
    name: encode_oid(f"1.3.6.1.6.3.15.1.1.{n}.0")
    for n, name in enumerate(
        (
            "unsupportedSecLevel",
            "notInTimeWindow",
            "unknownUserName",
            "unknownEngineID",
            "wrongDigest",
            "decryptionError",
        ),
        start=1,
    )
}
# Report varbinds (RFC 3414 usmStats, RFC 3412 snmp*) -> the counter's name.
_REPORT_OIDS: dict[bytes, str] = {oid: name for name, oid in USM_STATS.items()} | {
    encode_oid("1.3.6.1.6.3.11.2.1.1.0"): "unknownSecurityModel",
    encode_oid("1.3.6.1.6.3.11.2.1.2.0"): "invalidMsg",
    encode_oid("1.3.6.1.6.3.11.2.1.3.0"): "unknownPDUHandler",
    encode_oid("1.3.6.1.6.3.12.1.4.0"): "unavailableContext",
    encode_oid("1.3.6.1.6.3.12.1.5.0"): "unknownContext",
}

# One line per report: what the agent says, and which setting to check.
REPORT_TEXTS: dict[str, str] = {
    "unknownUserName": "agent reports unknown user (usmStatsUnknownUserNames) — check snmp.user",
    "wrongDigest": "agent reports wrong digest (usmStatsWrongDigests) "
    "— check snmp.auth_password and snmp.auth_protocol",
    "decryptionError": "agent reports decryption error (usmStatsDecryptionErrors) "
    "— check snmp.priv_password and snmp.priv_protocol",
    "unsupportedSecLevel": "agent reports unsupported security level "
    "(usmStatsUnsupportedSecLevels) — check snmp.auth_protocol / snmp.priv_protocol "
    "against the user's level on the agent",
    "notInTimeWindow": "agent reports the request outside its time window "
    "(usmStatsNotInTimeWindows) even after re-synchronising — its engine time or boots "
    "keep changing (restarting agent?)",
    "unknownEngineID": "agent reports unknown engine ID (usmStatsUnknownEngineIDs) even "
    "after discovery — another agent may answer at that address",
    "unknownSecurityModel": "agent does not support the USM security model",
    "invalidMsg": "agent reports an invalid message (snmpInvalidMsgs)",
    "unknownPDUHandler": "agent reports no handler for the request (snmpUnknownPDUHandlers)",
    "unavailableContext": "agent reports the context unavailable — check snmp.context",
    "unknownContext": "agent reports an unknown context (snmpUnknownContexts) — check snmp.context",
}


class UsmError(ValueError):
    """A v3 message USM rejects; `kind` is the RFC 3414 counter (e.g. `wrongDigest`)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass
class LocalEngine:
    """lanpulse as an authoritative SNMP engine (a receiver that answers informs)."""

    engine_id: bytes
    boots: int = 1
    started: float = field(default_factory=_time.monotonic)

    def time(self) -> int:
        """snmpEngineTime: whole seconds since this engine (re)started."""
        return int(_time.monotonic() - self.started)


class V3Message(NamedTuple):
    """A v3 message's header and security parameters, read without keys."""

    data: bytes
    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user_name: bytes
    auth_params: bytes
    auth_at: int  # where the auth parameters' content starts in `data`
    priv_params: bytes
    body_at: int  # where msgData starts in `data`


class Opened(NamedTuple):
    """A v3 message after authentication and decryption."""

    message: V3Message
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu


class MessageTemplate:
    """One sender's v3 messages for one engine and user, encoded once where they do not change.

    Between two requests to a peer only the msgID, engine boots and time, the salt, the
    digest and the (encrypted) scoped PDU differ; everything else — version, msgMaxSize,
    msgFlags, security model, engine ID, user name, the digest's zero placeholder, the
    context — is encoded here once, and `encode` joins the parts with their lengths (the
    HMAC runs over the parts, so no zeroed copy is made). Building a SHA/AES GET-10 request
    message (cipher and HMAC included) went from 125.5k to 95.1k instructions, 24 % (5 % of
    the whole v3 request; callgrind, benchmarks/snmp_callgrind.py), then from 96.7k to 86.8k
    with the heads joined once and no CFB `finalize` (`usm_crypto`).
    Owned by whoever sends (a poller's peer, a receiver's answer); `encode_message` is the
    one-off form.
    """

    __slots__ = (
        *("_context", "_encrypt", "_engine", "_global_tail", "_keys", "_mac_length"),
        "_user_auth",
    )

    def __init__(
        self,
        *,
        flags: int,
        engine_id: bytes,
        user_name: bytes,
        keys: LocalizedKeys | None,
        context_engine_id: bytes,
        context_name: bytes,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        if flags & FLAG_PRIV:
            assert keys is not None and keys.priv is not None and flags & FLAG_AUTH
        if flags & FLAG_AUTH:
            assert keys is not None and keys.auth is not None
        self._keys = keys if flags & (FLAG_AUTH | FLAG_PRIV) else None
        self._encrypt = bool(flags & FLAG_PRIV)  # the keys may have privacy unused here
        self._mac_length = keys.auth.mac_length if keys and keys.auth and flags & FLAG_AUTH else 0
        self._global_tail = (
            integer(max_size) + tlv(OCTET_STRING, bytes((flags,))) + integer(USM_SECURITY_MODEL)
        )
        self._engine = tlv(OCTET_STRING, engine_id)
        # userName, then msgAuthenticationParameters up to its content (zeros, or the digest)
        self._user_auth = tlv(OCTET_STRING, user_name) + bytes((OCTET_STRING, self._mac_length))
        self._context = tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name)

    def encode(self, msg_id: int, boots: int, time: int, pdu: bytes, salt: int = 0) -> bytes:
        """One message around `pdu`; `salt` must not repeat for the same keys."""
        # Each TLV head is its tag byte and `encode_length` (codec's one length rule), and
        # the pieces are joined once per part: ~7.8k instructions fewer per SHA/AES GET-10
        # message than a `_head(tag, length)` helper and pairwise `+` (callgrind).
        keys = self._keys
        context = self._context
        scoped = b"".join((_SEQUENCE, encode_length(len(context) + len(pdu)), context, pdu))
        if keys is not None and self._encrypt:
            cipher, priv_params = keys.encrypt(scoped, boots, time, salt)
            # msgPrivacyParameters (8 bytes for DES and AES alike), then the encrypted PDU
            rest = b"".join((b"\x04\x08", priv_params, _OCTETS, encode_length(len(cipher)), cipher))
            priv_length = 10
        else:
            rest, priv_length = b"\x04\x00" + scoped, 2
        mac_length = self._mac_length
        # The security parameters up to the digest's content; the digest (or nothing) and
        # `rest` (msgPrivacyParameters and msgData) follow.
        security = b"".join((self._engine, _unsigned(boots), _unsigned(time), self._user_auth))
        security_length = len(security) + mac_length + priv_length
        sequence = encode_length(security_length)  # after its SEQUENCE tag
        octets = encode_length(1 + len(sequence) + security_length)  # after its tag
        global_data = _unsigned(msg_id) + self._global_tail
        global_length = encode_length(len(global_data))
        # version (3 bytes), msgGlobalData, msgSecurityParameters, msgData (and three tags)
        length = 6 + len(global_length) + len(global_data) + len(octets) + len(sequence)
        length += len(security) + mac_length + len(rest)
        message = (_SEQUENCE, encode_length(length), _VERSION, _SEQUENCE, global_length)
        head = b"".join((*message, global_data, _OCTETS, octets, _SEQUENCE, sequence, security))
        if keys is None or not mac_length:
            return head + rest
        return b"".join((head, keys.digest(head, rest), rest))


def encode_message(
    *,
    msg_id: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    time: int,
    user_name: bytes,
    keys: LocalizedKeys | None,
    context_engine_id: bytes,
    context_name: bytes,
    pdu: bytes,
    salt: int = 0,
    max_size: int = MAX_MESSAGE_SIZE,
) -> bytes:
    """One v3 message; `flags` auth/priv bits need `keys`; `salt` must not repeat per key."""
    template = MessageTemplate(
        flags=flags,
        engine_id=engine_id,
        user_name=user_name,
        keys=keys,
        context_engine_id=context_engine_id,
        context_name=context_name,
        max_size=max_size,
    )
    return template.encode(msg_id, boots, time, pdu, salt)


_VERSION = integer(VERSION_3)
_SEQUENCE, _OCTETS = bytes((SEQUENCE,)), bytes((OCTET_STRING,))  # the tags of a TLV head


def _unsigned(value: int) -> bytes:
    """A non-negative INTEGER of the header (msgID, boots, time)."""
    if value < 0x80:  # boots, mostly: one content byte, no to_bytes call
        return bytes((INTEGER, 1, value))
    n = value.bit_length() // 8 + 1
    return bytes((INTEGER, n)) + value.to_bytes(n, "big")


def parse_message(data: bytes) -> V3Message:
    """The header and security parameters of a v3 message (MalformedMessage if it is not)."""
    try:
        return _parse(data)
    except IndexError:
        raise MalformedMessage("truncated message") from None


def _parse(data: bytes) -> V3Message:
    # The message and msgSecurityParameters go through read_tlv, which takes long lengths;
    # msgGlobalData's length and the fields' are short whenever they are valid (RFC
    # 3412/3414 bound them), so they are read inline, bounds checked by the wrapper's end.
    # IndexError (a field running off the datagram) becomes MalformedMessage above.
    total = len(data)
    start, end = read_tlv(data, 0, total, SEQUENCE)
    if end != total:
        raise MalformedMessage("message length does not match the datagram")
    if data[start : start + 3] != b"\x02\x01\x03":
        raise MalformedMessage("not an SNMPv3 message")
    # msgGlobalData holds four short fields, at most 18 bytes: its length is one byte.
    g = start + 3
    if data[g] != SEQUENCE or data[g + 1] > 18:
        raise MalformedMessage("bad msgGlobalData")
    g, g_end = g + 2, g + 2 + data[g + 1]
    msg_id, g = _unsigned_at(data, g)
    max_size, g = _unsigned_at(data, g)
    if data[g] != OCTET_STRING or data[g + 1] != 1:
        raise MalformedMessage("msgFlags is not one byte")
    flags = data[g + 2]
    model, g = _unsigned_at(data, g + 3)
    if g != g_end or max_size < 484:
        raise MalformedMessage("bad msgGlobalData")
    if model != USM_SECURITY_MODEL:
        raise UsmError("unknownSecurityModel", f"security model {model} is not USM")
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise MalformedMessage("msgFlags: privacy without authentication")
    s, body_at = read_tlv(data, g_end, end, OCTET_STRING)
    s, s_end = read_tlv(data, s, body_at, SEQUENCE)
    if s_end != body_at or body_at >= end:
        raise MalformedMessage("bad security parameters")
    e, e_end = _short_octets(data, s, 32, "msgAuthoritativeEngineID")
    boots, j = _unsigned_at(data, e_end)
    engine_time, j = _unsigned_at(data, j)
    u, u_end = _short_octets(data, j, 32, "msgUserName")
    a, a_end = _short_octets(data, u_end, 48, "msgAuthenticationParameters")
    p, p_end = _short_octets(data, a_end, 8, "msgPrivacyParameters")
    if p_end != s_end:
        raise MalformedMessage("bad security parameters")
    return V3Message(
        data, msg_id, max_size, flags, data[e:e_end], boots, engine_time, data[u:u_end],
        data[a:a_end], a, data[p:p_end], body_at,
    )  # fmt: skip


_from_bytes = int.from_bytes  # bound once: ~0.5k instructions less per header INTEGER


def _unsigned_at(data: bytes, i: int) -> tuple[int, int]:
    """A header INTEGER at data[i] (msgID, msgMaxSize, boots, time, security model: all
    0..2^31-1, so at most 4 bytes, never negative): (value, index after it)."""
    n = data[i + 1]
    if data[i] != INTEGER or not 0 < n <= 4 or data[i + 2] & 0x80:
        raise MalformedMessage("bad header INTEGER")
    if n == 1:  # the security model, and boots: no slice and call for one byte
        return data[i + 2], i + 3
    i += 2 + n
    return _from_bytes(data[i - n : i], "big"), i


def _short_octets(data: bytes, i: int, limit: int, name: str) -> tuple[int, int]:
    """The content (start, end) of a header OCTET STRING at data[i] of at most `limit` bytes
    (engine IDs, user and context names: 32; digests: 48; privacy parameters: 8)."""
    n = data[i + 1]
    if data[i] != OCTET_STRING or n > limit:
        raise MalformedMessage(f"bad {name}")
    return i + 2, i + 2 + n


def open_message(message: V3Message, keys: LocalizedKeys | None) -> Opened:
    """Check the digest, decrypt and decode the scoped PDU (UsmError / MalformedMessage)."""
    data, flags = message.data, message.flags
    if flags & FLAG_AUTH:
        if keys is None or keys.auth is None:
            raise UsmError("unsupportedSecLevel", "authenticated message for a noAuth user")
        mac_length = keys.auth.mac_length
        at = message.auth_at
        if len(message.auth_params) != mac_length:
            raise UsmError("wrongDigest", "authentication parameters of the wrong length")
        digest = keys.digest(data[:at], data[at + mac_length :])
        if not hmac.compare_digest(digest, message.auth_params):
            raise UsmError("wrongDigest", "message failed authentication")
    if flags & FLAG_PRIV:
        assert keys is not None
        if keys.priv is None:
            raise UsmError("unsupportedSecLevel", "encrypted message for a noPriv user")
        c, c_end = read_tlv(data, message.body_at, len(data), OCTET_STRING)
        if c_end != len(data):
            raise MalformedMessage("encrypted PDU length mismatch")
        try:
            plain = keys.decrypt(data[c:], message.priv_params, message.boots, message.time)
        except ValueError:
            raise UsmError("decryptionError", "encrypted PDU cannot be decrypted") from None
        try:
            return _scoped(message, plain, 0, len(plain), padded=True)
        except MalformedMessage:
            raise UsmError("decryptionError", "decrypted PDU is not valid BER") from None
    return _scoped(message, data, message.body_at, len(data), padded=False)


def receive(
    data: bytes,
    users: Callable[[bytes, bytes], UsmUser | None],
    cache: KeyCache,
    local_engine: LocalEngine | None = None,
) -> Opened:
    """A receiver's whole check of one incoming v3 message (see the module docstring)."""
    message = parse_message(data)
    user = users(message.user_name, message.engine_id)
    if user is None:
        raise UsmError("unknownUserName", "unknown user name")
    if message.flags & (FLAG_AUTH | FLAG_PRIV) != user.flags:
        raise UsmError("unsupportedSecLevel", "security level does not match the user's")
    try:
        keys = cache.keys(user, message.engine_id) if user.auth_protocol else None
    except ValueError:
        raise UsmError("unsupportedSecLevel", "the user's protocols are not supported") from None
    opened = open_message(message, keys)
    if local_engine is not None and user.auth_protocol:
        if message.engine_id != local_engine.engine_id:
            raise UsmError("unknownEngineID", "message for another authoritative engine")
        if (
            message.boots != local_engine.boots
            or abs(message.time - local_engine.time()) > TIME_WINDOW_S
        ):
            raise UsmError("notInTimeWindow", "message outside the time window")
    return opened


def report_kind(pdu: Pdu) -> str:
    """The counter a Report PDU carries (`wrongDigest`, ...), or `report` if unknown."""
    for raw, _tag, _value in pdu.varbinds:
        kind = _REPORT_OIDS.get(raw)
        if kind is not None:
            return kind
    return "report"


def _scoped(message: V3Message, data: bytes, i: int, end: int, *, padded: bool) -> Opened:
    s, s_end = read_tlv(data, i, end, SEQUENCE)
    if s_end != end and not (padded and end - s_end < 16):
        raise MalformedMessage("scoped PDU length does not match")  # DES pads to 8 bytes
    # contextEngineID and contextName: SnmpAdminString / SnmpEngineID, at most 32 bytes
    try:
        e, e_end = _short_octets(data, s, 32, "contextEngineID")
        n, n_end = _short_octets(data, e_end, 32, "contextName")
    except IndexError:
        raise MalformedMessage("truncated scoped PDU") from None
    if n_end > s_end:
        raise MalformedMessage("truncated scoped PDU")
    pdu = decode_pdu(data, n_end, s_end)
    return Opened(message, data[e:e_end], data[n:n_end], pdu)
