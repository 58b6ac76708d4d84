"""Run net-snmp's `snmpd` on 127.0.0.1 with a throw-away configuration.

Used by the SNMPv3 tests and the throughput benchmark: snmpd is the reference agent for
USM (every auth/priv combination net-snmp 5.9 knows) and a fast, real agent to measure
against. The agent gets its own temp directory (config, persistent store, log) and is the
only process this module ever stops.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanpulse.core.errors import LanpulseError
from lanpulse.core.model import Secret, SnmpCredentials
from lanpulse.sim.process import ChildProcess
from lanpulse.sim.snmpsim import free_udp_port

SNMPD = "/usr/sbin/snmpd"

# net-snmp's names on the createUser line, by lanpulse credential name.
NETSNMP_AUTH = {
    "md5": "MD5",
    "sha": "SHA",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
NETSNMP_PRIV = {
    "des": "DES",
    "aes": "AES",
    "aes192": "AES-192",
    "aes256": "AES-256",
    "aes192c": "AES-192-C",
    "aes256c": "AES-256-C",
}


@dataclass(frozen=True, slots=True)
class SnmpdUser:
    """One SNMPv3 user to create in the agent (protocols by lanpulse name, e.g. sha256)."""

    name: str
    auth_protocol: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    priv_protocol: str | None = None
    priv_password: str | None = field(default=None, repr=False)

    def credentials(self, **changes: Any) -> SnmpCredentials:
        """lanpulse's SNMPv3 credentials for this user (`changes` override fields)."""
        fields: dict[str, Any] = {
            "version": "3",
            "user": self.name,
            "auth_protocol": self.auth_protocol,
            "auth_password": Secret(self.auth_password) if self.auth_password else None,
            "priv_protocol": self.priv_protocol,
            "priv_password": Secret(self.priv_password) if self.priv_password else None,
        }
        return SnmpCredentials(**{**fields, **changes})

    def config_lines(self) -> list[str]:
        """The createUser and rouser lines for snmpd.conf."""
        if not self.auth_protocol:
            return [f"createUser {self.name}", f"rouser {self.name} noauth"]
        words = [
            "createUser",
            self.name,
            NETSNMP_AUTH[self.auth_protocol],
            _quoted(self.auth_password or ""),
        ]
        level = "auth"
        if self.priv_protocol:
            words += [NETSNMP_PRIV[self.priv_protocol], _quoted(self.priv_password or "")]
            level = "priv"
        return [" ".join(words), f"rouser {self.name} {level}"]


class _PortTaken(Exception):
    """snmpd could not bind its UDP port."""


def _quoted(text: str) -> str:
    if any(c in text for c in '"\n'):
        raise LanpulseError("snmpd test passwords must not contain quotes or newlines")
    return f'"{text}"'


def probe_packet(community: str, oid: str = "1.3.6.1.2.1.1.3.0") -> bytes:
    """A v2c GET of one OID (sysUpTime.0), used to tell that the agent answers."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto.api import v2c

    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, [(v2c.ObjectIdentifier(oid), v2c.null)])
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, community)
    v2c.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


class SnmpdAgent(ChildProcess):
    """One snmpd process on 127.0.0.1:`port`, configured from `community` and `users`."""

    def __init__(
        self,
        *,
        community: str = "lanpulse-test",
        users: tuple[SnmpdUser, ...] = (),
        port: int | None = None,
        extra_config: tuple[str, ...] = (),
        extra_args: tuple[str, ...] = (),
        workdir: Path | None = None,
        keep_state: bool = False,
    ) -> None:
        self._chosen_port = port is None
        self.port = port or free_udp_port()
        self.community = community
        self.users = users
        self.extra_config = extra_config
        self.extra_args = extra_args
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lanpulse-snmpd-"))
        self.conf_path = self.workdir / "snmpd.conf"
        self.persist_dir = self.workdir / "persist"
        self.log_path = self.workdir / "snmpd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        # With `-C` snmpd reads no persistent file: boots stay 1 and a new engine ID is
        # made per start. keep_state reads it, so a restart is a reboot (boots + 1).
        self.keep_state = keep_state

    def config_text(self) -> str:
        """The snmpd.conf this agent runs with."""
        lines = [
            f"agentaddress udp:127.0.0.1:{self.port}",
            f"rocommunity {self.community} 127.0.0.1",
            "master no",  # no AgentX socket: it would be shared between test agents
            "dontLogTCPWrappersConnects yes",  # one log line per request otherwise
            f"[snmp] persistentDir {self.persist_dir}",
        ]
        for user in self.users:
            lines += user.config_lines()
        lines += list(self.extra_config)
        return "\n".join(lines) + "\n"

    def start(self, timeout_s: float = 15.0) -> SnmpdAgent:
        """Write the config, start snmpd in the foreground and wait until it answers.

        A port chosen here may be taken by someone else before snmpd binds it (tests run in
        parallel): then snmpd exits at once and another free port is tried.
        """
        if not Path(SNMPD).exists():
            raise LanpulseError(f"{SNMPD} not found: install the Debian package snmpd")
        for _ in range(3):
            try:
                return self._start_once(timeout_s)
            except _PortTaken:
                if not self._chosen_port:
                    break
                self.port = free_udp_port()
        raise LanpulseError(f"snmpd could not bind udp:127.0.0.1:{self.port}; see {self.log_path}")

    def _start_once(self, timeout_s: float) -> SnmpdAgent:
        self.persist_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.config_text())
        self.conf_path.chmod(0o600)
        config = str(self.conf_path)
        if self.keep_state:
            state = self.persist_dir / "snmpd.conf"
            state.touch()
            config += f",{state}"
        env = dict(
            os.environ,
            SNMP_PERSISTENT_DIR=str(self.persist_dir),
            MIBS="",  # the agent needs no MIB files; skip loading and their warnings
            MIBDIRS="",
        )
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                SNMPD,
                "-f",
                "-Lo",
                "-C",
                "-c",
                config,
                "-M",
                "/dev/null",
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        probe = probe_packet(self.community)
        deadline = time.monotonic() + timeout_s
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.1)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    if b"Error opening specified endpoint" in self.log_path.read_bytes():
                        raise _PortTaken()
                    raise LanpulseError(
                        f"snmpd exited with {self.proc.returncode}; see {self.log_path}"
                    )
                try:
                    sock.sendto(probe, ("127.0.0.1", self.port))
                    sock.recvfrom(65535)
                    return self
                except (TimeoutError, ConnectionRefusedError):
                    time.sleep(0.05)
        self.stop()
        raise LanpulseError(f"snmpd did not answer within {timeout_s}s; see {self.log_path}")
