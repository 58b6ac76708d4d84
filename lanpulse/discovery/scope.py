"""The subnets discovery may send to. Every send of a sweep, crawl or endpoint refresh asks
`Scope.allows` first: discovery never reaches an address outside the configured subnets."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lanpulse.core.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_SWEEP_ADDRESSES = 1 << 20  # a /12 of IPv4; an IPv6 /64 cannot be swept address by address


@dataclass(frozen=True, slots=True)
class Scope:
    """A set of networks; `allows` is the one check every discovery send goes through."""

    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, texts: Iterable[str], *, what: str = "--subnet") -> Scope:
        """Networks from `10.20.0.0/22` texts; a ConfigError naming `what` for a bad one."""
        networks = []
        for text in texts:
            try:
                networks.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"bad subnet {text!r}, expected an address/prefix such as 10.20.0.0/22",
                    key=what,
                ) from None
        return cls(tuple(networks))

    def allows(self, address: str) -> bool:
        """True when `address` is an IP address inside one of the networks."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def hosts(self) -> Iterator[str]:
        """Every host address of every network once, in order (no network/broadcast)."""
        total = sum(net.num_addresses for net in self.networks)
        if total > MAX_SWEEP_ADDRESSES:
            raise ConfigError(
                f"the subnets hold {total} addresses, expected at most "
                f"{MAX_SWEEP_ADDRESSES} per sweep (split the sweep)",
                key="--subnet",
            )
        seen: set[str] = set()
        for net in self.networks:
            hosts = net.hosts() if net.num_addresses > 2 else iter(net)
            for ip in hosts:
                text = str(ip)
                if text not in seen:
                    seen.add(text)
                    yield text

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __str__(self) -> str:
        return ", ".join(str(n) for n in self.networks)
