"""The one error tree of lanpulse.

User errors (`ConfigError`) print one line and exit non-zero; collection and sink errors
are data that the daemon records and survives. What went wrong inside a poll that still
produced data travels as `PollError` records, never as bare strings.
"""

from __future__ import annotations

from dataclasses import dataclass


class LanpulseError(Exception):
    """Base of every error lanpulse raises on purpose."""


class ConfigError(LanpulseError):
    """A user-controlled input is wrong: names the file, line and key, and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """`FILE:LINE: key.path: message`, leaving out the parts that are unknown."""
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class ConfigErrors(LanpulseError):
    """Every problem found in one configuration, so a user fixes them all in one go."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.one_line() for e in errors))


class CollectError(LanpulseError):
    """A device could not be polled. `kind` is one of the class names below in snake_case."""

    kind = "agent_error"

    def __init__(self, device: str, message: str) -> None:
        self.device = device
        self.message = message
        super().__init__(f"{device}: {message}")


class CollectTimeout(CollectError):
    """No answer within the timeout and retries."""

    kind = "timeout"


class AuthError(CollectError):
    """Wrong community or SNMPv3/SSH credentials, where the device reveals it."""

    kind = "authentication"


class UnreachableError(CollectError):
    """The address cannot be reached at all (no route, refused, bad address)."""

    kind = "unreachable"


class HostKeyError(CollectError):
    """The SSH host key is unknown or changed (known_hosts mismatch): a possible impostor."""

    kind = "host_key"


class BadAnswerError(CollectError):
    """Only unusable datagrams came back: garbage, truncated, oversize, wrong request-id or
    from another address than asked (not a silent agent, not a wrong community)."""

    kind = "bad_answer"


class OverloadError(CollectError):
    """No answer in time while lanpulse itself was overloaded (its event loop ran late)."""

    kind = "overloaded"


class AgentError(CollectError):
    """The device answered, but with an error or with something that is not valid."""

    kind = "agent_error"


class ParseError(LanpulseError):
    """A metric of a poll cannot be parsed because a profile rule cannot be applied to it.

    Raised today for a `derive` rule without operands (parsers/derive.py, when the metric is
    compiled; `MetricPlan` raises it again each time the metric is parsed). Only that metric
    is lost, the rest of the poll is kept: parsers/snmp_profile.py's `MetricFailure`, then a
    `PollError` of this kind. `skipped` is how many values it cost."""

    def __init__(self, message: str, *, skipped: int = 1) -> None:
        self.skipped = skipped
        super().__init__(message)


class SinkError(LanpulseError):
    """A time-series or notification sink refused or failed a write."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class PollError:
    """One thing that went wrong in a poll, as data (as Nornir's `Result` carries its
    exception): `kind` is the error class (a `CollectError` subclass, `ParseError`, or the
    type of an internal error), `part` what failed (an OID, the column or table a walk asked
    for, a CLI command, a metric; "" for the whole poll) and `message` the one line that logs,
    `lanpulse poll`, the status page and `poll_errors` count show, which `str()` returns.

    Callers decide by `kind` and `part`, never by reading the text. Only text and the class
    are kept, not the exception or the target: a record's repr holds no credentials.
    """

    kind: type[Exception]
    part: str
    message: str

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of(cls, exc: CollectError, part: str) -> PollError:
        """`exc` (which names its device) as the record of one part of a poll."""
        return cls(type(exc), part, exc.message)
