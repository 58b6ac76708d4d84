"""The one seam between the shipper and a time-series database, and how HTTP answers map to it.

Error policy (see docs/storage.md):
- `WriteRejected` (400, 413, 422): the batch itself is bad; retrying cannot help, so the
  shipper quarantines it in `rejected/` and the rest keeps flowing. On InfluxDB 1.x a 400
  "partial write" means the good points of the batch were stored.
- `SinkError(retryable=False)` (401, 403, 404, other 4xx): the configuration is wrong
  (credentials, database, bucket). The batch stays at the head of the spool and is retried
  slowly, so fixing the server or the config loses nothing.
- `SinkError(retryable=True, retry_after=...)`: network errors, 5xx, 429/503 honouring
  Retry-After.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Protocol

from lanpulse.core.errors import SinkError


class Writer(Protocol):
    """Sends one batch of newline-terminated line protocol; raises `SinkError` on failure."""

    async def write(self, lines: bytes, count: int) -> None:
        """Write `count` points; return only once the server acknowledged them."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    def describe(self) -> str:
        """Where this writer sends to, for logs (never includes credentials)."""
        ...


class WriteRejected(SinkError):
    """The server refused the batch's content (bad line protocol, type conflict, too large)."""

    def __init__(self, message: str, *, status: int, partial: bool) -> None:
        super().__init__(message, retryable=False)
        self.status = status
        self.partial = partial
        # InfluxDB 1.x reports how many points of a partial write it refused: `dropped=N`.
        found = re.search(r"dropped=(\d+)", message)
        self.dropped = int(found.group(1)) if found else 0


def server_message(body: bytes | str | None, limit: int = 300) -> str:
    """InfluxDB's own error text from a response body (v1 `error`, v2 `message`, or raw)."""
    if body is None:
        return ""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    text = text.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        for key in ("error", "message"):
            value = doc.get(key)
            if isinstance(value, str) and value:
                text = value
                break
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def classify_response(
    status: int, body: bytes | str | None, headers: Mapping[str, str] | None, target: str
) -> SinkError:
    """The error a non-2xx answer from `target` stands for (see the module docstring)."""
    detail = server_message(body) or "no message"
    message = f"{target}: HTTP {status}: {detail}"
    if status in (400, 413, 422):
        return WriteRejected(message, status=status, partial="partial write" in detail)
    if status in (429, 503):
        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        return SinkError(message, retryable=True, retry_after=retry_after)
    if status >= 500 or status == 408:
        return SinkError(message, retryable=True)
    return SinkError(message, retryable=False)
