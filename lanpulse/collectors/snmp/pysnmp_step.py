"""The pysnmp step: one request through pysnmp 7 (asyncio, v3 architecture), the reference.

One `SnmpEngine` per step (see `pysnmp_engine`), configured once per device and reused for
every request after that. Requests go through pysnmp's own command generators with raw OID
varbinds: the hlapi `get_cmd`/`bulk_cmd` wrappers resolve every varbind through the MIB view
(and build pysmi's MIB compiler on first use: 0.7 s here), which a poller that only speaks
numeric OIDs does not need (see docs/snmp.md).

Values come back as plain Python (see `lanpulse.core.model.SnmpValue`); errors as
`CollectError` subclasses with one line that names the device and what to check.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.error import StatusInformation

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.codec import GET, GET_BULK, RESPONSE, Pdu, encode_oid, oid_text
from lanpulse.collectors.snmp.pysnmp_engine import ConfiguredTarget, EngineRegistry
from lanpulse.collectors.snmp.results import timeout_error, where
from lanpulse.core.errors import AgentError, AuthError, CollectError, UnreachableError
from lanpulse.core.model import Oid, SnmpValue

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


# Process-wide, on purpose: keyed by the OID text, the value the same for every client and
# configuration (see codec.encode_oid); bounded by maxsize.
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


class PysnmpStep:
    """The reference step on pysnmp 7: one request PDU through pysnmp's command generators.

    Used for `snmp.engine: pysnmp`, for 3DES (which lanpulse's own USM does not speak) and
    by the differential tests that compare lanpulse's codec with it.
    """

    def __init__(self) -> None:
        self.engines = EngineRegistry()
        self._pending: set[asyncio.Future[tuple[Any, Any, Any, Any]]] = set()
        self._get = cmdgen.GetCommandGenerator()
        self._next = cmdgen.NextCommandGeneratorSingleRun()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    async def request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Pdu:
        """Send one request through pysnmp; the answer as the codec's `Pdu`."""
        conf = await self.engines.configure(target)
        request = [(object_name(oid_text(r)), _NULL) for r in raw_oids]
        if pdu_type == GET_BULK:
            answer = await self._send(target, conf, self._bulk, request, max_repetitions)
        else:
            generator = self._get if pdu_type == GET else self._next
            answer = await self._send(target, conf, generator, request)
        status, index, varbinds = answer
        return Pdu(
            RESPONSE,
            0,
            status,
            index,
            [(encode_oid(str(name)), _tag(value), _to_python(value)) for name, value in varbinds],
        )

    def close(self) -> None:
        """Close the engines' sockets and timers; the step may not be used afterwards.

        Requests still waiting are cancelled: with the engines' timers gone, nothing else
        would ever wake them.
        """
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self.engines.close()

    # -- one request --------------------------------------------------------------------

    async def _send(
        self,
        target: SnmpTarget,
        conf: ConfiguredTarget,
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
                target.device, f"cannot send to {where(target)}: {last[0]}"
            ) from None
        refused = conf.transport.send_error
        if refused is not None:
            future.cancel()  # pysnmp still waits for an answer; its callback will ignore it
            raise UnreachableError(
                target.device,
                f"cannot send to {where(target)}: {refused.strerror or refused} "
                "— check the device's address and this host's routes",
            )
        self._pending.add(future)
        try:
            indication, status, index, varbinds = await future
        finally:
            self._pending.discard(future)
        if indication:
            raise self._indication_error(target, indication)
        return int(status or 0), int(index or 0), varbinds

    def _indication_error(self, target: SnmpTarget, indication: Any) -> CollectError:
        if isinstance(indication, errind.RequestTimedOut):
            return timeout_error(target)
        for kind, text in _AUTH_REPORTS.items():
            if isinstance(indication, kind):
                return AuthError(target.device, f"{where(target)}: {text}")
        return AgentError(target.device, f"{where(target)}: {indication}")


def _tag(value: Any) -> int:
    """The BER tag byte of a pyasn1 value (simple types: tag number below 31)."""
    tag = value.tagSet[-1]
    return int(tag.tagClass | tag.tagFormat | tag.tagId)


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
