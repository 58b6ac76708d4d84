"""InfluxDB 1.x `/write` (database, retention policy, user and password) over urllib.

urllib blocks, so each request runs in a worker thread (`asyncio.to_thread`) and the event
loop keeps polling. No extra dependency: InfluxDB 1.x needs nothing but one POST.
"""

from __future__ import annotations

import asyncio
import base64
import gzip as gzip_module
import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from lanpulse.config.influx import InfluxSettings
from lanpulse.config.secrets import safe_url
from lanpulse.core.errors import SinkError
from lanpulse.core.model import Secret
from lanpulse.timeseries.retention_v1 import RetentionPolicy, ensure_policies
from lanpulse.timeseries.writer import classify_response

# Connect directly, like influxdb-client does: a stray http_proxy in the daemon's environment
# must not route metrics (and credentials) through a proxy nobody configured for InfluxDB.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class InfluxV1Writer:
    """POST /write?db=&rp=&precision=ns with HTTP basic auth (never u=/p= in the URL)."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_policy: str | None = None,
        username: str | None = None,
        password: Secret | None = None,
        timeout_s: float = 10.0,
        gzip: bool = False,
        create_database: bool = True,
        retention_policies: Sequence[RetentionPolicy] = (),
    ) -> None:
        self.url = url.rstrip("/")
        # Like Telegraf: a database that does not exist yet is created once, on the first
        # "database not found"; without the privilege, the 404/403 is reported as usual.
        self.create_database = create_database
        # Set up once, before the first write (docs/capacity.md): raw and rollup retention.
        self._policies_pending = tuple(retention_policies)
        self.database = database
        self.retention_policy = retention_policy
        self.timeout_s = timeout_s
        self.gzip = gzip
        params = {"db": database, "precision": "ns"}
        if retention_policy:
            params["rp"] = retention_policy
        self._endpoint = f"{self.url}/write?{urllib.parse.urlencode(params)}"
        self._headers = {"Content-Type": "text/plain; charset=utf-8"}
        if gzip:
            self._headers["Content-Encoding"] = "gzip"
        if username:
            secret = password.reveal() if password else ""
            token = base64.b64encode(f"{username}:{secret}".encode()).decode()
            self._auth = {"Authorization": f"Basic {token}"}
        else:
            self._auth = {}

    def describe(self) -> str:
        """`influxdb-v1 URL db=NAME` without credentials."""
        rp = f" rp={self.retention_policy}" if self.retention_policy else ""
        return f"influxdb-v1 {safe_url(self.url)} db={self.database}{rp}"

    def __repr__(self) -> str:
        return f"InfluxV1Writer({self.describe()!r})"

    async def write(self, lines: bytes, count: int) -> None:
        """Send one batch; returns after InfluxDB answered 2xx."""
        await asyncio.to_thread(self._post, lines)

    async def close(self) -> None:
        """Nothing to release: every request uses its own connection."""

    def _post(self, lines: bytes, *, may_create: bool = True) -> None:
        if self._policies_pending and ensure_policies(
            _DIRECT,
            self.url,
            self.database,
            self._policies_pending,
            self._auth,
            self.timeout_s,
            create_database=self.create_database,
        ):
            self._policies_pending = ()
        body = gzip_module.compress(lines, 5) if self.gzip else lines
        request = urllib.request.Request(
            self._endpoint, data=body, method="POST", headers={**self._headers, **self._auth}
        )
        target = self.describe()
        try:
            with _DIRECT.open(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            if (
                exc.code == 404
                and may_create
                and self.create_database
                and b"database not found" in payload
            ):
                self._create_database()
                self._post(lines, may_create=False)
                return
            raise classify_response(exc.code, payload, dict(exc.headers), target) from None
        except urllib.error.URLError as exc:
            raise SinkError(f"{target}: {exc.reason}", retryable=True) from None
        except (OSError, http.client.HTTPException) as exc:
            raise SinkError(f"{target}: {type(exc).__name__}: {exc}", retryable=True) from None

    def _create_database(self) -> None:
        """CREATE DATABASE (idempotent in InfluxDB 1.x); errors surface on the retried write."""
        name = self.database.replace("\\", "\\\\").replace('"', '\\"')
        query = urllib.parse.urlencode({"q": f'CREATE DATABASE "{name}"'}).encode()
        request = urllib.request.Request(
            f"{self.url}/query", data=query, method="POST", headers=dict(self._auth)
        )
        try:
            with _DIRECT.open(request, timeout=self.timeout_s) as response:
                response.read()
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            pass


def build(
    settings: InfluxSettings, retention_policies: Sequence[RetentionPolicy]
) -> InfluxV1Writer:
    """The writer of `api: v1` (the password from value, file or env)."""
    return InfluxV1Writer(
        settings.url,
        settings.database or "",
        retention_policy=settings.retention_policy,
        username=settings.username,
        password=settings.secret("password"),
        timeout_s=settings.timeout,
        gzip=settings.gzip,
        create_database=settings.create_database,
        retention_policies=retention_policies,
    )
