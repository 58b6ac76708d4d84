"""What discovery learnt of one device, from a sweep, a crawl or an import."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from lanpulse.config.inventory import AgentFacts

Source = Literal["sweep", "lldp", "cdp", "import", "netbox"]
CRAWL_SOURCES: frozenset[str] = frozenset({"sweep", "lldp", "cdp"})

_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class FoundDevice:
    """One device as discovery found it; `name` is what the inventory will call it."""

    name: str
    address: str
    source: Source
    port: int = 161
    device_class: str | None = None
    profile: str | None = None
    credentials: str | None = None  # the credential set's name, never a secret
    site: str | None = None
    group: str | None = None
    parent: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    agent: AgentFacts = field(default_factory=AgentFacts)
    addresses: tuple[str, ...] = ()  # every address it answered on (duplicates folded)


def identity_keys(agent: AgentFacts) -> list[str]:
    """What makes two sightings one device: the engine ID, and sysName + serial."""
    keys = []
    if agent.engine_id:
        keys.append(f"engine:{agent.engine_id}")
    if agent.sys_name and agent.serial:
        keys.append(f"serial:{agent.sys_name}|{agent.serial}")
    return keys


def device_name(sys_name: str | None, address: str) -> str:
    """An inventory name: the sysName's host part, or one made from the address."""
    text = (sys_name or "").strip()
    if text and not text.startswith("<"):  # `<private>`: an anonymised recording
        host = text.split()[0]
        if not _is_address(host):
            host = host.split(".")[0] or host
        cleaned = _NOT_NAME.sub("-", host).strip("-.")
        if cleaned:
            return cleaned
    return "dev-" + _NOT_NAME.sub("-", address).strip("-")


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
