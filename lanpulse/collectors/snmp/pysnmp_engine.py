"""pysnmp engine configuration for the SNMP transport: who we talk to, and as whom.

Each device is registered once (community or USM user, target parameters, target address)
and looked up by a cheap key afterwards, so a poll costs no configuration work. pysnmp keys
its USM user table by user name, so one engine holds one key set per name: devices sharing a
user name with different passwords get another engine (another UDP socket).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config as engine_config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio import auth as usm

from lanpulse.collectors.base import SnmpTarget
from lanpulse.core.errors import ConfigError, UnreachableError
from lanpulse.core.model import SnmpCredentials

AUTH_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "md5": usm.usmHMACMD5AuthProtocol,
    "sha": usm.usmHMACSHAAuthProtocol,
    "sha224": usm.usmHMAC128SHA224AuthProtocol,
    "sha256": usm.usmHMAC192SHA256AuthProtocol,
    "sha384": usm.usmHMAC256SHA384AuthProtocol,
    "sha512": usm.usmHMAC384SHA512AuthProtocol,
}
# aes192/aes256 interoperate with net-snmp's AES-192/AES-256 (Blumenthal key extension);
# aes192c/aes256c with net-snmp's AES-192-C/AES-256-C and Cisco (Reeder key extension).
# Verified against snmpd 5.9.3 in tests/test_snmp_v3.py.
PRIV_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "des": usm.usmDESPrivProtocol,
    "3des": usm.usm3DESEDEPrivProtocol,
    "aes": usm.usmAesCfb128Protocol,
    "aes192": usm.usmAesBlumenthalCfb192Protocol,
    "aes256": usm.usmAesBlumenthalCfb256Protocol,
    "aes192c": usm.usmAesCfb192Protocol,
    "aes256c": usm.usmAesCfb256Protocol,
}


class ReportingUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp's UDP transport, keeping the error asyncio reports for a refused sendto.

    pysnmp ignores it, so "network unreachable" or "permission denied" would otherwise only
    show as a timeout. asyncio reports it synchronously inside `sendto`, so the request that
    caused it is the one being sent.
    """

    send_error: OSError | None = None

    def error_received(self, exc: OSError) -> None:
        """Called by asyncio when the socket refuses a datagram."""
        self.send_error = exc


@dataclass(frozen=True, slots=True)
class ConfiguredTarget:
    """One device as an engine knows it: the engine, its socket and its target's name."""

    engine: SnmpEngine
    transport: ReportingUdpTransport
    addr_name: str
    context: bytes
    mp_model: int  # 0 SNMPv1, 1 SNMPv2c, 3 SNMPv3


class _EngineSlot:
    """One SnmpEngine (one UDP socket) and what has been registered in it."""

    __slots__ = ("communities", "engine", "params", "transport", "users")

    def __init__(self, engine: SnmpEngine, transport: ReportingUdpTransport) -> None:
        self.engine = engine
        self.transport = transport
        self.communities: dict[tuple[object, ...], str] = {}
        self.users: dict[str, tuple[object, ...]] = {}
        self.params: dict[tuple[str, str, int], str] = {}


