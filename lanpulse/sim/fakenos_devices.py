"""Run fakenos SSH devices on free 127.0.0.1 ports, answering with our recorded outputs.

fakenos is a real SSH server (paramiko transport, password auth, an interactive shell with
prompts); each device is one fakenos host whose command table is the platform's built-in
table overlaid with the outputs in `tests/fixtures/cli/<platform>/`. Unknown commands get
the platform's real rejection text, so "command rejected" is exercised as on a device.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.process import Service

# What each platform prints for a command it does not know (first line of the real text).
REJECTION_TEXT: dict[str, str] = {
    "cisco_ios": "% Invalid input detected at '^' marker.",
    "cisco_nxos": "% Invalid command at '^' marker.",
    "arista_eos": "% Invalid input",
    "juniper_junos": "error: syntax error, expecting <command>",
    "hp_procurve": "Invalid input: ",
    "linux": "bash: command not found",
}


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    """True when a TCP socket on 127.0.0.1:`port` is in LISTEN state (Linux /proc)."""
    try:
        table = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        time.sleep(0.2)
        return True
    want = f"0100007F:{port:04X}"
    return any(line.split()[1] == want and line.split()[3] == "0A" for line in table)


@cache
def _platform_table(platform: str) -> dict[str, Any]:
    """fakenos's own table of a platform (prompts, session-setup commands), parsed once.

    fakenos re-reads these large YAML files with the pure-Python loader for every host,
    about 0.6 s each; the C loader and one parse per platform make a start instant.
    """
    import fakenos.plugins.nos as nos_pkg

    path = Path(nos_pkg.__file__).parent / "platforms_yaml" / f"{platform}.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=loader)
    return data


def _platform_nos(platform: str) -> Any:
    from fakenos.core.nos import Nos

    table = _platform_table(platform)
    return Nos(
        name=platform,
        commands=dict(table.get("commands") or {}),
        initial_prompt=table.get("initial_prompt", "{base_prompt}>"),
    )


def load_fixture_outputs(platform_dir: Path) -> dict[str, str]:
    """Command -> output text from a fixture directory's `commands.yaml` index."""
    index = yaml.safe_load((platform_dir / "commands.yaml").read_text())
    if not isinstance(index, dict):
        raise LanpulseError(f"{platform_dir / 'commands.yaml'}: expected command: file mapping")
    return {str(cmd): (platform_dir / str(name)).read_text() for cmd, name in index.items()}


@dataclass(frozen=True, slots=True)
class FakeDevice:
    """One emulated device: its name, platform, login and the outputs it answers with."""

    name: str
    platform: str
    outputs: Mapping[str, str]
    username: str = "admin"
    password: str = "lanpulse-test"
    host_key_file: str | None = None  # None: fakenos's built-in RSA key
    port: int = 0  # 0: pick a free one


@dataclass
class FakeNosDevices(Service):
    """A set of fakenos hosts started together; `ports[name]` says where each listens."""

    devices: Iterable[FakeDevice]
    ports: dict[str, int] = field(default_factory=dict)
    _net: Any = None
    _specs: dict[str, FakeDevice] = field(default_factory=dict)

    def start(self) -> FakeNosDevices:
        """Start every device; returns when all listen."""
        from fakenos import FakeNOS

        # fakenos logs every unknown command and closed session at ERROR/WARNING level.
        logging.getLogger("fakenos").setLevel(logging.CRITICAL)
        hosts: dict[str, Any] = {}
        for dev in self.devices:
            port = dev.port or free_tcp_port()
            self.ports[dev.name] = port
            self._specs[dev.name] = dev
            commands: dict[str, Any] = {
                cmd: {"output": text.rstrip("\n"), "help": "recorded output"}
                for cmd, text in dev.outputs.items()
            }
            commands["_default_"] = {
                "output": REJECTION_TEXT.get(dev.platform, "% Invalid input"),
                "help": "rejection",
            }
            host: dict[str, Any] = {
                "username": dev.username,
                "password": dev.password,
                "port": port,
                "platform": dev.platform,
                "nos": {"plugin": dev.platform, "configuration": {"commands": commands}},
            }
            if dev.host_key_file:
                host["server"] = {
                    "plugin": "ParamikoSshServer",
                    "configuration": {"address": "127.0.0.1", "ssh_key_file": dev.host_key_file},
                }
            hosts[dev.name] = host
        plugins = [_platform_nos(p) for p in {d.platform for d in self._specs.values()}]
        self._net = FakeNOS(inventory={"hosts": hosts}, plugins=plugins)
        self._net.start()
        # fakenos binds in start() but calls listen() later in a thread: wait for LISTEN,
        # without connecting (a probe connection makes fakenos log a reset session).
        deadline = time.monotonic() + 10
        while not all(_listening(p) for p in self.ports.values()):
            if time.monotonic() > deadline:
                self.stop()
                raise LanpulseError("fakenos devices did not start listening within 10s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop every device this object started (in parallel: each waits ~2 s for threads)."""
        if self._net is None:
            return
        stoppers = [
            threading.Thread(target=host.stop, daemon=True) for host in self._net.hosts.values()
        ]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(10)
        self._net = None

    def known_hosts_line(self, name: str) -> str:
        """The known_hosts line for device `name` as OpenSSH/paramiko look it up."""
        import paramiko
        from fakenos.plugins.servers.ssh_server_paramiko import DEFAULT_SSH_KEY

        dev = self._specs[name]
        if dev.host_key_file:
            key = paramiko.RSAKey.from_private_key_file(dev.host_key_file)
        else:
            key = paramiko.RSAKey(file_obj=io.StringIO(DEFAULT_SSH_KEY))
        return f"[127.0.0.1]:{self.ports[name]} {key.get_name()} {key.get_base64()}\n"


def write_rsa_host_key(path: Path) -> Path:
    """A fresh RSA host key (PEM) at `path`, for the "host key changed" case."""
    import paramiko

    paramiko.RSAKey.generate(2048).write_private_key_file(str(path))
    return path


class SilentTcpListener(Service):
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: a hung SSH device."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._held.append(conn)

    def start(self) -> SilentTcpListener:
        """Start accepting."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every held connection."""
        self._stop.set()
        self._thread.join(2)
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()
        self._sock.close()


def main(argv: list[str] | None = None) -> int:
    """Serve one fakenos device per recorded platform until interrupted (manual testing).

    `PYTHONPATH=. python -m lanpulse.sim.fakenos_devices` prints an inventory snippet that
    `lanpulse poll --cli` can use.
    """
    import argparse

    ap = argparse.ArgumentParser(description="fakenos devices answering with recorded outputs")
    ap.add_argument("--fixtures", default="tests/fixtures/cli", help="directory of platforms")
    ap.add_argument("--password", default="lanpulse-test")
    args = ap.parse_args(argv)
    root = Path(args.fixtures)
    devices = [
        FakeDevice(f"fake-{d.name}", d.name, load_fixture_outputs(d), password=args.password)
        for d in sorted(root.iterdir())
        if (d / "commands.yaml").exists() and d.name != "linux"
    ]
    with FakeNosDevices(devices) as net:
        print("devices:")
        for dev in devices:
            print(
                f"  - {{name: {dev.name}, address: 127.0.0.1, ssh: {{platform: {dev.platform},"
                f" port: {net.ports[dev.name]}, user: {dev.username},"
                f' password: "{args.password}", host_key_check: false}}}}'
            )
        print("serving; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
