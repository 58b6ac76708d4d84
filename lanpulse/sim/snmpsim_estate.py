"""Many SNMP agents on many 127.x addresses: one snmpsim process, one SNMP engine per agent.

snmpsim can run several independent engines in one process (`--v3-engine-id` starts each
engine's options: its own data directory, engine ID and endpoints). Linux routes all of
127.0.0.0/8 to `lo`, so each agent gets its own address with the same port, as a subnet of
real devices would; an agent given two addresses is one device answering on both.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.process import ChildProcess
from lanpulse.sim.snmpsim import _responder_command

COMMUNITY = "lanpulse-sim"


@dataclass(frozen=True, slots=True)
class SimAgent:
    """One simulated device: its addresses and its recording (snmprec text)."""

    addresses: tuple[str, ...]
    recording: str
    engine_id: str  # hex, also the agent's snmpEngineID (e.g. 8000000001020304)


def free_port_on(addresses: Sequence[str], tries: int = 50) -> int:
    """A UDP port free on every one of `addresses`."""
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first:
            first.bind((addresses[0], 0))
            port = int(first.getsockname()[1])
            try:
                for address in addresses[1:]:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                        other.bind((address, port))
            except OSError:
                continue
            return port
    raise LanpulseError("no UDP port free on every agent address")


def sorted_recording(lines: Sequence[str]) -> str:
    """snmprec lines in OID order (snmpsim walks the file in the order it is written)."""

    def key(line: str) -> tuple[int, ...]:
        return tuple(int(a) for a in line.split("|", 1)[0].split(".") if a.isdigit())

    return "\n".join(sorted((ln for ln in lines if ln.strip()), key=key)) + "\n"


class SnmpSimEstate(ChildProcess):
    """Serves every agent (v2c, community `community`) from one snmpsim process."""

    def __init__(
        self,
        agents: Sequence[SimAgent],
        *,
        port: int | None = None,
        community: str = COMMUNITY,
        workdir: Path | None = None,
    ) -> None:
        self.agents = list(agents)
        self.community = community
        addresses = [a for agent in self.agents for a in agent.addresses]
        self.port = port or free_port_on(addresses)
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lanpulse-estate-"))
        self.log_path = self.workdir / "snmpsim.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The responder's command line: one `--v3-engine-id` group per agent."""
        args = [*_responder_command(), f"--cache-dir={self.workdir / 'cache'}"]
        for number, agent in enumerate(self.agents):
            data = self.workdir / f"agent{number}"
            data.mkdir(parents=True, exist_ok=True)
            (data / f"{self.community}.snmprec").write_text(agent.recording)
            args += [f"--v3-engine-id={agent.engine_id}", f"--data-dir={data}"]
            args += [f"--agent-udpv4-endpoint={a}:{self.port}" for a in agent.addresses]
        return args

    def start(self, timeout_s: float = 120.0) -> SnmpSimEstate:
        """Start, and wait until every address answers a GET."""
        from lanpulse.sim.snmpd import probe_packet

        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        args = self.command()
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        waiting = {a for agent in self.agents for a in agent.addresses}
        probe = probe_packet(self.community, "1.3.6.1.2.1.1.2.0")
        deadline = time.monotonic() + timeout_s
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            while waiting and time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise LanpulseError(f"snmpsim exited; see {self.log_path}")
                for address in list(waiting):
                    sock.sendto(probe, (address, self.port))
                try:
                    while True:
                        _, (source, _) = sock.recvfrom(65535)
                        waiting.discard(source)
                except OSError:
                    pass
        if waiting:
            self.stop()
            raise LanpulseError(
                f"snmpsim: {len(waiting)} agents did not answer within {timeout_s}s; "
                f"see {self.log_path}"
            )
        return self
