"""SNMP versions and SNMPv3 USM protocol names: what users may write, what lanpulse stores.

The canonical names are the ones stored in `SnmpCredentials`; the pysnmp 7 names tell the
SNMP collector which `pysnmp.hlapi.v3arch.asyncio` constant implements each one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator

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
