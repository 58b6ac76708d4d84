"""Log a failure once, then summarise its repeats instead of flooding the log.

A spool that cannot write, a database that refuses, a device whose SSH login fails: each
would log the same line on every batch or poll. `RepeatLog` logs the first occurrence of a
key, counts the rest, writes one summary line per `every_s` while it goes on, and one line
when it stops (`resolved`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Ongoing:
    message: str
    repeats: int
    summarised_at: float


class RepeatLog:
    """Per-key "log once, then summarise" for one logger."""

    def __init__(
        self,
        logger: logging.Logger,
        every_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.every_s = every_s
        self._monotonic = monotonic
        self._ongoing: dict[str, _Ongoing] = {}

    def report(self, key: str, message: str, level: int = logging.ERROR) -> None:
        """Log `message` unless `key` is already failing with it; summarise repeats."""
        now = self._monotonic()
        ongoing = self._ongoing.get(key)
        if ongoing is None or ongoing.message != message:
            self._ongoing[key] = _Ongoing(message, 0, now)
            self.logger.log(level, "%s", message)
            return
        ongoing.repeats += 1
        if now - ongoing.summarised_at >= self.every_s:
            self.logger.log(
                level,
                "%s (again %d times in the last %.0fs)",
                message,
                ongoing.repeats,
                now - ongoing.summarised_at,
            )
            ongoing.repeats = 0
            ongoing.summarised_at = now

    def resolved(self, key: str, message: str) -> bool:
        """Log `message` (with the repeats not yet summarised) if `key` was failing."""
        ongoing = self._ongoing.pop(key, None)
        if ongoing is None:
            return False
        extra = f" (after {ongoing.repeats} more failures)" if ongoing.repeats else ""
        self.logger.warning("%s%s", message, extra)
        return True

    def is_failing(self, key: str) -> bool:
        """True between a `report` and the `resolved` of `key`."""
        return key in self._ongoing
