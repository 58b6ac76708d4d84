"""The walk driver, written once: GET batches and GETBULK/GETNEXT table walks over a step.

A step sends one request PDU and returns the answer's `Pdu` (or raises a `CollectError`):
`transport.CommunityStep` (v1/v2c), `v3.V3Step` and `pysnmp_step.PysnmpStep` (the reference
engine). Everything about what to ask next — batching, tooBig halving, error-status
handling, column ends, non-increasing OIDs, the learnt repetitions — lives here only.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from itertools import cycle
from typing import Any, Protocol

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.codec import (
    END_OF_MIB_VIEW,
    GET,
    GET_BULK,
    GET_NEXT,
    Pdu,
    Response,
    decode_arcs,
    encode_oid,
    oid_text,
)
from lanpulse.collectors.snmp.results import (
    NO_SUCH_NAME,
    TOO_BIG,
    GetResult,
    WalkResult,
    WalkTuning,
    no_rows,
    non_increasing,
    status_error,
    status_text,
    subtree,
)
from lanpulse.core.errors import AgentError, PollError
from lanpulse.core.model import SnmpValue


class Step(Protocol):
    """Send one request PDU for `raw_oids` (BER OID contents); the answer's PDU (or the
    community Response, which has the same error-status, error-index and varbinds)."""

    def request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Coroutine[Any, Any, Pdu | Response]:
        """One request, its tries and timeouts; raises `CollectError` subclasses."""
        ...


class WalkDriver:
    """GET and walk for any step; owns the walk tuning learnt per device."""

    def __init__(self, *, get_batch_size: int = 20) -> None:
        if get_batch_size < 1:
            raise ValueError("get_batch_size must be at least 1")
        self.get_batch_size = get_batch_size
        self.tuning = WalkTuning()

    async def get(self, step: Step, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        """GET `oids` in PDUs of `get_batch_size`; OIDs the agent lacks are left out.

        An OID the agent answers with an error status (genErr, ...) is left out too and
        named in `errors`; only when nothing at all came back does that raise `AgentError`.
        """
        names = [o.strip().lstrip(".") for o in oids]
        result = GetResult()
        size = self.get_batch_size
        v1 = target.credentials.version == "1"
        for start in range(0, len(names), size):
            await self._get_batch(step, target, v1, names[start : start + size], result)
        if result.errors and not result:
            raise AgentError(target.device, "; ".join(map(str, result.errors)))
        return result

    async def _get_batch(
        self, step: Step, target: SnmpTarget, v1: bool, names: list[str], result: GetResult
    ) -> None:
        while names:
            response = await step.request(target, GET, [encode_oid(n) for n in names], 0)
            status, index = response.error_status, response.error_index
            if status == TOO_BIG and len(names) > 1:
                half = len(names) // 2
                await self._get_batch(step, target, v1, names[:half], result)
                await self._get_batch(step, target, v1, names[half:], result)
                return
            if status and 0 < index <= len(names) and status != TOO_BIG:
                # One OID spoils the whole PDU: drop it and ask for the others again.
                # (noSuchName is SNMPv1's way to say "absent", not an error.)
                if not (status == NO_SUCH_NAME and v1):
                    result.errors.append(
                        status_error(target, status, index, names, names[index - 1])
                    )
                names = names[: index - 1] + names[index:]
                continue
            if status:
                raise AgentError(target.device, status_text(target, status, index, names))
            for raw, _tag, value in response.varbinds:
                if value is not None:
                    result[oid_text(raw)] = value
            return

    async def walk(self, step: Step, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        """Walk `columns` together (GETBULK, or GETNEXT for v1): column -> {index: value}."""
        result = WalkResult()
        walked: dict[str, _Column] = {}
        for column in columns:
            name = column.strip().lstrip(".")
            if name not in walked:
                walked[name] = _Column(name, result.setdefault(name, {}))
        open_columns = list(walked.values())
        # Index suffix -> (arcs, text): a table's columns share their rows' indexes, so
        # each is decoded once per walk, not once per column.
        indexes: dict[bytes, tuple[tuple[int, ...], str]] = {}
        creds = target.credentials
        plan = self.tuning.start(
            (target.address, target.port, creds), list(walked), creds.max_repetitions
        )
        bulk = creds.version != "1"
        while open_columns:
            request = [c.last for c in open_columns]
            repetitions = plan.repetitions(max(map(len, result.values()))) if bulk else 0
            response = await step.request(
                target, GET_BULK if bulk else GET_NEXT, request, repetitions
            )
            status, index = response.error_status, response.error_index
            if status == TOO_BIG and bulk and plan.too_big(repetitions):
                continue
            if bulk and not status:
                plan.answered()
            if status == NO_SUCH_NAME and not bulk and 0 < index <= len(open_columns):
                del open_columns[index - 1]  # v1 end of this column's view
                continue
            if status:
                oids = [oid_text(r) for r in request]
                result.errors.append(
                    status_error(
                        target, status, index, oids, subtree([c.name for c in open_columns])
                    )
                )
                break
            moved = _take_rows(target, open_columns, indexes, response, result.errors)
            open_columns = [c for c in open_columns if not c.ended]
            if not moved and open_columns:
                result.errors.append(no_rows(target, [c.name for c in open_columns]))
                break
        plan.finish(max((len(v) for v in result.values()), default=0))
        return result


class _Column:
    """One walked column: its subtree, the last row it reached and the rows it filed."""

    __slots__ = ("arcs", "ended", "last", "name", "prefix", "rows", "start")

    def __init__(self, name: str, rows: dict[str, SnmpValue]) -> None:
        self.name = name
        self.prefix = encode_oid(name)  # the subtree, as BER OID content bytes
        self.start = len(self.prefix)  # where a row's index begins in its OID
        self.last = self.prefix  # raw OID of the last row (the next request asks after it)
        self.arcs: tuple[int, ...] = ()  # that row's index arcs
        self.rows = rows
        self.ended = False


def _index(suffix: bytes) -> tuple[tuple[int, ...], str]:
    """A row's index: its arcs (to compare) and its dotted text (to file the row under)."""
    arcs = decode_arcs(suffix)
    return arcs, ".".join(map(str, arcs))


def _take_rows(
    target: SnmpTarget,
    open_columns: list[_Column],
    indexes: dict[bytes, tuple[tuple[int, ...], str]],
    response: Pdu | Response,
    errors: list[PollError],
) -> bool:
    """File one response's varbinds under their columns; mark finished columns ended.

    The varbinds come in rows of one per open column. A column's subtree is a byte prefix
    of the BER OID, and the index arcs after it compare like the whole OID does, so neither
    OID is turned into text or a full tuple. True if any column moved on or ended.
    """
    moved = False
    for column, (raw, tag, value) in zip(cycle(open_columns), response.varbinds):
        if column.ended:
            continue
        moved = True
        if tag == END_OF_MIB_VIEW or raw[: column.start] != column.prefix:
            column.ended = True
            continue
        suffix = raw[column.start :]
        index = indexes.get(suffix)
        if index is None:
            index = indexes[suffix] = _index(suffix)
        arcs, text = index
        if arcs <= column.arcs:
            errors.append(non_increasing(target, oid_text(raw), oid_text(column.last), column.name))
            column.ended = True
            continue
        column.last = raw
        column.arcs = arcs
        if value is not None:
            column.rows[text] = value
    return moved
