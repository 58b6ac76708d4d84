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
    from lanpulse.collectors.snmp.client import make_snmp_client
    from lanpulse.config.loader import load_config
    from lanpulse.config.profiles import load_profiles
    from lanpulse.pipeline.poll import DeviceState, SnmpPoller

    loaded = load_config(str(config_path))
    device = loaded.device(device_name)
    if device.snmp is None:
        raise ConfigError(f"device {device_name!r} has no snmp section: nothing to poll")
    client = make_snmp_client()
    try:
        poller = SnmpPoller(client, load_profiles(loaded.settings.profiles_dirs))
        report = await poller.poll(device, DeviceState())
    finally:
        client.close()
    return report.outcome


def poll_once(config_path: str | Path, device_name: str) -> list[Sample]:
    """The samples of one poll of `device_name` (its `device` sample says whether it answered)."""
    return list(asyncio.run(poll_outcome(config_path, device_name)).samples)
