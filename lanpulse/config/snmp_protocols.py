"""SNMP versions and SNMPv3 USM users: what users may write, what lanpulse stores.

The canonical protocol names are the ones stored in `SnmpCredentials`; the pysnmp 7 names
tell the SNMP collector which `pysnmp.hlapi.v3arch.asyncio` constant implements each one.
`UsmFields` and `usm_problems` are the one declaration and the one set of rules of a v3
user's protocols and passwords, for `snmp:` (devices) and `traps.v3_users` alike.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator

from lanpulse.config.secrets import SecretFile, SecretValue
from lanpulse.core.model import Secret

SnmpVersion = Literal["1", "2c", "3"]

_VERSION_SPELLINGS: dict[str, SnmpVersion] = {
    "1": "1",
    "v1": "1",
    "2": "2c",
    "2c": "2c",
    "v2": "2c",
    "v2c": "2c",
    "3": "3",
    "v3": "3",
}

# canonical name -> pysnmp 7 constant in pysnmp.hlapi.v3arch.asyncio (the camelCase
# usm*Protocol names are its deprecated aliases of the same objects)
AUTH_PROTOCOLS_PYSNMP: dict[str, str] = {
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
# `aes192`/`aes256` localize keys as draft-blumenthal-aes-usm-04 (net-snmp `-x AES192`);
# the `c` variants use the Reeder key extension of Cisco IOS (net-snmp `-x AES192C`).
PRIV_PROTOCOLS_PYSNMP: dict[str, str] = {
    "des": "USM_PRIV_CBC56_DES",
    "3des": "USM_PRIV_CBC168_3DES",
    "aes": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES_BLUMENTHAL",
    "aes256": "USM_PRIV_CFB256_AES_BLUMENTHAL",
    "aes192c": "USM_PRIV_CFB192_AES",
    "aes256c": "USM_PRIV_CFB256_AES",
}

_AUTH_ALIASES = {"sha1": "sha", "hmac-sha": "sha", "hmac-md5": "md5"}
_PRIV_ALIASES = {"aes128": "aes", "aes-128": "aes", "3des-ede": "3des", "tripledes": "3des"}


def normalize_version(value: object) -> object:
    """`3`, `"3"`, `v3` -> "3"; `2c`, `2`, `v2c` -> "2c"; `1`, `v1` -> "1"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        key = str(value).strip().lower()
        if key in _VERSION_SPELLINGS:
            return _VERSION_SPELLINGS[key]
    raise ValueError(f"unknown SNMP version {value!r}, expected 1, 2c or 3")


def normalize_auth_protocol(value: object) -> object:
    """md5, sha (= sha1), sha224, sha256, sha384, sha512, case-insensitive."""
    if not isinstance(value, str):
        raise ValueError(f"expected one of {', '.join(AUTH_PROTOCOLS_PYSNMP)}")
    key = value.strip().lower()
    key = _AUTH_ALIASES.get(key, key.replace("-", ""))
    if key not in AUTH_PROTOCOLS_PYSNMP:
        raise ValueError(
            f"unknown auth_protocol {value!r}, expected one of {', '.join(AUTH_PROTOCOLS_PYSNMP)}"
        )
    return key


def normalize_priv_protocol(value: object) -> object:
    """des, 3des, aes (= aes128), aes192, aes256, aes192c, aes256c, case-insensitive."""
    if not isinstance(value, str):
        raise ValueError(f"expected one of {', '.join(PRIV_PROTOCOLS_PYSNMP)}")
    key = value.strip().lower()
    key = _PRIV_ALIASES.get(key, key.replace("-", ""))
    if key not in PRIV_PROTOCOLS_PYSNMP:
        raise ValueError(
            f"unknown priv_protocol {value!r}, expected one of {', '.join(PRIV_PROTOCOLS_PYSNMP)}"
        )
    return key


VersionField = Annotated[SnmpVersion, BeforeValidator(normalize_version)]
AuthProtocolField = Annotated[str, BeforeValidator(normalize_auth_protocol)]
PrivProtocolField = Annotated[str, BeforeValidator(normalize_priv_protocol)]


MIN_V3_PASSWORD = 8  # RFC 3414 11.2: a USM passphrase shorter than 8 characters is refused


class UsmFields(BaseModel):
    """The protocols and passwords of an SNMPv3 user (a mix-in of `snmp:` and trap users)."""

    auth_protocol: AuthProtocolField | None = None
    auth_password: SecretValue | None = None
    auth_password_file: SecretFile | None = None
    priv_protocol: PrivProtocolField | None = None
    priv_password: SecretValue | None = None
    priv_password_file: SecretFile | None = None


def usm_problems(
    auth_protocol: str | None,
    auth_password: Secret | None,
    priv_protocol: str | None,
    priv_password: Secret | None,
    *,
    prefix: str = "",
    where: str = "",
) -> list[str]:
    """What is wrong with a v3 user's security settings, one message each.

    `prefix` names the section in the keys ("snmp."), `where` says where to set a missing
    one ("in the device, its group or defaults").
    """
    hint = f" {where}" if where else ""
    found: list[str] = []
    if priv_protocol is not None and auth_protocol is None:
        found.append(
            f"priv_protocol needs authentication too, expected {prefix}auth_protocol and "
            f"{prefix}auth_password (SNMPv3 has no noAuthPriv level)"
        )
    for part, protocol, password, names in (
        ("auth", auth_protocol, auth_password, AUTH_PROTOCOLS_PYSNMP),
        ("priv", priv_protocol, priv_password, PRIV_PROTOCOLS_PYSNMP),
    ):
        if protocol is not None and password is None:
            found.append(
                f"{part}_protocol is set without a password, expected {prefix}{part}_password "
                f"or {prefix}{part}_password_file{hint}"
            )
        if password is not None and protocol is None:
            found.append(
                f"{part}_password is set without {part}_protocol, expected "
                f"{prefix}{part}_protocol ({', '.join(names)})"
            )
    for secret, name in ((auth_password, "auth_password"), (priv_password, "priv_password")):
        if secret is not None and len(secret.reveal()) < MIN_V3_PASSWORD:
            found.append(f"{name} is too short, expected at least {MIN_V3_PASSWORD} characters")
    return found
