"""InfluxDB 1.x retention policies that lanpulse sets up: raw data for weeks, rollups for years.

Run once by the v1 writer before its first write: CREATE DATABASE, then each policy is
created, or altered when it exists with another duration (InfluxDB 1.x has no "create or
replace"). Failures are left to surface on the write itself, with its usual classification.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """One retention policy: name, how long points live, and whether it is the default."""

    name: str
    duration_s: float
    default: bool = False

    @property
    def shard_duration_s(self) -> int:
        """As InfluxDB chooses: 1 h below 2 days, 1 d below 6 months, else 7 d."""
        if self.duration_s < 2 * 86400:
            return 3600
        return 86400 if self.duration_s < 180 * 86400 else 7 * 86400


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def policy_statements(database: str, policy: RetentionPolicy) -> tuple[str, str]:
    """(CREATE, ALTER) statements for one policy."""
    spec = (
        f"DURATION {max(int(policy.duration_s), 3600)}s REPLICATION 1 "
        f"SHARD DURATION {policy.shard_duration_s}s" + (" DEFAULT" if policy.default else "")
    )
    on = f"{quote_ident(policy.name)} ON {quote_ident(database)}"
    return f"CREATE RETENTION POLICY {on} {spec}", f"ALTER RETENTION POLICY {on} {spec}"


def ensure_policies(
    opener: urllib.request.OpenerDirector,
    url: str,
    database: str,
    policies: Sequence[RetentionPolicy],
    headers: Mapping[str, str],
    timeout_s: float,
    *,
    create_database: bool = True,
) -> bool:
    """CREATE DATABASE (unless told not to) and every policy (ALTER when it already exists);
    True when every policy now exists (False: the database is missing or refused, try again
    before a later write)."""
    statements = [f"CREATE DATABASE {quote_ident(database)}"] if create_database else []
    for policy in policies:
        create, alter = policy_statements(database, policy)
        statements += [create, alter]  # the ALTER also fixes an existing policy's duration
    statements.append(f"SHOW RETENTION POLICIES ON {quote_ident(database)}")
    body = b""
    for statement in statements:  # one per request: 1.x stops a batch at its first error
        query = urllib.parse.urlencode({"q": statement}).encode()
        request = urllib.request.Request(
            f"{url}/query", data=query, method="POST", headers=dict(headers)
        )
        try:
            with opener.open(request, timeout=timeout_s) as response:
                body = response.read()
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            body = b""
    try:
        series = json.loads(body)["results"][0]["series"][0]
        names = {row[0] for row in series["values"]}
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return all(p.name in names for p in policies)
