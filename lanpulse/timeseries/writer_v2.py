"""The InfluxDB v2 write API through influxdb-client (InfluxDB 2.x, 3.x, Cloud, 1.8+, VM).

The client's synchronous write API runs in a worker thread: the async client needs aiohttp,
which lanpulse does not depend on. The client's own retries are off; the shipper retries
with the spool behind it, so a batch is never dropped by the client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from lanpulse.config.influx import InfluxSettings
from lanpulse.config.secrets import safe_url
from lanpulse.core.errors import SinkError
from lanpulse.core.model import Secret
from lanpulse.timeseries.retention_v1 import RetentionPolicy
from lanpulse.timeseries.writer import classify_response


class InfluxV2Writer:
    """`POST /api/v2/write?org=&bucket=&precision=ns` with `Authorization: Token ...`."""

    def __init__(
        self,
        url: str,
        bucket: str,
        *,
        org: str | None = None,
        token: Secret | None = None,
        timeout_s: float = 10.0,
        gzip: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.org = org or "-"
        self.timeout_s = timeout_s
        self.gzip = gzip
        self._token = token
        self._client: Any = None
        self._write_api: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        """`influxdb-v2 URL org=.. bucket=..` without the token."""
        return f"influxdb-v2 {safe_url(self.url)} org={self.org} bucket={self.bucket}"

    def __repr__(self) -> str:
        return f"InfluxV2Writer({self.describe()!r})"

    def _api(self) -> Any:
        with self._lock:
            if self._write_api is None:
                self._client = InfluxDBClient(
                    url=self.url,
                    token=self._token.reveal() if self._token else "",
                    org=self.org,
                    timeout=int(self.timeout_s * 1000),
                    enable_gzip=self.gzip,
                )
                self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
            return self._write_api

    async def write(self, lines: bytes, count: int) -> None:
        """Send one batch; returns after the server answered 2xx."""
        await asyncio.to_thread(self._post, lines)

    def _post(self, lines: bytes) -> None:
        target = self.describe()
        try:
            self._api().write(
                bucket=self.bucket, org=self.org, record=lines, write_precision=WritePrecision.NS
            )
        except ApiException as exc:
            headers = dict(exc.headers) if exc.headers else None
            raise classify_response(int(exc.status or 0), exc.body, headers, target) from None
        except Exception as exc:
            # urllib3 connection errors (refused, reset, timeout) differ between urllib3
            # flavours; all of them mean "try again later".
            reason = _short_reason(exc)
            raise SinkError(f"{target}: {reason}", retryable=True) from None

    async def close(self) -> None:
        """Close the client's connection pool."""
        with self._lock:
            if self._client is not None:
                client, self._client, self._write_api = self._client, None, None
                await asyncio.to_thread(client.close)


def _short_reason(exc: Exception) -> str:
    """A one-line reason for a transport failure, without URLs that could carry secrets."""
    root: BaseException = exc
    while root.__cause__ is not None or getattr(root, "reason", None) is not None:
        nxt = root.__cause__ or getattr(root, "reason", None)
        if not isinstance(nxt, BaseException) or nxt is root:
            break
        root = nxt
    text = str(root).split(": ", 1)[-1] if ": " in str(root) else str(root)
    return f"{type(root).__name__}: {text}"[:200]


def build(
    settings: InfluxSettings, retention_policies: Sequence[RetentionPolicy]
) -> InfluxV2Writer:
    """The writer of `api: v2` (the token from value, file or env; retention policies are a
    1.x notion, so v2 has none to set up)."""
    return InfluxV2Writer(
        settings.url,
        settings.bucket or "",
        org=settings.org,
        token=settings.secret("token"),
        timeout_s=settings.timeout,
        gzip=settings.gzip,
    )
