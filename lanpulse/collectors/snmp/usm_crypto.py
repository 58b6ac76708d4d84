"""USM keys and ciphers: password-to-key localisation, HMAC digests, DES/AES privacy.

RFC 3414 (keys, HMAC-MD5/SHA-96, DES-CBC), RFC 7860 (HMAC-SHA-2, truncated), RFC 3826
(AES-128-CFB) and the two AES-192/256 key extensions vendors use: Blumenthal
(draft-blumenthal-aes-usm-04; net-snmp `AES-256`, lanpulse `aes256`) and Reeder
(draft-reeder-snmpv3-usm-3desede; net-snmp `AES-256-C`, Cisco, lanpulse `aes256c`).
Ciphers come from `cryptography`, hashes from the standard library's `hashlib` (HMAC is
RFC 2104's two keyed hash states, checked against `hmac` in the tests); no cipher is
hand-rolled.

Keys never appear in `repr`, logs or errors: `LocalizedKeys` hides them, and `KeyCache`
(one per client or receiver, it owns the cache) is the only place that derives them.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

# The cipher-context constructors under `Cipher` (see `_encryption_context` below).
from cryptography.hazmat.bindings._rust import openssl as rust_openssl

# cryptography >= 43 keeps DES (TripleDES with K1 = K2 = K3) and CFB among "decrepit" ciphers.
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import CipherAlgorithm, algorithms, modes

from lanpulse.core.model import Secret, SnmpCredentials


@dataclass(frozen=True, slots=True)
class AuthProtocol:
    """An HMAC authentication protocol: hash name and the MAC length sent on the wire."""

    name: str
    hash_name: str
    mac_length: int


@dataclass(frozen=True, slots=True)
class PrivProtocol:
    """A privacy protocol: cipher family, key length and how a short key is extended."""

    name: str
    cipher: str  # "des" or "aes"
    key_length: int
    extension: str = ""  # "", "blumenthal" or "reeder"


AUTH_PROTOCOLS: dict[str, AuthProtocol] = {
    p.name: p
    for p in (
        AuthProtocol("md5", "md5", 12),
        AuthProtocol("sha", "sha1", 12),
        AuthProtocol("sha224", "sha224", 16),
        AuthProtocol("sha256", "sha256", 24),
        AuthProtocol("sha384", "sha384", 32),
        AuthProtocol("sha512", "sha512", 48),
    )
}
# 3des is not here: it goes to the pysnmp engine (see docs/snmp.md, "snmp.engine").
PRIV_PROTOCOLS: dict[str, PrivProtocol] = {
    p.name: p
    for p in (
        PrivProtocol("des", "des", 16),
        PrivProtocol("aes", "aes", 16),
        PrivProtocol("aes192", "aes", 24, "blumenthal"),
        PrivProtocol("aes256", "aes", 32, "blumenthal"),
        PrivProtocol("aes192c", "aes", 24, "reeder"),
        PrivProtocol("aes256c", "aes", 32, "reeder"),
    )
}

# Cipher contexts come from the constructors that `Cipher(algorithm, mode).encryptor()` and
# `.decryptor()` end in. `Cipher` itself only checks the algorithm's and mode's types and the
# IV's length (five abstract-class `isinstance` calls, 16.2k instructions per context), and
# this module builds both of fixed types with a 16- or 8-byte IV, so the checks cannot fail
# here. Two contexts per request: 32k of a 552k-instruction SHA/AES GET-10, 5.8 %
# (callgrind, benchmarks/snmp_callgrind.py). A private name of `cryptography` (pinned
# `<52` in pyproject.toml): tests/test_usm_crypto_cfb.py checks every cipher against the
# public `Cipher` API, so a release that moves it fails there first.
_encryption_context = rust_openssl.ciphers.create_encryption_ctx
_decryption_context = rust_openssl.ciphers.create_decryption_ctx

_MEGABYTE = 1 << 20
_AES_IV = struct.Struct(">IIQ")  # engine boots, engine time, salt (RFC 3826 3.1.2.1)
_BOOTS_TIME = struct.Struct(">II")


def password_key(password: bytes, hash_name: str) -> bytes:
    """Ku: the hash of the password repeated to 1 MiB (RFC 3414 A.2)."""
    if not password:
        raise ValueError("empty password")
    repeated = password * (_MEGABYTE // len(password) + 1)
    return hashlib.new(hash_name, repeated[:_MEGABYTE]).digest()


def localize(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 2.6)."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


def privacy_key(password_ku: bytes, engine_id: bytes, hash_name: str, priv: PrivProtocol) -> bytes:
    """The localised privacy key of `priv.key_length` bytes, extended as `priv` says."""
    key = localize(password_ku, engine_id, hash_name)
    while len(key) < priv.key_length:
        if priv.extension == "reeder":
            key += localize(password_key(key, hash_name), engine_id, hash_name)
        else:  # Blumenthal: append the hash of the key so far
            key += hashlib.new(hash_name, key).digest()
    return key[: priv.key_length]


def _hmac_states(key: bytes, hash_name: str) -> tuple[Any, Any]:
    """The inner and outer hash states of HMAC-`hash_name` keyed with `key` (RFC 2104 2)."""
    block = hashlib.new(hash_name).block_size
    if len(key) > block:  # never for a localised key (one digest long), but HMAC says so
        key = hashlib.new(hash_name, key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.new(hash_name, bytes(b ^ 0x36 for b in key))
    outer = hashlib.new(hash_name, bytes(b ^ 0x5C for b in key))
    return inner, outer


@dataclass(frozen=True, slots=True)
class UsmUser:
    """An SNMPv3 user as lanpulse knows it; passwords stay `Secret`s."""

    name: str
    auth_protocol: str | None = None
    auth_password: Secret | None = None
    priv_protocol: str | None = None
    priv_password: Secret | None = None

    @classmethod
    def from_credentials(cls, creds: SnmpCredentials) -> UsmUser:
        """The USM user of v3 credentials (from `snmp:` or `traps.v3_users`)."""
        return cls(
            creds.user or "",
            creds.auth_protocol,
            creds.auth_password,
            creds.priv_protocol,
            creds.priv_password,
        )

    @property
    def flags(self) -> int:
        """msgFlags' auth (1) and priv (2) bits for this user's security level."""
        return (1 if self.auth_protocol else 0) | (2 if self.priv_protocol else 0)


@dataclass(frozen=True, slots=True)
class LocalizedKeys:
    """One user's keys for one authoritative engine. Never shown (repr hides them)."""

    auth: AuthProtocol | None
    priv: PrivProtocol | None
    auth_key: bytes = field(repr=False)
    priv_key: bytes = field(repr=False)
    # HMAC (RFC 2104) as two hash states keyed once: the inner one has absorbed
    # key ^ ipad, the outer one key ^ opad; each message copies them. Per message that is
    # 25 % fewer instructions than copying a keyed `hmac.HMAC` (whose copy and digest go
    # through Python wrappers): 16.4k against 21.9k (callgrind, SHA-1, a 200-byte message;
    # two per request).
    _inner: Any = field(default=None, repr=False, compare=False)
    _zeros: bytes = field(default=b"", repr=False, compare=False)  # mac_length zero bytes
    _outer: Any = field(default=None, repr=False, compare=False)
    _algorithm: CipherAlgorithm | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.auth is not None:
            inner, outer = _hmac_states(self.auth_key, self.auth.hash_name)
            object.__setattr__(self, "_inner", inner)
            object.__setattr__(self, "_outer", outer)
            object.__setattr__(self, "_zeros", bytes(self.auth.mac_length))
        if self.priv is not None:
            algorithm = (
                TripleDES(self.priv_key[:8] * 3)
                if self.priv.cipher == "des"
                else algorithms.AES(self.priv_key)
            )
            object.__setattr__(self, "_algorithm", algorithm)

    def digest(self, head: bytes, tail: bytes) -> bytes:
        """The truncated HMAC of a whole message given as the bytes before its
        authentication parameters and the bytes after them: those parameters are hashed as
        zeros (RFC 3414 6.3.1), so nobody makes a zeroed copy of the message."""
        zeros = self._zeros
        inner = self._inner.copy()
        inner.update(head)
        inner.update(zeros)
        inner.update(tail)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: len(zeros)]

    def encrypt(self, plain: bytes, boots: int, time: int, salt: int) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters: 8 bytes) for a scoped PDU; `salt` is a fresh
        counter."""
        algorithm = self._algorithm
        assert self.priv is not None and algorithm is not None
        if self.priv.cipher == "des":
            params = boots.to_bytes(4, "big") + (salt & 0xFFFFFFFF).to_bytes(4, "big")
            iv = bytes(a ^ b for a, b in zip(self.priv_key[8:16], params, strict=True))
            padded = plain + b"\x00" * (-len(plain) % 8)
            enc = _encryption_context(algorithm, modes.CBC(iv))
            return enc.update(padded) + enc.finalize(), params
        # RFC 3826 3.1.2.1: IV = boots | time | salt (the salt is msgPrivacyParameters).
        # CFB is a stream mode: `update` returns every byte at once and `finalize` only
        # b"" (cryptography's CipherContext.update docs; test_aes_cfb_update_is_whole), so
        # it is not called: 2.1k instructions less per context (callgrind), two per request.
        iv = _AES_IV.pack(boots, time, salt & 0xFFFFFFFFFFFFFFFF)
        return _encryption_context(algorithm, CFB(iv)).update(plain), iv[8:]

    def decrypt(self, cipher: bytes, params: bytes, boots: int, time: int) -> bytes:
        """The plaintext of an encrypted scoped PDU; ValueError if it cannot be."""
        algorithm = self._algorithm
        assert self.priv is not None and algorithm is not None
        if len(params) != 8:
            raise ValueError("privacy parameters are not 8 bytes")
        if self.priv.cipher == "des":
            if not cipher or len(cipher) % 8:
                raise ValueError("DES ciphertext is not a whole number of blocks")
            iv = bytes(a ^ b for a, b in zip(self.priv_key[8:16], params, strict=True))
            dec = _decryption_context(algorithm, modes.CBC(iv))
            return dec.update(cipher) + dec.finalize()
        # CFB, a stream mode: `update` is the whole plaintext (see `encrypt`)
        iv = _BOOTS_TIME.pack(boots, time) + params
        return _decryption_context(algorithm, CFB(iv)).update(cipher)


class KeyCache:
    """Localised keys per (user, engine ID), computed once: each Ku is ~1 MiB of hashing.

    Owned by one client or receiver; bounded, because engine IDs come from the network.
    """

    LIMIT = 65536

    def __init__(self) -> None:
        self._ku: dict[tuple[str, Secret], bytes] = {}
        self._keys: dict[tuple[UsmUser, bytes], LocalizedKeys] = {}

    def __repr__(self) -> str:
        return f"KeyCache({len(self._keys)} localised key sets)"

    def keys(self, user: UsmUser, engine_id: bytes) -> LocalizedKeys:
        """The user's keys for the engine `engine_id` (ValueError: unknown protocol)."""
        cache_key = (user, engine_id)
        keys = self._keys.get(cache_key)
        if keys is not None:
            return keys
        auth = priv = None
        auth_key = priv_key = b""
        if user.auth_protocol:
            auth = AUTH_PROTOCOLS.get(user.auth_protocol)
            if auth is None or user.auth_password is None:
                raise ValueError(f"unsupported auth protocol {user.auth_protocol!r}")
            auth_key = localize(
                self._password_key(user.auth_password, auth), engine_id, auth.hash_name
            )
            if user.priv_protocol:
                priv = PRIV_PROTOCOLS.get(user.priv_protocol)
                if priv is None or user.priv_password is None:
                    raise ValueError(f"unsupported priv protocol {user.priv_protocol!r}")
                ku = self._password_key(user.priv_password, auth)
                priv_key = privacy_key(ku, engine_id, auth.hash_name, priv)
        keys = LocalizedKeys(auth, priv, auth_key, priv_key)
        if len(self._keys) >= self.LIMIT:
            self._keys.clear()
        self._keys[cache_key] = keys
        return keys

    def _password_key(self, password: Secret, auth: AuthProtocol) -> bytes:
        ku_key = (auth.hash_name, password)
        ku = self._ku.get(ku_key)
        if ku is None:
            if len(self._ku) >= self.LIMIT:
                self._ku.clear()
            ku = self._ku[ku_key] = password_key(password.reveal().encode(), auth.hash_name)
        return ku
