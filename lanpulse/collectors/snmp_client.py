"""The SNMP transport: `SnmpClient` implemented on pysnmp 7 (asyncio, v3 architecture).

One `SnmpEngine` per client (see `snmp_engine`), configured once per device and reused for
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
from lanpulse.collectors.snmp_engine import ConfiguredTarget, EngineRegistry
from lanpulse.collectors.snmp_shared import (
    ERROR_STATUS,  # noqa: F401 - re-exported: importers of this module use it
    NO_SUCH_NAME,
    TOO_BIG,
    GetResult,
    WalkResult,
    WalkTuning,
    no_rows_text,
    non_increasing_text,
    status_text,
    timeout_error,
    where,
)
from lanpulse.core.errors import (
    AgentError,
    AuthError,
    CollectError,
    UnreachableError,
)
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


class PysnmpClient:
    """`SnmpClient` on pysnmp 7. Create and use it inside one running asyncio loop."""

    def __init__(self, *, get_batch_size: int = 20) -> None:
        if get_batch_size < 1:
            raise ValueError("get_batch_size must be at least 1")
        self.get_batch_size = get_batch_size
        self.engines = EngineRegistry()
        self._pending: set[asyncio.Future[tuple[Any, Any, Any, Any]]] = set()
        # Per configured target: a max-repetitions that avoided tooBig, and per walked column
        # set, how many rows it had last time (both only tune request sizes).
        self._tuning = WalkTuning()
        self._get = cmdgen.GetCommandGenerator()
        self._next = cmdgen.NextCommandGeneratorSingleRun()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    # -- public API ---------------------------------------------------------------------

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        """GET `oids` in PDUs of `get_batch_size`; OIDs the agent lacks are left out.

        An OID the agent answers with an error status (genErr, ...) is left out too and
        named in `errors`; only when nothing at all came back does that raise `AgentError`.
        """
        conf = await self.engines.configure(target)
        wanted = [object_name(o) for o in oids]
        result = GetResult()
        for start in range(0, len(wanted), self.get_batch_size):
            await self._get_batch(target, conf, wanted[start : start + self.get_batch_size], result)
        if result.errors and not result:
            raise AgentError(target.device, "; ".join(result.errors))
        return result

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        """Walk `columns` together (GETBULK, or GETNEXT for v1): column -> {index: value}."""
        conf = await self.engines.configure(target)
        result = WalkResult()
        prefixes = {c.strip().lstrip("."): object_name(c).asTuple() for c in columns}
        for column in prefixes:
            result[column] = {}
        cursor = {c: object_name(c) for c in prefixes}  # open columns -> last OID seen
        plan = self._tuning.start(
            conf.addr_name, list(prefixes), target.credentials.max_repetitions
        )
        bulk = conf.mp_model != 0
        while cursor:
            open_columns = list(cursor)
            request = [(cursor[c], _NULL) for c in open_columns]
            repetitions = plan.repetitions(max(len(v) for v in result.values()))
            if bulk:
                status, index, varbinds = await self._send(
                    target, conf, self._bulk, request, repetitions
                )
            else:
                status, index, varbinds = await self._send(target, conf, self._next, request)
            if status == TOO_BIG and bulk and plan.too_big(repetitions):
                continue
            if bulk and not status:
                plan.answered()
            if status == NO_SUCH_NAME and not bulk and 0 < index <= len(open_columns):
                del cursor[open_columns[index - 1]]  # v1 end of this column's view
                continue
            if status:
                result.errors.append(self._status_text(target, status, index, request))
                break
            progressed = self._take_rows(target, open_columns, prefixes, cursor, varbinds, result)
            if not progressed and cursor:
                result.errors.append(no_rows_text(target))
                break
        plan.finish(max((len(v) for v in result.values()), default=0))
        return result

    def close(self) -> None:
        """Close the engines' sockets and timers; the client may not be used afterwards.

        Requests still waiting are cancelled: with the engines' timers gone, nothing else
        would ever wake them.
        """
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self.engines.close()

    # -- walking ------------------------------------------------------------------------

    @staticmethod
    def _take_rows(
        target: SnmpTarget,
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
                    non_increasing_text(target, str(name), str(cursor[column]), column)
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
        conf: ConfiguredTarget,
        names: list[rfc1902.ObjectName],
        result: GetResult,
    ) -> None:
        while names:
            request = [(n, _NULL) for n in names]
            status, index, varbinds = await self._send(target, conf, self._get, request)
            if status == TOO_BIG and len(names) > 1:
                half = len(names) // 2
                await self._get_batch(target, conf, names[:half], result)
                await self._get_batch(target, conf, names[half:], result)
                return
            if status and 0 < index <= len(names) and status != TOO_BIG:
                # One OID spoils the whole PDU: drop it and ask for the others again.
                # (noSuchName is SNMPv1's way to say "absent", not an error.)
                if not (status == NO_SUCH_NAME and conf.mp_model == 0):
                    result.errors.append(self._status_text(target, status, index, request))
                names = names[: index - 1] + names[index:]
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

    @staticmethod
    def _status_text(
        target: SnmpTarget,
        status: int,
        index: int,
        request: list[tuple[rfc1902.ObjectName, univ.Null]],
    ) -> str:
        return status_text(target, status, index, [str(name) for name, _ in request])


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
