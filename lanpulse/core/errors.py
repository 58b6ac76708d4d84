"""The one error tree of lanpulse.

User errors (`ConfigError`) print one line and exit non-zero; collection and sink errors
are data that the daemon records and survives.
"""

from __future__ import annotations


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
    """Part of a raw result could not be understood; what parsed is kept, the rest counted."""

    def __init__(self, message: str, *, skipped: int = 1) -> None:
        self.skipped = skipped
        super().__init__(message)


class SinkError(LanpulseError):
    """A time-series or notification sink refused or failed a write."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)
