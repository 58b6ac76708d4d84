"""The SNMP transport: `SnmpClient` implemented on pysnmp 7 (asyncio, v3 architecture).

One `SnmpEngine` per client, configured once per device (community or USM user, target
parameters, target address) and reused for every request after that. Requests go through
pysnmp's own command generators with raw OID varbinds: the hlapi `get_cmd`/`bulk_cmd` wrappers
resolve every varbind through the MIB view (and load pysmi's MIB compiler, ~1.7 s, on first
use), which a poller that only speaks numeric OIDs does not need (see docs/snmp.md).

Values come back as plain Python (see `lanpulse.core.model.SnmpValue`); errors as
`CollectError` subclasses with one line that names the device and what to check.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config as engine_config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.error import StatusInformation

from lanpulse.collectors.base import SnmpTarget
from lanpulse.core.errors import (
    AgentError,
    AuthError,
    CollectError,
    CollectTimeout,
    ConfigError,
    UnreachableError,
)
from lanpulse.core.model import Oid, SnmpCredentials, SnmpValue

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
PRIV_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "des": usm.usmDESPrivProtocol,
    "3des": usm.usm3DESEDEPrivProtocol,
    "aes": usm.usmAesCfb128Protocol,
    "aes192": usm.usmAesBlumenthalCfb192Protocol,
    "aes256": usm.usmAesBlumenthalCfb256Protocol,
    "aes192c": usm.usmAesCfb192Protocol,
    "aes256c": usm.usmAesCfb256Protocol,
}

ERROR_STATUS = (
    *("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess"),
    *("wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation"),
    *("inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed"),
    *("authorizationError", "notWritable", "inconsistentName"),
)
TOO_BIG, NO_SUCH_NAME = 1, 2

# What the agent's USM report says, and what to check for it.
_AUTH_REPORTS: dict[type, str] = {
    errind.UnknownUserName: "agent reports unknown user (usmStatsUnknownUserNames) "
    "— check snmp.user",
    errind.WrongDigest: "agent reports wrong digest (usmStatsWrongDigests) "
    "— check snmp.auth_password and snmp.auth_protocol",
    errind.DecryptionError: "agent reports decryption error (usmStatsDecryptionErrors) "
    "— check snmp.priv_password and snmp.priv_protocol",
    errind.UnsupportedSecurityLevel: "agent reports unsupported security level "
    "(usmStatsUnsupportedSecLevels) — check snmp.auth_protocol / snmp.priv_protocol",
    errind.AuthenticationFailure: "response failed authentication "
    "— check snmp.auth_password and snmp.auth_protocol",
    errind.UnknownSecurityName: "unknown security name — check snmp.user",
}

_NULL = univ.Null("")
_ABSENT = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView, univ.Null)


@functools.lru_cache(maxsize=65536)
def object_name(oid: str) -> rfc1902.ObjectName:
    """A pysnmp OID object for a dotted string (cached: plans repeat the same OIDs)."""
    return rfc1902.ObjectName(oid.strip().lstrip("."))


def _to_python(value: Any) -> SnmpValue | None:
    """Plain Python for an SNMP value; None for 'not there' (noSuch*, endOfMibView, NULL)."""
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        convert = _converter_for(type(value))
        _CONVERTERS[type(value)] = convert
    return convert(value)


def _converter_for(kind: type) -> Callable[[Any], SnmpValue | None]:
    if issubclass(kind, _ABSENT):
        return lambda v: None
    if issubclass(kind, rfc1902.IpAddress):
        return lambda v: ".".join(str(b) for b in v.asOctets())
    if issubclass(kind, univ.OctetString):  # OCTET STRING, Opaque, BITS
        return lambda v: v.asOctets()
    if issubclass(kind, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, ...
        return int
    if issubclass(kind, univ.ObjectIdentifier):
        return lambda v: Oid(".".join(map(str, v.asTuple())))
    return lambda v: None


_CONVERTERS: dict[type, Callable[[Any], SnmpValue | None]] = {}


class WalkResult(dict[str, dict[str, SnmpValue]]):
    """Column OID -> {index suffix: value}, plus what went wrong without stopping the walk."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []


class _ReportingUdpTransport(udp.UdpAsyncioTransport):
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
class _Configured:
    """One device as an engine knows it: the engine and the names of its config rows."""

    engine: SnmpEngine
    transport: _ReportingUdpTransport
    addr_name: str
    context: bytes
    mp_model: int