class EngineRegistry:
    """The engines of one client and every device registered in them."""

    def __init__(self) -> None:
        self._slots: list[_EngineSlot] = []  # engines are created lazily, inside the loop
        self._names = itertools.count(1)
        self._targets: dict[tuple[object, ...], ConfiguredTarget] = {}
        self._addresses: dict[tuple[str, int], tuple[str, int]] = {}

    @property
    def engine_count(self) -> int:
        """How many engines (UDP sockets) exist."""
        return len(self._slots)

    async def configure(self, target: SnmpTarget) -> ConfiguredTarget:
        """The engine rows for `target`, created on first use and cached after.

        The cache key holds the whole credential set (timeout and retries included), so a
        changed setting makes new rows rather than reusing stale ones.
        """
        creds = target.credentials
        key = (target.address, target.port, creds)
        conf = self._targets.get(key)
        if conf is not None:
            return conf
        address = await self._resolve(target)
        slot, security_name, mp_model = self._security_name(creds)
        level = creds.security_level if mp_model == 3 else "noAuthNoPriv"
        params_key = (security_name, level, mp_model)
        params = slot.params.get(params_key)
        if params is None:
            params = f"lp-p{next(self._names)}"
            engine_config.add_target_parameters(slot.engine, params, security_name, level, mp_model)
            slot.params[params_key] = params
        addr_name = f"lp-a{next(self._names)}"
        engine_config.add_target_address(
            slot.engine,
            addr_name,
            udp.DOMAIN_NAME,
            address,
            params,
            timeout=creds.timeout_s * 100,  # pysnmp counts in 1/100 s
            retryCount=creds.retries,
        )
        context = (creds.context or "").encode() if mp_model == 3 else b""
        # The socket opens asynchronously; wait for it so that send errors are seen at once.
        for _ in range(100):
            if slot.transport.transport is not None:
                break
            await asyncio.sleep(0)
        conf = ConfiguredTarget(slot.engine, slot.transport, addr_name, context, mp_model)
        self._targets[key] = conf
        return conf

    def close(self) -> None:
        """Close every engine's socket and timers."""
        for slot in self._slots:
            slot.engine.close_dispatcher()
        self._slots.clear()
        self._targets.clear()

    def _slot(self, index: int) -> _EngineSlot:
        while len(self._slots) <= index:
            engine = SnmpEngine()
            transport = ReportingUdpTransport().open_client_mode()
            engine_config.add_transport(engine, udp.DOMAIN_NAME, transport)
            self._slots.append(_EngineSlot(engine, transport))
        return self._slots[index]

    async def _resolve(self, target: SnmpTarget) -> tuple[str, int]:
        key = (target.address, target.port)
        address = self._addresses.get(key)
        if address is None:
            try:
                resolved = await UdpTransportTarget.create(key)
            except (PySnmpError, OSError, UnicodeError, ValueError):
                # gaierror arrives wrapped in PySnmpError; an invalid host name (label too
                # long, NUL) fails earlier with UnicodeError / ValueError.
                raise UnreachableError(
                    target.device,
                    f"cannot resolve address {target.address!r} — check the device's address",
                ) from None
            address = (str(resolved.transport_address[0]), int(resolved.transport_address[1]))
            self._addresses[key] = address
        return address

    def _security_name(self, creds: SnmpCredentials) -> tuple[_EngineSlot, str, int]:
        """Register the community or USM user once per distinct credential set."""
        if creds.version in ("1", "2c"):
            if creds.community is None:
                raise ConfigError("SNMPv1/v2c needs a community", key="snmp.community")
            mp_model = 0 if creds.version == "1" else 1
            slot = self._slot(0)
            identity: tuple[object, ...] = (mp_model, creds.community)
            name = slot.communities.get(identity)
            if name is None:
                name = f"lp-c{next(self._names)}"
                engine_config.add_v1_system(
                    slot.engine, name, creds.community.reveal(), securityName=name
                )
                slot.communities[identity] = name
            return slot, name, mp_model
        if creds.version != "3":
            raise ConfigError(f"unknown SNMP version {creds.version!r}", key="snmp.version")
        if not creds.user:
            raise ConfigError("SNMPv3 needs a user", key="snmp.user")
        auth = _protocol(AUTH_PROTOCOLS, creds.auth_protocol, "snmp.auth_protocol")
        priv = _protocol(PRIV_PROTOCOLS, creds.priv_protocol, "snmp.priv_protocol")
        if priv and not auth:
            raise ConfigError("privacy needs authentication too", key="snmp.auth_protocol")
        for proto, secret, field in (
            (auth, creds.auth_password, "snmp.auth_password"),
            (priv, creds.priv_password, "snmp.priv_password"),
        ):
            if proto and not secret:
                raise ConfigError("missing (needed by the protocol set)", key=field)
        identity = (auth, creds.auth_password, priv, creds.priv_password)
        for index in itertools.count():
            slot = self._slot(index)
            known = slot.users.get(creds.user)
            if known == identity:
                return slot, creds.user, 3
            if known is None:
                engine_config.add_v3_user(
                    slot.engine,
                    creds.user,
                    auth or usm.usmNoAuthProtocol,
                    creds.auth_password.reveal() if auth and creds.auth_password else None,
                    priv or usm.usmNoPrivProtocol,
                    creds.priv_password.reveal() if priv and creds.priv_password else None,
                )
                slot.users[creds.user] = identity
                return slot, creds.user, 3
        raise AssertionError("unreachable")


def _protocol(table: dict[str, tuple[int, ...]], name: str | None, key: str) -> tuple[int, ...]:
    if not name:
        return ()
    proto = table.get(name.lower())
    if proto is None:
        raise ConfigError(f"unknown protocol {name!r}; expected one of {', '.join(table)}", key=key)
    return proto
