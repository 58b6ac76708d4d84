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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
    """Rollups from InfluxDB through InfluxQL `/query`."""

    def __init__(self, influx: InfluxSettings, rollups: RollupSettings) -> None:
        # Without user info (never in a message); credentials go in the Authorization header.
        self.url = safe_url(influx.url).rstrip("/")
        self.timeout_s = influx.timeout
        if influx.api == "v1":
            self.database = influx.database or ""
            self.policy: str | None = rollups.retention_policy
            secret = influx.resolved_password()
            if influx.username:
                basic = base64.b64encode(f"{influx.username}:{secret or ''}".encode()).decode()
                self._auth = {"Authorization": f"Basic {basic}"}
            else:
                self._auth = {}
        else:
            # The v1-compatible endpoint maps a database name to the bucket (DBRP mapping).
            self.database = rollups.bucket or influx.bucket or ""
            self.policy = None
            token = influx.resolved_token()
            self._auth = {"Authorization": f"Token {token}"} if token else {}

    def query(self, statement: str) -> list[Series]:
        """Run one InfluxQL SELECT; its series as typed records."""
        params = urllib.parse.urlencode({"q": statement, "db": self.database, "epoch": "ns"})
        request = urllib.request.Request(
            f"{self.url}/query", data=params.encode(), method="POST", headers=self._auth
        )
        try:
            with _DIRECT.open(request, timeout=self.timeout_s) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{self.url}/query answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise SourceError(f"{self.url}/query: {exc}") from None
        out: list[Series] = []
        for result in body.get("results", []):
            if "error" in result:
                raise SourceError(f"InfluxDB refused a report query: {result['error']}")
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

    def series(
        self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int
    ) -> list[Series]:
        """Every series of a rollup measurement, with the named fields, over [start, end)."""
        target = quote_ident(measurement)
        if self.policy:
            target = f"{quote_ident(self.policy)}.{target}"
        columns = ", ".join(quote_ident(f) for f in fields)
        return self.query(
            f"SELECT {columns} FROM {target} WHERE time >= {start_ns} AND time < {end_ns} "
            "GROUP BY *"
        )