class PysnmpClient:
    """`SnmpClient` on pysnmp 7. Create and use it inside one running asyncio loop."""

    def __init__(self, *, get_batch_size: int = 20) -> None:
        if get_batch_size < 1:
            raise ValueError("get_batch_size must be at least 1")
        self.get_batch_size = get_batch_size
        self._slots: list[_EngineSlot] = []  # engines are created lazily, inside the loop
        self._names = itertools.count(1)
        self._targets: dict[tuple[object, ...], _Configured] = {}
        self._addresses: dict[tuple[str, int], tuple[str, int]] = {}
        self._get = cmdgen.GetCommandGenerator()
        self._next = cmdgen.NextCommandGeneratorSingleRun()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    # -- public API ---------------------------------------------------------------------

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """GET `oids` in PDUs of `get_batch_size`; OIDs the agent lacks are left out."""
        conf = await self._configure(target)
        wanted = [object_name(o) for o in oids]
        result: dict[str, SnmpValue] = {}
        for start in range(0, len(wanted), self.get_batch_size):
            await self._get_batch(target, conf, wanted[start : start + self.get_batch_size], result)
        return result

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        """Walk `columns` together (GETBULK, or GETNEXT for v1): column -> {index: value}."""
        conf = await self._configure(target)
        result = WalkResult()
        prefixes = {c.strip().lstrip("."): object_name(c).asTuple() for c in columns}
        for column in prefixes:
            result[column] = {}
        cursor = {c: object_name(c) for c in prefixes}  # open columns -> last OID seen
        repetitions = max(1, target.credentials.max_repetitions)
        bulk = conf.mp_model != 0
        while cursor:
            open_columns = list(cursor)
            request = [(cursor[c], _NULL) for c in open_columns]
            if bulk:
                status, index, varbinds = await self._send(
                    target, conf, self._bulk, request, repetitions
                )
            else:
                status, index, varbinds = await self._send(target, conf, self._next, request)
            if status == TOO_BIG and bulk and repetitions > 1:
                repetitions = max(1, repetitions // 2)
                continue
            if status == NO_SUCH_NAME and not bulk and 0 < index <= len(open_columns):
                del cursor[open_columns[index - 1]]  # v1 end of this column's view
                continue
            if status:
                result.errors.append(self._status_text(target, status, index, request))
                break
            progressed = self._take_rows(open_columns, prefixes, cursor, varbinds, result)
            if not progressed and cursor:
                result.errors.append(f"{target.device}: agent returned no usable rows; stopped")
                break
        return result

    def close(self) -> None:
        """Close the engine's socket and timers; the client may not be used afterwards."""
        for slot in self._slots:
            slot.engine.close_dispatcher()
        self._slots.clear()
        self._targets.clear()

    # -- walking ------------------------------------------------------------------------

    @staticmethod
    def _take_rows(
        open_columns: list[str],
        prefixes: dict[str, tuple[int, ...]],
        cursor: dict[str, rfc1902.ObjectName],
        varbinds: Sequence[tuple[Any, Any]],
        result: WalkResult,
    ) -> bool:
        """File one response's varbinds under their columns; close finished columns."""
        width = len(open_columns)
        progressed = False
        closed: set[str] = set()
        for position, (name, value) in enumerate(varbinds):
            column = open_columns[position % width]
            if column in closed:
                continue
            found = name.asTuple()
            prefix = prefixes[column]
            if isinstance(value, rfc1905.EndOfMibView) or found[: len(prefix)] != prefix:
                closed.add(column)
                continue
            if found <= cursor[column].asTuple():
                result.errors.append(
                    f"agent returned non-increasing OID {name} after {cursor[column]}; "
                    f"stopped walking {column}"
                )
                closed.add(column)
                continue
            cursor[column] = name
            progressed = True
            converted = _to_python(value)
            if converted is not None:
                result[column][".".join(map(str, found[len(prefix) :]))] = converted
        for column in closed:
            del cursor[column]
        return progressed or bool(closed)

    # -- GET ----------------------------------------------------------------------------

    async def _get_batch(
        self,
        target: SnmpTarget,
        conf: _Configured,
        names: list[rfc1902.ObjectName],
        result: dict[str, SnmpValue],
    ) -> None:
        while names:
            request = [(n, _NULL) for n in names]
            status, index, varbinds = await self._send(target, conf, self._get, request)
            if status == TOO_BIG and len(names) > 1:
                half = len(names) // 2
                await self._get_batch(target, conf, names[:half], result)
                await self._get_batch(target, conf, names[half:], result)
                return
            if status == NO_SUCH_NAME and conf.mp_model == 0 and 0 < index <= len(names):
                names = names[: index - 1] + names[index:]  # v1: drop the missing one, retry
                continue
            if status:
                raise AgentError(target.device, self._status_text(target, status, index, request))
            for name, value in varbinds:
                converted = _to_python(value)
                if converted is not None:
                    result[str(name)] = converted
            return

    # -- one request --------------------------------------------------------------------

    async def _send(
        self,
        target: SnmpTarget,
        conf: _Configured,
        generator: Any,
        request: list[tuple[rfc1902.ObjectName, univ.Null]],
        repetitions: int | None = None,
    ) -> tuple[int, int, Sequence[tuple[Any, Any]]]:
        """Send one PDU and wait for (error-status, error-index, varbinds)."""
        future: asyncio.Future[tuple[Any, Any, Any, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        args: tuple[Any, ...] = (conf.engine, conf.addr_name, None, conf.context)
        if repetitions is not None:
            args += (0, repetitions)
        conf.transport.send_error = None
        try:
            generator.send_varbinds(*args, request, _resolve, future)
        except StatusInformation as exc:
            raise self._indication_error(target, exc.get("errorIndication")) from None
        except PySnmpError as exc:
            # pysnmp wraps socket errors with a whole traceback: keep its last line only.
            last = str(exc).strip().splitlines()[-1:] or ["send failed"]
            raise UnreachableError(
                target.device, f"cannot send to {_where(target)}: {last[0]}"
            ) from None
        refused = conf.transport.send_error
        if refused is not None:
            future.cancel()  # pysnmp still waits for an answer; its callback will ignore it
            raise UnreachableError(
                target.device,
                f"cannot send to {_where(target)}: {refused.strerror or refused} "
                "— check the device's address and this host's routes",
            )
        indication, status, index, varbinds = await future
        if indication:
            raise self._indication_error(target, indication)
        return int(status or 0), int(index or 0), varbinds

    def _indication_error(self, target: SnmpTarget, indication: Any) -> CollectError:
        creds = target.credentials
        if isinstance(indication, errind.RequestTimedOut):
            tries = creds.retries + 1
            if creds.version == "3":
                hint = "check address, port, snmp.user, snmp.auth_password"
                if creds.priv_protocol:
                    hint += (
                        " and snmp.priv_password / snmp.priv_protocol (net-snmp stays silent "
                        "when it cannot decrypt a request)"
                    )
            else:
                hint = (
                    "check address, port and snmp.community (with SNMPv1/v2c a wrong "
                    "community looks the same: the agent stays silent)"
                )
            return CollectTimeout(
                target.device,
                f"no answer from {_where(target)} within {creds.timeout_s}s × {tries} "  # noqa: RUF001
                f"tr{'y' if tries == 1 else 'ies'} — {hint}",
            )
        for kind, text in _AUTH_REPORTS.items():
            if isinstance(indication, kind):
                return AuthError(target.device, f"{_where(target)}: {text}")
        return AgentError(target.device, f"{_where(target)}: {indication}")

    @staticmethod
    def _status_text(
        target: SnmpTarget,
        status: int,
        index: int,
        request: list[tuple[rfc1902.ObjectName, univ.Null]],
    ) -> str:
        name = ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"status {status}"
        where = (
            f" at varbind {index} ({request[index - 1][0]})" if 0 < index <= len(request) else ""
        )
        return f"{_where(target)}: agent answered {name}{where}"

    # -- engine configuration -----------------------------------------------------------

    def _engine_slot(self, index: int) -> _EngineSlot:
        while len(self._slots) <= index:
            engine = SnmpEngine()
            transport = _ReportingUdpTransport().open_client_mode()
            engine_config.add_transport(engine, udp.DOMAIN_NAME, transport)
            self._slots.append(_EngineSlot(engine, transport))
        return self._slots[index]

    async def _configure(self, target: SnmpTarget) -> _Configured:
        """The engine rows for `target`, created on first use and cached after."""
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
        conf = _Configured(
            slot.engine, slot.transport, addr_name=addr_name, context=context, mp_model=mp_model
        )
        self._targets[key] = conf
        return conf

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
            slot = self._engine_slot(0)
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
        # pysnmp keys its user table by user name, so one engine holds one key set per name:
        # devices that share a name with different passwords get an engine (socket) of their own.
        for index in itertools.count():
            slot = self._engine_slot(index)
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


class _EngineSlot:
    """One SnmpEngine (one UDP socket) and what has been registered in it."""

    __slots__ = ("communities", "engine", "params", "transport", "users")

    def __init__(self, engine: SnmpEngine, transport: _ReportingUdpTransport) -> None:
        self.engine = engine
        self.transport = transport
        self.communities: dict[tuple[object, ...], str] = {}
        self.users: dict[str, tuple[object, ...]] = {}
        self.params: dict[tuple[str, str, int], str] = {}


def _protocol(table: dict[str, tuple[int, ...]], name: str | None, key: str) -> tuple[int, ...]:
    if not name:
        return ()
    proto = table.get(name.lower())
    if proto is None:
        raise ConfigError(f"unknown protocol {name!r}; expected one of {', '.join(table)}", key=key)
    return proto


def _where(target: SnmpTarget) -> str:
    return f"{target.address}:{target.port}"


def _resolve(
    engine: SnmpEngine,
    handle: int,
    indication: Any,
    status: Any,
    index: Any,
    varbinds: Any,
    future: asyncio.Future[tuple[Any, Any, Any, Any]],
) -> None:
    # A deadline may have cancelled the waiter while pysnmp still retried the request.
    if not future.done():
        future.set_result((indication, status, index, varbinds))
