"""A real Apache ZooKeeper (Debian's `zookeeperd` jars) on a free 127.0.0.1 port.

Standalone mode with a temporary data directory; `stop()` and `start()` again keep the
port and the data (sessions survive a restart that is shorter than their timeout, as
with a production ensemble). Only the process started here is ever stopped.

With `tls=` it also serves a `secureClientPort` through Netty, as ZooKeeper's admin guide
sets it up: a PKCS#12 key store (its certificate and key) and trust store (the CA whose
client certificates it accepts; `client_auth` "need" requires one).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.process import ChildProcess
from lanpulse.sim.servers import free_tcp_port

JARS = Path("/usr/share/java")
# The server jar's manifest names its dependencies (jute, netty, slf4j) in /usr/share/java.
CLASSPATH = f"{JARS / 'zookeeper.jar'}:{JARS / 'zookeeper-jute.jar'}"
MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
# TLS needs the Netty connection factory; the jar's manifest leaves out two Netty parts it
# loads then (Debian's netty-all.jar is only a list of the parts).
NETTY = "org.apache.zookeeper.server.NettyServerCnxnFactory"
NETTY_JARS = f":{JARS / 'netty-codec.jar'}:{JARS / 'netty-resolver.jar'}"


@dataclass(frozen=True)
class ZooKeeperTls:
    """The server side of TLS: PKCS#12 stores and their (throwaway) password."""

    key_store: Path
    trust_store: Path
    password: str
    client_auth: str = "need"  # need | want | none


class ZooKeeper(ChildProcess):
    """One standalone ZooKeeper server."""

    def __init__(
        self, workdir: Path | None = None, *, tick_ms: int = 200, tls: ZooKeeperTls | None = None
    ) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lanpulse-zookeeper-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_tcp_port()
        self.tick_ms = tick_ms
        self.tls = tls
        self.secure_port = free_tcp_port() if tls is not None else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "zookeeper.log"

    @property
    def hosts(self) -> str:
        """The connect string for clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def secure_hosts(self) -> str:
        """The connect string of the TLS port."""
        if self.secure_port is None:
            raise LanpulseError("this ZooKeeper was started without tls=")
        return f"127.0.0.1:{self.secure_port}"

    def _config(self) -> Path:
        conf = self.workdir / "zoo.cfg"
        conf.write_text(
            f"tickTime={self.tick_ms}\ndataDir={self.workdir / 'data'}\n"
            f"clientPort={self.port}\nclientPortAddress=127.0.0.1\n"
            "admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\n"
            # Short sessions for tests: 2 to 100 ticks.
            f"minSessionTimeout={2 * self.tick_ms}\nmaxSessionTimeout={100 * self.tick_ms}\n"
        )
        if self.tls is not None:
            # Keys ZooKeeper does not know become `zookeeper.<key>` system properties.
            with conf.open("a") as out:
                out.write(
                    f"secureClientPort={self.secure_port}\nsecureClientPortAddress=127.0.0.1\n"
                    f"serverCnxnFactory={NETTY}\n"
                    f"ssl.keyStore.location={self.tls.key_store}\nssl.keyStore.type=PKCS12\n"
                    f"ssl.keyStore.password={self.tls.password}\n"
                    f"ssl.trustStore.location={self.tls.trust_store}\n"
                    f"ssl.trustStore.type=PKCS12\nssl.trustStore.password={self.tls.password}\n"
                    f"ssl.clientAuth={self.tls.client_auth}\n"
                )
        return conf

    def ruok(self) -> bool:
        """True when the server answers its `ruok` four-letter word."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"ruok")
                return s.recv(8) == b"imok"
        except OSError:
            return False

    def start(self, timeout_s: float = 60.0) -> ZooKeeper:
        """Start the server and wait until it answers."""
        java = shutil.which("java")
        if java is None or not (JARS / "zookeeper.jar").exists():
            raise LanpulseError("zookeeperd is not installed (see .ci/run for apt packages)")
        # A small, quickly started JVM: the tests' ZooKeeper holds a few hundred znodes.
        command = [java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        classpath = CLASSPATH + (NETTY_JARS if self.tls is not None else "")
        command += ["-cp", classpath, MAIN, str(self._config())]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LanpulseError(f"zookeeper exited early; see {self.log_path}")
            if self.ruok():
                return self
            time.sleep(0.1)
        self.stop()
        raise LanpulseError(f"zookeeper did not answer within {timeout_s}s; see {self.log_path}")
