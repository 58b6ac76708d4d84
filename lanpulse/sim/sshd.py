"""Run Debian's OpenSSH `sshd` on a free 127.0.0.1 port for the `linux` CLI platform.

Everything lives in a temporary directory: the config, an ed25519 host key, the
authorized_keys file and a client key pair. Only public-key logins of one test user are
allowed; password logins are off. Needs root (sshd's privilege separation), as in CI.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
import time
from pathlib import Path

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.fakenos_devices import free_tcp_port
from lanpulse.sim.process import ChildProcess

SSHD = "/usr/sbin/sshd"
TEST_USER = "lanpulse-test"


def ensure_test_user(user: str = TEST_USER) -> str:
    """Create a system user with a login shell and no home of its own, if it is absent."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(
            # Password "*": no password login, but not "locked" ("!"), which sshd refuses
            # even for key logins when PAM is off.
            [
                *("useradd", "--system", "--no-create-home", "--home-dir", "/"),
                *("--shell", "/bin/bash", "--password", "*", user),
            ],
            check=True,
            capture_output=True,
        )
    return user


def _keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "lanpulse-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


class OpenSshServer(ChildProcess):
    """One sshd process with a key-only test user; `client_key` logs in as `user`."""

    def __init__(self, user: str = TEST_USER, workdir: Path | None = None) -> None:
        if not os.path.exists(SSHD):
            raise LanpulseError(f"{SSHD} not found: install the openssh-server package")
        self.user = user
        self.port = free_tcp_port()
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lanpulse-sshd-"))
        # sshd reads authorized_keys as the target user, who must reach the file.
        self.workdir.chmod(0o755)
        self.host_key = self.workdir / "ssh_host_ed25519_key"
        self.client_key = self.workdir / "client_ed25519"
        self.known_hosts = self.workdir / "known_hosts"
        self.log_path = self.workdir / "sshd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        _keygen(self.host_key)
        _keygen(self.client_key)
        keys_dir = self.workdir / "authorized_keys"
        keys_dir.mkdir(mode=0o755, exist_ok=True)
        authorized = keys_dir / self.user
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        authorized.chmod(0o644)
        host_pub = Path(f"{self.host_key}.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        conf = self.workdir / "sshd_config"
        conf.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {keys_dir}/%u",
                    f"AllowUsers {self.user}",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    # The temporary directory is not owned by the test user.
                    "StrictModes no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        return conf

    def start(self, timeout_s: float = 15.0) -> OpenSshServer:
        """Start sshd in the foreground (-D) and wait until its port accepts connections."""
        conf = self._write_config()
        # sshd refuses to start without its privilege separation directory.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        check = subprocess.run([SSHD, "-t", "-f", str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            raise LanpulseError(f"sshd rejected its test config: {check.stderr.strip()}")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LanpulseError(f"sshd exited with {self.proc.returncode}; see {self.log_path}")
            if b"Server listening" in self.log_path.read_bytes():
                return self
            time.sleep(0.05)
        self.stop()
        raise LanpulseError(f"sshd did not start within {timeout_s}s; see {self.log_path}")
