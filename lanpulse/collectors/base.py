"""The seams between profiles, collectors and transports.

A collector takes a `Device` and a plan (what to fetch, derived from its profile) and
returns a raw result. The SNMP transport sits behind `SnmpClient` so that a faster one can
replace pysnmp without touching callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lanpulse.core.model import SnmpCredentials, SnmpValue


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """Where and how to send SNMP requests for one device."""

    device: str
    address: str
    port: int
    credentials: SnmpCredentials


@dataclass(frozen=True, slots=True)
class SnmpPlan:
    """What one poll fetches: scalar OIDs (with their .0) and table column OIDs to walk."""

    scalars: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


class SnmpClient(Protocol):
    """An SNMP transport. Errors raise `CollectError` subclasses naming the device."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """GET many OIDs (batched into PDUs); OIDs the agent does not have are left out."""
        ...

    async def walk(
        self, target: SnmpTarget, columns: Sequence[str]
    ) -> dict[str, dict[str, SnmpValue]]:
        """Walk table columns (GETBULK, GETNEXT for v1): column OID -> {index: value}."""
        ...

    def close(self) -> None:
        """Release sockets and the engine."""
        ...
