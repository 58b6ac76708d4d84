"""SNMPv3 USM for received traps (RFC 3412 message, RFC 3414 USM, RFC 3826 AES, RFC 7860
SHA-2): the `V3Decoder` the trap receiver uses for `traps.v3_users`.

The sender of a trap is the authoritative engine: its keys are localised to its own
snmpEngineID (the user's `engine_id`; when none is configured, to whatever engine ID the
trap names, the key computed once per engine and cached). The receiver checks the HMAC,
decrypts (DES-CBC, AES-128/192/256-CFB with the Blumenthal or the Reeder/Cisco key
extension), keeps the latest boots/time per engine and refuses a trap outside the 150 s
window (a replay), then decodes the scoped PDU with the v2c notification decoder.

Informs are not accepted over v3 yet: the receiver would be the authoritative engine (engine
ID discovery by Report, then a secured Response), which needs a USM *encoder*; they are
rejected as `unsupported` and counted.

TODO(lead): the key localisation, HMAC and ciphers below are the receiving half of what
`collectors/snmp/usm.py` implements for the client; fold them into it when it lands.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# CFB (RFC 3826) and single DES (RFC 3414 8) live among cryptography's "decrepit" ciphers.
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from lanpulse.collectors.snmp_ber import INTEGER, OCTET_STRING, SEQUENCE, _tlv
from lanpulse.collectors.trap_codec import (
    INFORM,
    MalformedTrap,
    _tlv_at,
    _unsigned,
    decode_notification,
)
from lanpulse.collectors.traps import V3DecodeError, V3Notification
from lanpulse.core.model import SnmpCredentials

USM_SECURITY_MODEL = 3
FLAG_AUTH, FLAG_PRIV = 0x01, 0x02
TIME_WINDOW_S = 150  # RFC 3414 3.2 step 7b
_INT32_MAX = 2147483647
_ENGINES_MAX = 10_000  # engines whose boots/time (and keys) are remembered

# auth protocol -> (hash, length of msgAuthenticationParameters): RFC 3414, RFC 7860
_AUTH: dict[str, tuple[str, int]] = {
    "md5": ("md5", 12),
    "sha": ("sha1", 12),
    "sha224": ("sha224", 16),
    "sha256": ("sha256", 24),
    "sha384": ("sha384", 32),
    "sha512": ("sha512", 48),
}
# priv protocol -> (key bytes, key extension): "blumenthal" (draft-blumenthal-aes-usm-04,
# net-snmp AES192/AES256), "reeder" (draft-reeder-snmpv3-usm-3desede, Cisco, AES192C/256C)
_PRIV: dict[str, tuple[int, str]] = {
    "des": (16, "none"),  # 8 bytes key + 8 bytes pre-IV
    "aes": (16, "none"),
    "aes192": (24, "blumenthal"),
    "aes256": (32, "blumenthal"),
    "aes192c": (24, "reeder"),
    "aes256c": (32, "reeder"),
}


@lru_cache(maxsize=256)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: the hash of the password repeated over 1 MiB (computed once)."""
    repeated = password * (1048576 // len(password) + 1)
    return hashlib.new(hash_name, repeated[:1048576]).digest()


def localize(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: Kul = H(Ku || engineID || Ku)."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


def priv_key(password: bytes, engine_id: bytes, hash_name: str, priv: str) -> bytes:
    """The localised privacy key, extended to the cipher's length as `priv` says."""
    size, extension = _PRIV[priv]
    key = localize(password_to_key(password, hash_name), engine_id, hash_name)
    while len(key) < size:
        if extension == "blumenthal":
            key += hashlib.new(hash_name, key).digest()
        else:  # reeder: the localised key of the key itself, taken as a password
            key += localize(password_to_key(key, hash_name), engine_id, hash_name)
    return key[:size]


@dataclass(frozen=True, slots=True)
class V3User:
    """A user whose traps are accepted; `engine_id` None: any sender's engine."""

    credentials: SnmpCredentials
    engine_id: bytes | None = None

    @property
    def name(self) -> str:
        """The USM user name."""
        return self.credentials.user or ""


@dataclass(frozen=True, slots=True)
class _Keys:
    auth: bytes | None
    priv: bytes | None


@dataclass(slots=True)
class _EngineClock:
    boots: int
    time: int
    seen_at: float


class UsmTrapDecoder:
    """`V3Decoder` over the configured users; keys cached per (user, engine ID)."""

    def __init__(
        self, users: Iterable[V3User], monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.users = {u.name.encode(): u for u in users}
        self.monotonic = monotonic
        self._keys: dict[tuple[bytes, bytes], _Keys] = {}
        self._clocks: dict[bytes, _EngineClock] = {}

    def __repr__(self) -> str:
        return f"UsmTrapDecoder(users={len(self.users)})"

    def decode(self, data: bytes) -> V3Notification:
        """Authenticate, decrypt and decode one v3 trap; V3DecodeError otherwise."""
        try:
            return self._decode(data)
        except IndexError:
            raise V3DecodeError("malformed", "truncated SNMPv3 message") from None
        except MalformedTrap as exc:
            raise V3DecodeError("malformed", f"malformed SNMPv3 message: {exc}") from None

    def _decode(self, data: bytes) -> V3Notification:
        msg = _parse(data)
        if not msg.engine_id:
            raise V3DecodeError(
                "unknown_engine_id", "engine ID discovery (a v3 inform) is not supported yet"
            )
        found = self.users.get(msg.user_name)
        if found is None:
            raise V3DecodeError("unknown_user", f"unknown user {msg.user_name!r}")
        if found.engine_id is not None and msg.engine_id != found.engine_id:
            raise V3DecodeError(
                "unknown_engine_id", f"engine ID {msg.engine_id.hex()} is not {found.name}'s"
            )
        user = found.credentials
        wants_auth, wants_priv = user.auth_protocol is not None, user.priv_protocol is not None
        if bool(msg.flags & FLAG_AUTH) != wants_auth or bool(msg.flags & FLAG_PRIV) != wants_priv:
            raise V3DecodeError("unsupported_sec_level", f"not the security level of {found.name}")
        keys = self._keys_for(found.name, user, msg.engine_id)
        scoped = data[msg.data_at :]
        if keys.auth is not None and user.auth_protocol is not None:
            hash_name, mac_len = _AUTH[user.auth_protocol]
            a_start, a_end = msg.auth_at
            if a_end - a_start != mac_len:
                raise V3DecodeError("wrong_digest", "authentication parameters of a wrong length")
            zeroed = data[:a_start] + bytes(mac_len) + data[a_end:]
            digest = hmac.new(keys.auth, zeroed, hash_name).digest()[:mac_len]
            if not hmac.compare_digest(digest, data[a_start:a_end]):
                raise V3DecodeError("wrong_digest", f"wrong digest for user {found.name}")
            self._check_window(msg.engine_id, msg.boots, msg.time)
        if keys.priv is not None and user.priv_protocol is not None:
            c_start, c_end = _tlv_at(data, msg.data_at, OCTET_STRING, "encryptedPDU")
            ciphertext = data[c_start:c_end]
            scoped = _decrypt(user.priv_protocol, keys.priv, msg, ciphertext)
        pdu = _scoped_pdu(scoped)
        if pdu[0] == INFORM:
            raise V3DecodeError("unsupported", "SNMPv3 informs are not supported yet")
        # The PDU in a v2c message without a community: the one notification decoder.
        notification = decode_notification(_tlv(SEQUENCE, b"\x02\x01\x01\x04\x00" + pdu))
        return V3Notification(found.name, notification._replace(community=b""))

    def _keys_for(self, name: str, user: SnmpCredentials, engine_id: bytes) -> _Keys:
        cached = self._keys.get((name.encode(), engine_id))
        if cached is not None:
            return cached
        auth = priv = None
        if user.auth_protocol is not None:
            hash_name = _AUTH[user.auth_protocol][0]
            assert user.auth_password is not None
            ku = password_to_key(user.auth_password.reveal().encode(), hash_name)
            auth = localize(ku, engine_id, hash_name)
            if user.priv_protocol is not None:
                assert user.priv_password is not None
                secret = user.priv_password.reveal().encode()
                priv = priv_key(secret, engine_id, hash_name, user.priv_protocol)
        if len(self._keys) >= _ENGINES_MAX:
            self._keys.clear()
        keys = self._keys[(name.encode(), engine_id)] = _Keys(auth, priv)
        return keys

    def _check_window(self, engine_id: bytes, boots: int, engine_time: int) -> None:
        """Refuse a trap older than the latest seen from the engine by more than 150 s."""
        now = self.monotonic()
        clock = self._clocks.get(engine_id)
        if clock is not None:
            expected = clock.time + (now - clock.seen_at)
            if boots < clock.boots or (
                boots == clock.boots and engine_time < expected - TIME_WINDOW_S
            ):
                raise V3DecodeError(
                    "not_in_time_window", "trap outside the time window (a replay?)"
                )
            if boots == clock.boots and engine_time <= expected:
                return
        if len(self._clocks) >= _ENGINES_MAX:
            self._clocks.clear()
        self._clocks[engine_id] = _EngineClock(boots, engine_time, now)


class _Message(NamedTuple):
    """What the receiver needs of a v3 message's header and security parameters."""

    flags: int
    engine_id: bytes
    boots: int
    time: int
    user_name: bytes
    auth_at: tuple[int, int]  # bounds of msgAuthenticationParameters in the datagram
    salt: bytes  # msgPrivacyParameters
    data_at: int  # where msgData starts


def _parse(data: bytes) -> _Message:
    """RFC 3412 6 / RFC 3414 2.4: the header and USM parameters, strictly."""
    start, end = _tlv_at(data, 0, SEQUENCE, "a SEQUENCE")
    if end != len(data):
        raise MalformedTrap("message length does not match the datagram")
    _, i = _tlv_at(data, start, INTEGER, "version")
    g_start, g_end = _tlv_at(data, i, SEQUENCE, "msgGlobalData")
    _, i = _tlv_at(data, g_start, INTEGER, "msgID")
    _, i = _tlv_at(data, i, INTEGER, "msgMaxSize")
    f_start, f_end = _tlv_at(data, i, OCTET_STRING, "msgFlags")
    m_start, m_end = _tlv_at(data, f_end, INTEGER, "msgSecurityModel")
    if f_end - f_start != 1 or m_end != g_end:
        raise MalformedTrap("bad msgGlobalData")
    if _unsigned(data, m_start, m_end, "msgSecurityModel") != USM_SECURITY_MODEL:
        raise V3DecodeError("unsupported", "security model is not USM")
    s_start, s_end = _tlv_at(data, g_end, OCTET_STRING, "msgSecurityParameters")
    u_start, _ = _tlv_at(data, s_start, SEQUENCE, "UsmSecurityParameters")
    e_start, e_end = _tlv_at(data, u_start, OCTET_STRING, "msgAuthoritativeEngineID")
    b_start, b_end = _tlv_at(data, e_end, INTEGER, "msgAuthoritativeEngineBoots")
    t_start, t_end = _tlv_at(data, b_end, INTEGER, "msgAuthoritativeEngineTime")
    n_start, n_end = _tlv_at(data, t_end, OCTET_STRING, "msgUserName")
    a_start, a_end = _tlv_at(data, n_end, OCTET_STRING, "msgAuthenticationParameters")
    p_start, p_end = _tlv_at(data, a_end, OCTET_STRING, "msgPrivacyParameters")
    if p_end != s_end:
        raise MalformedTrap("bad msgSecurityParameters")
    boots = _unsigned(data, b_start, b_end, "msgAuthoritativeEngineBoots")
    engine_time = _unsigned(data, t_start, t_end, "msgAuthoritativeEngineTime")
    if boots > _INT32_MAX or engine_time > _INT32_MAX:
        raise MalformedTrap("engine boots or time above 2147483647")
    return _Message(
        flags=data[f_start],
        engine_id=data[e_start:e_end],
        boots=boots,
        time=engine_time,
        user_name=data[n_start:n_end],
        auth_at=(a_start, a_end),
        salt=data[p_start:p_end],
        data_at=s_end,
    )


def _decrypt(protocol: str, key: bytes, msg: _Message, data: bytes) -> bytes:
    salt = msg.salt
    if len(salt) != 8:
        raise V3DecodeError("decryption_error", "privacy parameters are not 8 bytes")
    if protocol == "des":
        if len(data) % 8:
            raise V3DecodeError("decryption_error", "DES ciphertext is not a multiple of 8")
        iv = bytes(a ^ b for a, b in zip(key[8:16], salt, strict=True))
        # single DES is 3DES with one key three times (K1 = K2 = K3)
        decryptor = Cipher(TripleDES(key[:8] * 3), modes.CBC(iv)).decryptor()
    else:
        iv = msg.boots.to_bytes(4, "big") + msg.time.to_bytes(4, "big") + salt
        decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _scoped_pdu(scoped: bytes) -> bytes:
    """The PDU inside a ScopedPDU (trailing DES padding ignored)."""
    try:
        start, end = _tlv_at(scoped, 0, SEQUENCE, "ScopedPDU")
        _, i = _tlv_at(scoped, start, OCTET_STRING, "contextEngineID")
        _, i = _tlv_at(scoped, i, OCTET_STRING, "contextName")
        pdu_start = i
        _, pdu_end = _tlv_at(scoped, i, scoped[i], "PDU")
    except (MalformedTrap, IndexError):
        raise V3DecodeError("decryption_error", "no ScopedPDU after decryption") from None
    if pdu_end > end:
        raise V3DecodeError("decryption_error", "no ScopedPDU after decryption")
    return scoped[pdu_start:pdu_end]
