"""The kazoo client of a poller-group member: TLS, digest auth, retries, and the checks
kazoo leaves to its user (the session timeout ZooKeeper granted; a TLS set-up that can
never work, refused at start in one line instead of a warning per reconnect attempt).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from lanpulse.cluster.fence import servers_of
from lanpulse.config.cluster import ClusterSettings
from lanpulse.core.errors import ConfigError

# While ZooKeeper is away kazoo logs two lines per reconnect attempt; a summary this often.
RECONNECT_SUMMARY_S = 60.0
# A TLS check at start waits this long for each server; one that does not answer is
# left to kazoo's reconnect loop (ZooKeeper may simply be down).
TLS_CHECK_TIMEOUT_S = 5.0


def make_client(settings: ClusterSettings) -> KazooClient:
    """A kazoo client for the settings (TLS and digest auth when configured)."""
    auth = acl = None
    if settings.digest_user is not None and settings.password is not None:
        auth = [("digest", f"{settings.digest_user}:{settings.password.reveal()}")]
        # What a member creates only members (the same credentials) may read or change.
        acl = [make_digest_acl(settings.digest_user, settings.password.reveal(), all=True)]
    return KazooClient(
        hosts=settings.zookeeper,
        timeout=settings.session_timeout,
        auth_data=auth,
        default_acl=acl,
        use_ssl=settings.tls,
        ca=settings.ca_file,
        certfile=settings.cert_file,
        keyfile=settings.key_file,
        verify_certs=settings.verify_certs,
        # The certificate must name the server: any other one the CA signed (a member's
        # client certificate) would otherwise pass for ZooKeeper.
        check_hostname=settings.verify_certs,
        # Reconnect for ever, and soon enough after ZooKeeper is back that the session is
        # still alive (a restarted server gives each session one timeout to come back).
        connection_retry={
            "max_tries": -1,
            "delay": 0.1,
            "max_delay": min(2.0, settings.session_timeout / 4),
        },
    )


def on_negotiated_timeout(client: KazooClient, callback: Callable[[float], None]) -> bool:
    """Call `callback(seconds)` with the session timeout ZooKeeper grants on each connect.

    The server clamps the requested timeout to its own limits and kazoo keeps the result
    to itself; its connection's `_connect` returns 2/3 of it (the read timeout). The leases
    must follow the granted value, so that method is wrapped; False when kazoo changed.
    """
    connection = getattr(client, "_connection", None)
    original = getattr(connection, "_connect", None)
    if original is None:
        return False

    def connect(*args: Any) -> Any:
        result = original(*args)
        with contextlib.suppress(TypeError, ValueError, IndexError):
            callback(float(result[0]) * 1.5 / 1000)
        return result

    connection._connect = connect  # type: ignore[union-attr]
    return True


def tls_context(settings: ClusterSettings) -> ssl.SSLContext:
    """The client TLS context kazoo builds from the same settings (its handlers' utils)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = settings.verify_certs
    context.verify_mode = ssl.CERT_REQUIRED if settings.verify_certs else ssl.CERT_NONE
    if settings.ca_file:
        context.load_verify_locations(settings.ca_file)
    if settings.cert_file and settings.key_file:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    return context


def tls_problem(settings: ClusterSettings, config_file: str | None = None) -> ConfigError | None:
    """Why the TLS settings can never connect (unreadable files, a server certificate the
    CA does not sign), or None. A server that does not answer is not a TLS problem."""
    if not settings.tls:
        return None
    try:
        context = tls_context(settings)
    except (OSError, ssl.SSLError) as exc:
        key = "cluster.ca_file" if "verify" in str(exc) else "cluster.cert_file"
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        return ConfigError(
            f"TLS files not usable: {reason}; expected a PEM CA file, and a PEM "
            "certificate with its key",
            file=config_file,
            key=key,
        )
    for host, port in servers_of(settings.zookeeper):
        try:
            with (
                socket.create_connection((host, port), timeout=TLS_CHECK_TIMEOUT_S) as raw,
                context.wrap_socket(raw, server_hostname=host),
            ):
                pass
        except ssl.SSLCertVerificationError as exc:
            trusted = settings.ca_file or "the system's CA store"
            return ConfigError(
                f"ZooKeeper {host}:{port}'s certificate is refused ({exc.verify_message}); "
                f"expected one for {host} signed by a CA in {trusted}",
                file=config_file,
                key="cluster.ca_file",
            )
        except ssl.SSLError as exc:
            return ConfigError(
                f"TLS handshake with ZooKeeper {host}:{port} failed ({exc.reason}); expected "
                "its secureClientPort",
                file=config_file,
                key="cluster.zookeeper",
            )
        except OSError:
            continue
    return None


class ReconnectSummary(logging.Filter):
    """kazoo's "Connecting to ..." and "Connection dropped: ..." lines, one per reconnect
    attempt (every 2 s at most, for as long as ZooKeeper is away): the first of each
    passes, then one a minute with the count. Any other kazoo line (a state change) ends
    the series."""

    def __init__(
        self, every_s: float = RECONNECT_SUMMARY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self._series: dict[str, tuple[float, int]] = {}  # kind -> (last passed, held back)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        kind = next(
            (k for k in ("Connecting to", "Connection dropped") if message.startswith(k)), None
        )
        if kind is None:
            self._series.clear()
            return True
        now = self.clock()
        passed, held = self._series.get(kind, (float("-inf"), 0))
        if now - passed < self.every_s:
            self._series[kind] = (passed, held + 1)
            return False
        self._series[kind] = (now, 0)
        if held:
            record.msg, record.args = f"{message} (and {held} more like it)", ()
        return True


def quiet_reconnects(logger: logging.Logger | None = None) -> None:
    """Install ReconnectSummary on kazoo's client logger (once per process)."""
    logger = logger or logging.getLogger("kazoo.client")
    if not any(isinstance(f, ReconnectSummary) for f in logger.filters):
        logger.addFilter(ReconnectSummary())
