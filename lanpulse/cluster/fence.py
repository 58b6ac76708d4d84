"""Whether a poller-group member may poll now: two leases, each backed by ZooKeeper's rules.

Another member takes a device over only after this member's session has expired on a
serving ZooKeeper, and ZooKeeper expires a session only after `timeout` without hearing
from its client, counted from the last request it received or from the moment a
(re)started server began tracking it. So a member may poll while either holds:

- session lease: a request it sent less than `lease` ago was answered (the session cannot
  expire before that send + timeout);
- outage lease: every ZooKeeper server refused a TCP connection (nothing listening on its
  client port) less than `lease` ago. A server that is not listening serves no session and
  expires none; one that starts afterwards gives every session a full timeout again. This
  is the stale-but-safe mode of a whole-ZooKeeper outage.

Anything else -- a connection that times out, an unreachable host, a server accepting
connections while this member has no answered request (it may be cut off from a serving
ensemble) -- proves nothing: the member is fenced. `lease` is 2/3 of the session timeout,
the rest is margin for the watch that tells the others, and for a paused process.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence

from kazoo.hosts import collect_hosts

Server = tuple[str, int]
LEASE_FRACTION = 2 / 3


def servers_of(connect_string: str) -> list[Server]:
    """The (host, port) pairs of a ZooKeeper connect string (the chroot left out)."""
    hosts, _chroot = collect_hosts(connect_string)
    return [(host, int(port)) for host, port in hosts]


def refused(server: Server, timeout_s: float) -> bool:
    """True when every address of the server actively refused a TCP connection.

    A timeout, an unreachable network or a name that does not resolve is not a refusal.
    """
    host, port = server
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as s:
            s.settimeout(timeout_s)
            try:
                s.connect(address)
            except ConnectionRefusedError:
                continue
            except OSError:
                return False
            return False  # something listens: it may serve sessions
    return bool(infos)


class Fence:
    """The two leases of a member (monotonic seconds); see the module doc."""

    def __init__(
        self,
        servers: Sequence[Server],
        session_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.servers = list(servers)
        self.clock = clock
        self.lease_s = session_timeout_s * LEASE_FRACTION
        self.answered_at = float("-inf")  # send time of the last answered request
        self.refused_at: dict[Server, float] = {}  # start of the last refused connect

    def set_session_timeout(self, seconds: float) -> None:
        """The timeout ZooKeeper negotiated (it clamps the requested one to its limits)."""
        self.lease_s = seconds * LEASE_FRACTION

    def answered(self, sent_at: float) -> None:
        """A request sent at `sent_at` was answered: the session was alive then."""
        self.answered_at = max(self.answered_at, sent_at)

    def session_lost(self) -> None:
        """ZooKeeper said the session expired: nothing it answered before counts."""
        self.answered_at = float("-inf")

    def probed(self, server: Server, started_at: float, was_refused: bool) -> None:
        """Record one probe of a server (started at `started_at`)."""
        if was_refused:
            self.refused_at[server] = max(self.refused_at.get(server, started_at), started_at)
        else:
            self.refused_at.pop(server, None)  # it listens now: earlier refusals are void

    def session_proven(self) -> bool:
        return self.clock() - self.answered_at < self.lease_s

    def outage_proven(self) -> bool:
        """Every server refused recently (the oldest of their last refusals counts)."""
        if not self.servers or any(s not in self.refused_at for s in self.servers):
            return False
        return self.clock() - min(self.refused_at[s] for s in self.servers) < self.lease_s

    def reason(self) -> str | None:
        """None when polling is safe now, else why not ("fenced")."""
        return None if self.session_proven() or self.outage_proven() else "fenced"
