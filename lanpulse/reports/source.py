"""Where reports read rollups from: InfluxQL over HTTP (I/O only, no interpretation).

InfluxDB 1.x answers `/query` itself; 2.x/3.x through their v1-compatible endpoint (a DBRP
mapping to the rollup bucket, docs/capacity.md), with the token as `Authorization: Token`.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lanpulse.config.capacity import RollupSettings
from lanpulse.config.influx import InfluxSettings
from lanpulse.config.secrets import safe_url
from lanpulse.core.errors import LanpulseError
from lanpulse.timeseries.retention_v1 import quote_ident

# As the writers do: no proxy that nobody configured for InfluxDB.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SourceError(LanpulseError):
    """The database could not answer a report's query."""


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a rollup measurement: its tags and its (time_ns, fields) points."""

    tags: dict[str, str]
    points: list[tuple[int, dict[str, float]]]


class RollupSource(Protocol):
    """Rollup points of a measurement over [start, end)."""

    def series(
        self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int
    ) -> list[Series]:
        """Every series of `measurement` (e.g. `interface_1h`) with the named fields."""
        ...


class InfluxQLSource:
    """Rollups from InfluxDB through InfluxQL `/query` (with `raw`, the raw points where the
    daemon writes them: the backfill reads those)."""

    def __init__(
        self, influx: InfluxSettings, rollups: RollupSettings, *, raw: bool = False
    ) -> None:
        # Without user info (never in a message); credentials go in the Authorization header.
        self.url = safe_url(influx.url).rstrip("/")
        self.timeout_s = influx.timeout
        if influx.api == "v1":
            self.database = influx.database or ""
            # Raw points: the policy the writer names, else the database's default one.
            self.policy: str | None = influx.retention_policy if raw else rollups.retention_policy
            secret = influx.resolved_password()
            if influx.username:
                basic = base64.b64encode(f"{influx.username}:{secret or ''}".encode()).decode()
                self._auth = {"Authorization": f"Basic {basic}"}
            else:
                self._auth = {}
        else:
            # The v1-compatible endpoint maps a database name to the bucket (DBRP mapping).
            bucket = influx.bucket if raw else (rollups.bucket or influx.bucket)
            self.database = bucket or ""
            self.policy = None
            token = influx.resolved_token()
            self._auth = {"Authorization": f"Token {token}"} if token else {}

    def _request(self, statement: str, **extra: str) -> urllib.request.Request:
        params = {"q": statement, "db": self.database, "epoch": "ns", **extra}
        body = urllib.parse.urlencode(params).encode()
        return urllib.request.Request(
            f"{self.url}/query", data=body, method="POST", headers=self._auth
        )

    def query(self, statement: str) -> list[Series]:
        """Run one InfluxQL SELECT; its series as typed records."""
        try:
            with _DIRECT.open(self._request(statement), timeout=self.timeout_s) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{self.url}/query answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise SourceError(f"{self.url}/query: {exc}") from None
        return _series_of(body)

    def stream(self, statement: str, chunk_size: int = 10_000) -> Iterator[Series]:
        """Run one InfluxQL SELECT with a chunked answer: its series in pieces of at most
        `chunk_size` points, in order, one piece in memory at a time (a series longer than
        a chunk comes as several pieces with the same tags)."""
        request = self._request(statement, chunked="true", chunk_size=str(chunk_size))
        try:
            with _DIRECT.open(request, timeout=self.timeout_s) as response:
                for line in response:  # InfluxDB 1.x: one JSON object per chunk and line
                    if line.strip():
                        yield from _series_of(json.loads(line))
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{self.url}/query answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise SourceError(f"{self.url}/query: {exc}") from None

    def target(self, measurement: str) -> str:
        """`"policy"."measurement"` (or the measurement alone) for a FROM clause."""
        target = quote_ident(measurement)
        return f"{quote_ident(self.policy)}.{target}" if self.policy else target

    def series(
        self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int
    ) -> list[Series]:
        """Every series of a rollup measurement, with the named fields, over [start, end)."""
        target = self.target(measurement)
        columns = ", ".join(quote_ident(f) for f in fields)
        return self.query(
            f"SELECT {columns} FROM {target} WHERE time >= {start_ns} AND time < {end_ns} "
            "GROUP BY *"
        )


def _series_of(body: dict[str, Any]) -> list[Series]:
    """The series of one `/query` answer (or one chunk of it) as typed records."""
    out: list[Series] = []
    for result in body.get("results", []):
        if "error" in result:
            raise SourceError(f"InfluxDB refused a query: {result['error']}")
        for series in result.get("series", []) or []:
            columns = series["columns"]
            points = [
                (
                    int(row[0]),
                    {c: v for c, v in zip(columns[1:], row[1:], strict=False) if v is not None},
                )
                for row in series["values"]
            ]
            out.append(Series(dict(series.get("tags") or {}), points))
    return out
