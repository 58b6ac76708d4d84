"""Requests a supervisor makes of its workers, over the pipes they already share.

Down, on the worker's stdin: `{"call": N, "op": OP, "args": {...}}`, one line each.
Up, on the worker's stdout between its one-second reports: `{"reply": N, "result": ...}`
or `{"reply": N, "error": "..."}`. The supervisor serves the status page and the
silence/ack API from these answers (`status.py`, `silences.py`); the state stays where the
polls are (each worker's estate and alert engine), nothing is copied ahead of a request.

    part      the worker's share of the summary: counts, lateness, receivers' health
    rows      its device rows matching `filters`
    device    one device's page data (null when another worker has it)
    alerts    its pending and firing alerts
    silences  adopt the supervisor's silences (the whole set, `SilenceBook.snapshot`)
    ack       acknowledge its firing alerts named by `ref`; their ids
    retry     queue its dead-lettered notifications again; how many
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lanpulse.alerts.control import AlertController
    from lanpulse.web.status import LocalStatus

log = logging.getLogger(__name__)
# A reply can hold every device row of a worker: ~300 bytes each.
MAX_LINE_BYTES = 256 * 1024 * 1024
CALL_TIMEOUT_S = 10.0


class CallFailed(Exception):
    """A worker did not answer (gone, restarting, too slow) or answered with an error."""


class WorkerCalls:
    """A worker's side: answers the supervisor's calls from its own state."""

    def __init__(
        self,
        status: LocalStatus,
        control: AlertController,
        notifiers: Callable[[], Mapping[str, Any]],
    ) -> None:
        self.status = status
        self.control = control
        self.notifiers = notifiers
        self.ops: dict[str, Callable[[Mapping[str, Any]], Awaitable[object]]] = {
            "part": self._part,
            "rows": self._rows,
            "device": self._device,
            "alerts": self._alerts,
            "silences": self._silences,
            "ack": self._ack,
            "retry": self._retry,
        }

    async def answer(self, line: bytes | str) -> str | None:
        """The reply line to one call line (None: not a call)."""
        try:
            call = json.loads(line)
            number, op, args = int(call["call"]), str(call["op"]), dict(call.get("args", {}))
        except (ValueError, KeyError, TypeError):
            log.error("supervisor sent an unreadable line; ignored")
            return None
        handler = self.ops.get(op)
        if handler is None:
            return json.dumps({"reply": number, "error": f"unknown call {op!r}"})
        try:
            result = await handler(args)
        except Exception as exc:  # a bug answers as an error: the supervisor must go on
            log.exception("call %s failed", op)
            return json.dumps({"reply": number, "error": f"{op}: {exc}"})
        return json.dumps({"reply": number, "result": result}, default=str)

    async def _part(self, _args: Mapping[str, Any]) -> object:
        return {**self.status.estate.part(), "notifiers": self.notifiers()}

    async def _rows(self, args: Mapping[str, Any]) -> object:
        return self.status.estate.rows(args.get("filters") or {})

    async def _device(self, args: Mapping[str, Any]) -> object:
        return await self.status.device(str(args["name"]))

    async def _alerts(self, _args: Mapping[str, Any]) -> object:
        return await self.control.alerts()

    async def _silences(self, args: Mapping[str, Any]) -> object:
        return await self.control.adopt_silences(args)

    async def _ack(self, args: Mapping[str, Any]) -> object:
        return await self.control.ack(str(args["ref"]), str(args["comment"]), str(args["by"]))

    async def _retry(self, args: Mapping[str, Any]) -> object:
        return await self.control.retry_dead_letters(str(args["by"]))


class Caller:
    """The supervisor's side for one worker process: numbered calls, awaited replies."""

    def __init__(self, stdin: asyncio.StreamWriter) -> None:
        self.stdin = stdin
        self._numbers = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[object]] = {}

    async def call(
        self, op: str, args: Mapping[str, Any] | None = None, timeout_s: float = CALL_TIMEOUT_S
    ) -> object:
        """Send one call and wait for its reply; CallFailed when there is none."""
        number = next(self._numbers)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        line = json.dumps({"call": number, "op": op, "args": dict(args or {})}) + "\n"
        try:
            self.stdin.write(line.encode())
            await self.stdin.drain()
            return await asyncio.wait_for(future, timeout_s)
        except (OSError, RuntimeError) as exc:  # the pipe closed: the worker is gone
            raise CallFailed(f"{op}: worker gone ({exc})") from None
        except TimeoutError:
            raise CallFailed(f"{op}: no answer within {timeout_s}s") from None
        finally:
            self._waiting.pop(number, None)

    def deliver(self, reply: Mapping[str, Any]) -> None:
        """A reply line from the worker."""
        future = self._waiting.get(int(reply["reply"]))
        if future is None or future.done():
            return  # the caller gave up waiting
        if "error" in reply:
            future.set_exception(CallFailed(str(reply["error"])))
        else:
            future.set_result(reply.get("result"))

    def close(self) -> None:
        """The worker exited: every call still waiting fails now."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(CallFailed("worker exited"))
        self._waiting.clear()
