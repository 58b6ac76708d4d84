"""The agent hosts on the status page: pushing hosts shown like polled devices.

A host that pushes (docs/agents.md) has no poll whose outcome the status page could follow;
its newest pushed samples stand in for one. A host that is in the inventory as well is
polled, and the page follows its polls instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lanpulse.core.model import Device, Sample

if TYPE_CHECKING:
    from lanpulse.config.settings import LoadedConfig
    from lanpulse.pipeline.agents import AgentHost, AgentRegistry
    from lanpulse.web.estate import EstateView


class AgentHostsView:
    """The status page's records of the agent hosts, and their newest samples on it.

    `config` returns the configuration in force (a reload swaps it). The agents' `registry`
    and the status page's `estate` are set by the daemon once it has made them: the agent
    service takes `observe` when it is built, and the page exists only once something asks
    for it. Until then the view shows nothing.
    """

    def __init__(self, config: Callable[[], LoadedConfig]) -> None:
        self._config = config
        self.registry: AgentRegistry | None = None
        self.estate: EstateView | None = None
        self._names: frozenset[str] = frozenset()
        self._names_of: object = None

    def observe(self, host: AgentHost, samples: Sequence[Sample]) -> None:
        """A pushing host's newest samples for the status page (a poll's outcome for it)."""
        if self.estate is None:
            return
        if host.name in self._inventory_names:
            return  # polled as well: the page follows its polls
        self.estate.observe(self._device(host), samples)

    def estate_devices(self, devices: Sequence[Device]) -> list[Device]:
        """What the status page shows: these devices, and the agent hosts not in the inventory."""
        agents = self.registry.hosts.values() if self.registry else ()
        names = self._inventory_names
        return [
            *devices,
            *(self._device(h) for h in agents if h.name not in names),
        ]

    def _device(self, host: AgentHost) -> Device:
        """The status page's record of an agent host (no SNMP, no SSH: it pushes)."""
        agents = self._config().settings.agents
        device = Device(
            host.name,
            host.address or "",
            device_class=host.device_class,
            labels=host.labels,
            interval_s=agents.interval if agents else 60,
            parent=host.parent,
            profile="agent",
        )
        view = self.estate.views.get(host.name) if self.estate else None
        return view.device if view is not None and view.device == device else device

    @property
    def _inventory_names(self) -> frozenset[str]:
        """The inventory's device names (made again when a reload swaps the configuration)."""
        loaded = self._config()
        if self._names_of is not loaded:
            self._names, self._names_of = frozenset(d.name for d in loaded.devices), loaded
        return self._names
