"""The SNMP client lanpulse polls with: one for v1, v2c and v3, over one walk driver.

`make_snmp_client()` gives the daemon, `lanpulse poll` and `lanpulse alerts test` a
`UnifiedSnmpClient`. Each target goes to a step: v1/v2c to `transport.CommunityStep`, v3 to
`v3.V3Step` (both lanpulse's own codec and USM, sharing one UDP socket), and to pysnmp's
`pysnmp_step.PysnmpStep` when the device says `snmp.engine: pysnmp` (or the client was
made with `engine="pysnmp"`) or uses 3DES, which lanpulse's USM does not speak. pysnmp is
imported only when a target needs it. The walk driver above the steps is the same for all.
"""

from __future__ import annotations

import random
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp.results import GetResult, WalkResult
from lanpulse.collectors.snmp.transport import CommunityStep, TransportStats, UdpTransport
from lanpulse.collectors.snmp.v3 import V3Step
from lanpulse.collectors.snmp.walk import Step, WalkDriver
from lanpulse.core.errors import ConfigError

if TYPE_CHECKING:
    from lanpulse.collectors.snmp.pysnmp_engine import EngineRegistry
    from lanpulse.collectors.snmp.pysnmp_step import PysnmpStep

ENGINES = ("native", "pysnmp")


class UnifiedSnmpClient:
    """`SnmpClient` for every SNMP version. Create and use it inside one running loop.

    `engine="pysnmp"` sends every target through pysnmp (the reference); `rng` picks the
    first request-id and the privacy salt (tests may pass a seeded one).
    """

    def __init__(
        self,
        *,
        get_batch_size: int = 20,
        engine: str = "native",
        rng: random.Random | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ConfigError(f"unknown engine {engine!r}, expected one of {', '.join(ENGINES)}")
        self.engine = engine
        self.driver = WalkDriver(get_batch_size=get_batch_size)
        self.transport = UdpTransport(rng)
        self.community = CommunityStep(self.transport)
        self.v3 = V3Step(self.transport)
        self._pysnmp: PysnmpStep | None = None

    @property
    def get_batch_size(self) -> int:
        """OIDs per GET PDU."""
        return self.driver.get_batch_size

    @property
    def stats(self) -> TransportStats:
        """Datagrams the native transport dropped or ignored."""
        return self.transport.stats

    @property
    def pysnmp(self) -> PysnmpStep:
        """The pysnmp step, created on first use."""
        if self._pysnmp is None:
            from lanpulse.collectors.snmp.pysnmp_step import PysnmpStep

            self._pysnmp = PysnmpStep()
        return self._pysnmp

    @property
    def engines(self) -> EngineRegistry:
        """pysnmp's engines (one per distinct key set of a user name)."""
        return self.pysnmp.engines

    def step_for(self, target: SnmpTarget) -> Step:
        """The step that speaks to `target` (see the module docstring)."""
        creds = target.credentials
        if self.engine == "pysnmp" or creds.engine == "pysnmp" or creds.priv_protocol == "3des":
            return self.pysnmp
        if creds.version == "3":
            return self.v3
        if creds.version in ("1", "2c"):
            return self.community
        raise ConfigError(f"unknown SNMP version {creds.version!r}", key="snmp.version")

    # get and walk hand back the driver's coroutine rather than awaiting it in one of
    # their own: a frame less per call, for the same awaitable.

    def get(self, target: SnmpTarget, oids: Sequence[str]) -> Coroutine[Any, Any, GetResult]:
        """GET many OIDs in batches (see `WalkDriver.get`)."""
        return self.driver.get(self.step_for(target), target, oids)

    def walk(self, target: SnmpTarget, columns: Sequence[str]) -> Coroutine[Any, Any, WalkResult]:
        """Walk table columns together (see `WalkDriver.walk`)."""
        return self.driver.walk(self.step_for(target), target, columns)

    def close(self) -> None:
        """Close the socket(s); requests still waiting are cancelled."""
        self.transport.close()
        if self._pysnmp is not None:
            self._pysnmp.close()


def make_snmp_client(*, get_batch_size: int = 20, engine: str = "native") -> UnifiedSnmpClient:
    """The SNMP client for a poller (daemon, `lanpulse poll`, `alerts test`)."""
    return UnifiedSnmpClient(get_batch_size=get_batch_size, engine=engine)


class PysnmpClient(UnifiedSnmpClient):
    """A client that sends every target through pysnmp (differential tests, benchmarks)."""

    def __init__(self, *, get_batch_size: int = 20) -> None:
        super().__init__(get_batch_size=get_batch_size, engine="pysnmp")


class NativeSnmpClient(UnifiedSnmpClient):
    """A client on lanpulse's own codec and USM only (tests, benchmarks)."""

    def __init__(self, *, get_batch_size: int = 20, rng: random.Random | None = None) -> None:
        super().__init__(get_batch_size=get_batch_size, rng=rng)
