"""Run snmpsim's command responder on 127.0.0.1 serving real `.snmprec` recordings.

Used by `lanpulse demo` and by the test harness. snmpsim answers a v1/v2c community equal
to a data file's path (without `.snmprec`) relative to the data directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.process import ChildProcess


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _responder_command() -> list[str]:
    exe = Path(sys.executable).with_name("snmpsim-command-responder")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("snmpsim-command-responder")
    if found:
        return [found]
    raise LanpulseError("snmpsim is not installed: pip install snmpsim")


class SnmpSimAgent(ChildProcess):
    """One snmpsim process serving every recording placed in its data directory."""

    def __init__(self, port: int | None = None, workdir: Path | None = None) -> None:
        self.port = port or free_udp_port()
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lanpulse-snmpsim-"))
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "snmpsim.log"

    def add(self, recording: Path, community: str | None = None) -> str:
        """Serve `recording` under `community` (default: its file name); return the community."""
        community = community or recording.name.removesuffix(".snmprec")
        dest = self.data_dir / f"{community}.snmprec"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(recording, dest)
        return community

    def add_text(self, community: str, text: str) -> str:
        """Serve a recording given as text (for generated or varied data)."""
        dest = self.data_dir / f"{community}.snmprec"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
        return community

    def start(self, timeout_s: float = 30.0) -> SnmpSimAgent:
        """Start the responder and wait until it answers a GET."""
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                *_responder_command(),
                f"--data-dir={self.data_dir}",
                f"--cache-dir={self.workdir / 'cache'}",
                f"--agent-udpv4-endpoint=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        # snmpsim logs "Listening at" just before it binds, so ask it something. The probe
        # OID is in no recording: variation modules (delay, error) never touch its answer.
        probe = self._probe()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise LanpulseError(
                        f"snmpsim exited with {self.proc.returncode}; see {self.log_path}"
                    )
                if probe is None:
                    if b"Listening at" in self.log_path.read_bytes():
                        return self
                    time.sleep(0.05)
                    continue
                try:
                    sock.sendto(probe, ("127.0.0.1", self.port))
                    sock.recvfrom(65535)
                    return self
                except OSError:
                    continue
        self.stop()
        raise LanpulseError(f"snmpsim did not start within {timeout_s}s; see {self.log_path}")

    def _probe(self) -> bytes | None:
        from lanpulse.sim.snmpd import probe_packet

        files = sorted(self.data_dir.rglob("*.snmprec"))
        if not files:
            return None
        community = str(files[0].relative_to(self.data_dir)).removesuffix(".snmprec")
        return probe_packet(community, "1.3.6.1.4.1.99999.42.0")
