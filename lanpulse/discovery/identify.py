"""An agent's identity answers -> `FoundDevice`: profile and class (the project's own profile
selection), site from sysLocation rules, and duplicates (one device on several addresses)
folded into one. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from lanpulse.config.discovery import SiteRule
from lanpulse.config.inventory import AgentFacts
from lanpulse.config.profiles import ProfileSet
from lanpulse.core.model import SnmpValue
from lanpulse.discovery.records import FoundDevice, Source, device_name, identity_keys
from lanpulse.parsers.values import as_text

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"  # SNMP-FRAMEWORK-MIB snmpEngineID
CHASSIS_SERIAL = "1.3.6.1.2.1.47.1.1.1.1.11.1"  # ENTITY-MIB entPhysicalSerialNum, entity 1
IDENTITY_OIDS = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_LOCATION, ENGINE_ID, CHASSIS_SERIAL)


@dataclass(frozen=True, slots=True)
class SiteRules:
    """sysLocation -> site: the first rule whose regex is found in the text."""

    rules: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def of(cls, rules: Iterable[SiteRule]) -> SiteRules:
        """Compile the configured rules once."""
        return cls(tuple((re.compile(r.match), r.site) for r in rules))

    def site(self, location: str | None) -> str | None:
        """The site of a sysLocation, or None when no rule matches."""
        if location:
            for pattern, site in self.rules:
                if pattern.search(location):
                    return site
        return None


def identify(
    address: str,
    answers: Mapping[str, SnmpValue],
    *,
    credentials: str,
    profiles: ProfileSet,
    probes_answered: Sequence[str] = (),
    source: Source = "sweep",
    site: str | None = None,
    sites: SiteRules | None = None,
) -> FoundDevice:
    """What one answering agent is; `site` (its subnet's) wins over the sysLocation rules."""

    def text(oid: str) -> str | None:
        value = answers.get(oid)
        if value is None:
            return None
        shown = value.hex() if oid == ENGINE_ID and isinstance(value, bytes) else as_text(value)
        return shown or None

    sys_object_id = text(SYS_OBJECT_ID)
    sys_descr = text(SYS_DESCR)
    selection = profiles.select(sys_object_id or "", sys_descr or "", answered=probes_answered)
    location = text(SYS_LOCATION)
    sys_name = text(SYS_NAME)
    return FoundDevice(
        name=device_name(sys_name, address),
        address=address,
        source=source,
        device_class=selection.profile.device_class,
        profile=selection.profile.name,
        credentials=credentials,
        site=site or (sites.site(location) if sites else None),
        agent=AgentFacts(
            sys_name=sys_name,
            sys_object_id=sys_object_id,
            sys_descr=sys_descr,
            sys_location=location,
            engine_id=text(ENGINE_ID),
            serial=text(CHASSIS_SERIAL),
        ),
        addresses=(address,),
    )


def identity_key(device: FoundDevice) -> str | None:
    """What makes two answers one device: the engine ID, else sysName + serial."""
    keys = identity_keys(device.agent)
    return keys[0] if keys else None


def fold_duplicates(found: Iterable[FoundDevice]) -> list[FoundDevice]:
    """One device per identity, at its first address, with every address it answered on."""
    order: list[str] = []
    merged: dict[str, FoundDevice] = {}
    for device in found:
        key = identity_key(device) or f"address:{device.address}"
        first = merged.get(key)
        if first is None:
            order.append(key)
            merged[key] = device
            continue
        addresses = tuple(dict.fromkeys((*first.addresses, *device.addresses)))
        merged[key] = replace(first, addresses=addresses)
    return [merged[k] for k in order]
