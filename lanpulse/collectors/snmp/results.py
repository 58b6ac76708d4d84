"""Result types, error texts and the walk tuning of the SNMP client.

Every step (community, v3, pysnmp) and the walk driver use these, so the engines cannot
drift apart: the same result types, the same one-line errors, and the same request sizing
for walks (a repetition count that avoided tooBig, remembered per device; the row count
each column set had last time).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from lanpulse.collectors.base import SnmpTarget
from lanpulse.core.errors import AgentError, CollectTimeout, PollError
from lanpulse.core.model import SnmpValue

ERROR_STATUS = (
    *("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess"),
    *("wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation"),
    *("inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed"),
    *("authorizationError", "notWritable", "inconsistentName"),
)
TOO_BIG, NO_SUCH_NAME = 1, 2


class GetResult(dict[str, SnmpValue]):
    """OID -> value, plus the OIDs the agent answered with an error status (left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[PollError] = []


class WalkResult(dict[str, dict[str, SnmpValue]]):
    """Column OID -> {index suffix: value}, plus what went wrong without stopping the walk."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[PollError] = []


def where(target: SnmpTarget) -> str:
    """ADDRESS:PORT, as error messages name the agent."""
    return f"{target.address}:{target.port}"


def subtree(oids: Sequence[str]) -> str:
    """The OID every one of `oids` lies under: one column itself, a table's entry OID for
    columns of one table. What a walk error names as the part that failed."""
    common: list[str] = []
    for arcs in zip(*(oid.split(".") for oid in oids), strict=False):
        if any(arc != arcs[0] for arc in arcs):
            break
        common.append(arcs[0])
    return ".".join(common)


def status_error(
    target: SnmpTarget, status: int, index: int, request_oids: list[str], part: str
) -> PollError:
    """An error-status answer, kept as the failure of `part` (an OID, or a walk's table)."""
    return PollError(AgentError, part, status_text(target, status, index, request_oids))


def status_text(target: SnmpTarget, status: int, index: int, request_oids: list[str]) -> str:
    """'ADDR:PORT: agent answered genErr at varbind 3 (OID)' for an error-status answer."""
    name = ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"status {status}"
    at = ""
    if 0 < index <= len(request_oids):
        at = f" at varbind {index} ({request_oids[index - 1]})"
    why = ""
    if name == "authorizationError":
        why = (
            " — the agent's access rules refuse this request: check the security level "
            "(snmp.auth_protocol / snmp.priv_protocol), snmp.context or the community's view"
        )
    return f"{where(target)}: agent answered {name}{at}{why}"


def timeout_error(target: SnmpTarget) -> CollectTimeout:
    """The timeout after every try, with what to check for this SNMP version."""
    creds = target.credentials
    tries = creds.retries + 1
    if creds.version == "3":
        hint = "check address, port, snmp.user, snmp.auth_password"
        if creds.priv_protocol:
            hint += (
                " and snmp.priv_password / snmp.priv_protocol (net-snmp stays silent "
                "when it cannot decrypt a request)"
            )
        if creds.context:
            hint += "; snmp.context (net-snmp stays silent for an unknown context)"
    else:
        hint = (
            "check address, port and snmp.community (with SNMPv1/v2c a wrong "
            "community looks the same: the agent stays silent)"
        )
    return CollectTimeout(
        target.device,
        f"no answer from {where(target)} within {creds.timeout_s}s × {tries} "  # noqa: RUF001
        f"tr{'y' if tries == 1 else 'ies'} — {hint}",
    )


def non_increasing(target: SnmpTarget, found: str, after: str, column: str) -> PollError:
    """The walk error for an agent that went backwards (the column stops there)."""
    return PollError(
        AgentError,
        column,
        f"{where(target)}: agent returned non-increasing OID {found} after {after}; "
        f"stopped walking {column}",
    )


def no_rows(target: SnmpTarget, columns: Sequence[str]) -> PollError:
    """The walk error for a response that moved none of the open `columns` forward."""
    return PollError(
        AgentError, subtree(columns), f"{where(target)}: agent returned no usable rows; stopped"
    )


class WalkTuning:
    """Request sizing for walks, learned per device; it changes requests, never results.

    Per device key: a max-repetitions that avoided tooBig. Per (device key, columns): how
    many rows the walk had last time, so the next walk asks for that many plus one (to see
    the end) instead of overshooting every column's end by the full repetitions.
    """

    def __init__(self) -> None:
        self._repetition_limit: dict[Hashable, int] = {}
        self._rows_seen: dict[tuple[Hashable, ...], int] = {}

    def start(self, device_key: Hashable, columns: list[str], max_repetitions: int) -> WalkPlan:
        """The sizing state for one walk of `columns` on the device `device_key`."""
        limit = self._repetition_limit.get(device_key, max(1, max_repetitions))
        table_key = (device_key, *columns)
        return WalkPlan(self, device_key, table_key, limit, max_repetitions)


class WalkPlan:
    """One walk's request sizing (see `WalkTuning`)."""

    __slots__ = ("_tuning", "device_key", "expected_rows", "limit", "max_repetitions", "table_key")

    def __init__(
        self,
        tuning: WalkTuning,
        device_key: Hashable,
        table_key: tuple[Hashable, ...],
        limit: int,
        max_repetitions: int,
    ) -> None:
        self._tuning = tuning
        self.device_key = device_key
        self.table_key = table_key
        self.limit = limit
        self.max_repetitions = max_repetitions
        self.expected_rows = tuning._rows_seen.get(table_key, 0)

    def repetitions(self, rows_done: int) -> int:
        """Max-repetitions for the next GETBULK, given the most rows any column has so far.

        The rows still expected plus one to see the end: with all of them fetched (an agent
        that cut its answers short, as snmpd does at ~1,500 bytes) that is one, not `limit`.
        """
        if self.expected_rows and rows_done <= self.expected_rows:
            return min(self.limit, self.expected_rows - rows_done + 1)
        return self.limit

    def too_big(self, repetitions: int) -> bool:
        """tooBig for `repetitions`: True if asking again with fewer makes sense."""
        if repetitions > 1:
            self.limit = max(1, repetitions // 2)
            return True
        return False

    def answered(self) -> None:
        """A GETBULK came back without error: remember a reduced limit that fits."""
        if self.limit < self.max_repetitions:
            self._tuning._repetition_limit[self.device_key] = self.limit

    def finish(self, rows: int) -> None:
        """The walk is over; `rows` is the most rows any column had."""
        self._tuning._rows_seen[self.table_key] = rows
