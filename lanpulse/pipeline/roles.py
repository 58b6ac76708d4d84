"""The interface-role tagger of a configuration (docs/capacity.md): the daemon's, and the
backfill's, built one way."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lanpulse.config.roles import RoleSettings, builtin_rules
from lanpulse.core.model import Device
from lanpulse.parsers.roles import PortNeighbors, RoleTagger, known_devices


def build_role_tagger(
    roles: RoleSettings,
    devices: Sequence[Device],
    neighbors: PortNeighbors,
    profile_of: Callable[[str], str | None] | None = None,
) -> RoleTagger | None:
    """Overrides, the configured rules, then the built-in ones; None when roles are off.
    `neighbors` is kept by the caller (the daemon keeps one across reloads) and forgets the
    devices no longer in the inventory. `profile_of` names each device's profile (rules
    with `profiles:`); without it (the backfill) those rules match nothing."""
    if not roles.enabled:
        return None
    neighbors.forget({d.name for d in devices})
    return RoleTagger(
        (*roles.rules, *builtin_rules()),
        roles.overrides,
        {d.name: d.group for d in devices if d.group},
        neighbors=neighbors,
        known=known_devices([(d.name, d.address) for d in devices]),
        classes={d.name: d.device_class for d in devices if d.device_class},
        profile_of=profile_of,
    )
