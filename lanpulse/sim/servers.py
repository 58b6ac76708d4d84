"""Start real InfluxDB 1.6 (`influxd`) and VictoriaMetrics on free 127.0.0.1 ports.

For the test suite, the demo and the benchmarks: each server runs in its own temporary
directory and only the process started here is ever stopped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from lanpulse.core.errors import LanpulseError
from lanpulse.sim.process import ChildProcess


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(ChildProcess):
    """A child process with a work directory, a readiness URL and a clean stop."""

    binary = ""
    name = ""

    def __init__(self, workdir: Path | None = None) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"lanpulse-{self.name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_tcp_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / f"{self.name}.log"

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready_path(self) -> str:
        raise NotImplementedError

    def start(self, timeout_s: float = 30.0) -> _Server:
        """Start the server and wait until its HTTP API answers."""
        if not shutil.which(self.binary):
            raise LanpulseError(f"{self.binary} is not installed (see .ci/run for apt packages)")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self._command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LanpulseError(f"{self.name} exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + self._ready_path(), timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise LanpulseError(f"{self.name} did not answer within {timeout_s}s; see {self.log_path}")


class InfluxDB16(_Server):
    """Debian's InfluxDB 1.6: the v1 `/write` and `/query` (InfluxQL) API."""

    binary = "influxd"
    name = "influxd"

    def __init__(self, workdir: Path | None = None, *, auth_enabled: bool = False) -> None:
        super().__init__(workdir)
        # With auth on, InfluxDB still lets the very first admin user be created without
        # credentials (`CREATE USER ... WITH ALL PRIVILEGES`), so no restart is needed.
        self.auth_enabled = auth_enabled

    def _command(self) -> list[str]:
        conf = self.workdir / "influxd.conf"
        rpc = free_tcp_port()
        d = self.workdir
        conf.write_text(
            f'reporting-enabled = false\nbind-address = "127.0.0.1:{rpc}"\n'
            f'[meta]\n  dir = "{d}/meta"\n'
            f'[data]\n  dir = "{d}/data"\n  wal-dir = "{d}/wal"\n  query-log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            f"  auth-enabled = {'true' if self.auth_enabled else 'false'}\n"
            '[logging]\n  level = "warn"\n'
        )
        return [self.binary, "-config", str(conf)]

    def _ready_path(self) -> str:
        return "/ping"

    def query(
        self, q: str, db: str | None = None, auth: tuple[str, str] | None = None
    ) -> dict[str, object]:
        """Run InfluxQL through `/query` (as `auth` = (user, password) if given) and decode it."""
        import json
        import urllib.parse

        params = {"q": q, "epoch": "ns"}
        if db:
            params["db"] = db
        headers = {}
        if auth:
            import base64

            basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(self.url + "/query", data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as resp:
            result: dict[str, object] = json.loads(resp.read())
            return result


class VictoriaMetrics(_Server):
    """Debian's VictoriaMetrics: accepts influxdb-client's `/api/v2/write`."""

    binary = "victoria-metrics"
    name = "victoria-metrics"

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"-storageDataPath={self.workdir / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-loggerLevel=ERROR",
            "-search.latencyOffset=0s",
        ]

    def _ready_path(self) -> str:
        return "/health"

    def export(self, match: str) -> list[dict[str, object]]:
        """Series matching the selector `match`, from `/api/v1/export` (JSON lines)."""
        import json
        import urllib.parse

        with urllib.request.urlopen(self.url + "/internal/force_flush", timeout=30) as resp:
            resp.read()
        query = urllib.parse.urlencode({"match[]": match})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=30) as resp:
            return [json.loads(line) for line in resp.read().splitlines() if line.strip()]
