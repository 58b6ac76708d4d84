"""Poll one inventory device once, exactly as the daemon would (for `lanpulse alerts test
--device NAME` and other one-shot tools).

The same profiles (built-in plus `profiles_dirs`), the same poller and the same `device`
sample on failure; a device name that is not in the inventory is a ConfigError with a
"did you mean" hint.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lanpulse.core.errors import ConfigError
from lanpulse.core.model import PollOutcome, Sample


async def poll_outcome(config_path: str | Path, device_name: str) -> PollOutcome:
    """Load the configuration, find `device_name`, poll it once; the full outcome."""
    (outcome,) = await poll_outcomes(config_path, device_name)
    return outcome


async def poll_outcomes(
    config_path: str | Path, device_name: str, count: int = 1, every_s: float = 10.0
) -> list[PollOutcome]:
    """Poll `device_name` `count` times, `every_s` apart, with one device state, so the
    second and later polls carry rates (counters need two polls)."""
    from lanpulse.collectors.snmp.client import make_snmp_client
    from lanpulse.config.loader import load_config
    from lanpulse.config.profiles import load_profiles
    from lanpulse.pipeline.poll import DeviceState, SnmpPoller

    loaded = load_config(str(config_path))
    device = loaded.device(device_name)
    if device.snmp is None:
        raise ConfigError(f"device {device_name!r} has no snmp section: nothing to poll")
    client = make_snmp_client()
    outcomes: list[PollOutcome] = []
    try:
        poller = SnmpPoller(client, load_profiles(loaded.settings.profiles_dirs))
        state = DeviceState()
        for n in range(count):
            if n:
                await asyncio.sleep(every_s)
            outcomes.append((await poller.poll(device, state)).outcome)
    finally:
        client.close()
    return outcomes


def poll_once(
    config_path: str | Path, device_name: str, count: int = 1, every_s: float = 10.0
) -> list[Sample]:
    """The samples of `count` polls of `device_name` (each `device` sample says whether it
    answered)."""
    outcomes = asyncio.run(poll_outcomes(config_path, device_name, count, every_s))
    return [s for outcome in outcomes for s in outcome.samples]
