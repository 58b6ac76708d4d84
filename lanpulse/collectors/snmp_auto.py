"""`AutoSnmpClient`: the `SnmpClient` callers use — v1/v2c on the fast transport, v3 on pysnmp.

Community messages are simple enough for lanpulse's own codec (`FastSnmpClient`); SNMPv3
(USM keys, encryption, engine discovery) stays on pysnmp, which is only imported and set up
once a v3 device is polled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp_fast import FastSnmpClient
from lanpulse.collectors.snmp_shared import GetResult, WalkResult

if TYPE_CHECKING:
    from lanpulse.collectors.snmp_client import PysnmpClient


class AutoSnmpClient:
    """Routes each target by SNMP version. Create and use it inside one running loop."""

    def __init__(self, *, get_batch_size: int = 20) -> None:
        self.get_batch_size = get_batch_size
        self.fast = FastSnmpClient(get_batch_size=get_batch_size)
        self._pysnmp: PysnmpClient | None = None

    @property
    def pysnmp(self) -> PysnmpClient:
        """The SNMPv3 transport, created on first use."""
        if self._pysnmp is None:
            from lanpulse.collectors.snmp_client import PysnmpClient

            self._pysnmp = PysnmpClient(get_batch_size=self.get_batch_size)
        return self._pysnmp

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        """GET through the transport for the target's SNMP version (see `SnmpClient`)."""
        if target.credentials.version in ("1", "2c"):
            return await self.fast.get(target, oids)
        return await self.pysnmp.get(target, oids)

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        """Walk through the transport for the target's SNMP version (see `SnmpClient`)."""
        if target.credentials.version in ("1", "2c"):
            return await self.fast.walk(target, columns)
        return await self.pysnmp.walk(target, columns)

    def close(self) -> None:
        """Close both transports; requests still waiting are cancelled."""
        self.fast.close()
        if self._pysnmp is not None:
            self._pysnmp.close()


def make_snmp_client(*, get_batch_size: int = 20) -> AutoSnmpClient:
    """The SNMP transport for a poller: fast for v1/v2c, pysnmp for v3."""
    return AutoSnmpClient(get_batch_size=get_batch_size)
