"""Which device is on which switch port, kept current while the daemon runs.

The endpoint table (`lanpulse discover --endpoints`, or the daemon's discovery cycle) is
joined with what each device is known by on the network (inventory addresses, agents' own
addresses and MACs: discovery/attachments.py). From the join follow the alert engine's
topology (a desktop's parent is the switch it is plugged into, unless the configuration
names one) and the `device_port` samples. It lives with the daemon because it needs both
`pipeline` (the agents' registry, the devices' states) and `discovery`, which are
independent layers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from lanpulse.core.model import Sample
from lanpulse.discovery.attachments import Attachments, Identity

if TYPE_CHECKING:
    from lanpulse.config.settings import LoadedConfig
    from lanpulse.pipeline.agents import AgentRegistry
    from lanpulse.pipeline.poll import DeviceState

# The daemon's logger: the messages are the daemon's, whichever module of it writes them.
log = logging.getLogger("lanpulse.daemon")
# How often the daemon looks whether the endpoint table or an agent's address changed (a stat
# and an integer compare; the join itself runs only on a change).
ATTACH_CHECK_S = 5.0


class PortAttachments:
    """The join of the endpoint table with the devices, rebuilt when either changes.

    `config` returns the configuration in force (a reload swaps it); `registry` is the
    agents' (None without `agents:`); `states` the devices' poll states (the class their
    profile chose); `set_topology` sets the running alert engine's parents and groups;
    `emit` takes the `device_port` samples.
    """

    def __init__(
        self,
        config: Callable[[], LoadedConfig],
        registry: AgentRegistry | None,
        states: Mapping[str, DeviceState],
        set_topology: Callable[[dict[str, str], dict[str, str]], None],
        emit: Callable[[Sequence[Sample]], object],
        clock_ns: Callable[[], int],
    ) -> None:
        self._config = config
        self._registry = registry
        self._states = states
        self._set_topology = set_topology
        self._emit = emit
        self._clock_ns = clock_ns
        self.attachments = Attachments()
        # What the join was built from: the endpoint file's mtime, the agents' identity
        # version, the configuration.
        self._attached_from: tuple[object, ...] | None = None

    def parents(self) -> dict[str, str]:
        """The alert engine's parents: configured ones, else the switch a device is on."""
        return {**self.attachments.parents(), **self._configured_parents()}

    def _configured_parents(self) -> dict[str, str]:
        """Parents set in the configuration (inventory, agents.hosts): they win over ports."""
        return {
            **(self._registry.parents() if self._registry else {}),
            **{d.name: d.parent for d in self._config().devices if d.parent},
        }

    def _identities(self) -> list[Identity]:
        """What each device is known by on the network: inventory addresses, agents' own."""
        out = [Identity(d.name, (d.address,)) for d in self._config().devices]
        for host in self._registry.hosts.values() if self._registry else ():
            addresses = (host.address,) if host.address else ()
            out.append(Identity(host.name, addresses, (host.mac,) if host.mac else ()))
        return out

    def _classes_and_labels(self) -> dict[str, tuple[str, dict[str, str]]]:
        """Device -> (class, labels), for the `device_port` samples."""
        out: dict[str, tuple[str, dict[str, str]]] = {}
        for host in self._registry.hosts.values() if self._registry else ():
            out[host.name] = (host.device_class, host.labels)
        for d in self._config().devices:
            state = self._states.get(d.name)
            chosen = state.selection.profile.device_class if state and state.selection else None
            out[d.name] = (d.device_class or chosen or "other", dict(d.labels))
        return out

    async def refresh(self) -> bool:
        """Join the endpoint table with the devices' addresses again when either changed;
        set the alert topology and write `device_port` samples. True when it was rebuilt."""
        from lanpulse.discovery.endpoints import EndpointTable

        loaded = self._config()
        path = loaded.base_dir / loaded.settings.discovery.endpoints.file
        try:
            mtime: float | None = path.stat().st_mtime
        except OSError:
            mtime = None
        version = self._registry.identity_version if self._registry else 0
        key = (mtime, version, id(loaded))
        if key == self._attached_from:
            return False
        table_changed = self._attached_from is None or self._attached_from[0] != mtime
        self._attached_from = key
        identities = self._identities()

        def build() -> Attachments:
            return Attachments.build(EndpointTable.load(path), identities)

        try:
            # ~0.2 s of CPU for 20,000 desktops (benchmarks/attachments.py): off the loop.
            attachments = await asyncio.to_thread(build)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("endpoint table %s not read (%s): ports not attached", path, exc)
            return False
        previous, self.attachments = self.attachments, attachments
        self._apply_topology()
        # A new table: every attachment again (its series stay current in InfluxDB); an
        # agent's new address: only what it changed.
        moved = None if table_changed else attachments.changed_since(previous)
        samples = attachments.samples(self._classes_and_labels(), self._clock_ns(), only=moved)
        self._emit(samples)
        return True

    def _apply_topology(self) -> None:
        groups = {d.name: d.group for d in self._config().devices if d.group}
        self._set_topology(self.parents(), groups)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh every ATTACH_CHECK_S until `stop` is set."""
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:  # the daemon's boundary: attaching ports must not stop polling
                log.exception("attaching devices to switch ports failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ATTACH_CHECK_S)
