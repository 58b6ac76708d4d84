"""`lanpulse poll --cli` against a real SSH server (fakenos emulating a Cisco IOS switch)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.sim.fakenos_devices import FakeDevice, FakeNosDevices, load_fixture_outputs

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "cli"
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture(scope="module")
def ios() -> Iterator[FakeNosDevices]:
    with FakeNosDevices(
        [FakeDevice("sw", "cisco_ios", load_fixture_outputs(FIXTURES / "cisco_ios"))]
    ) as net:
        yield net


def _run(cfg: Path, password: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "lanpulse",
            "poll",
            *flags,
            "-c",
            str(cfg),
            "--device",
            "access-sw1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SW_PASS": password},
    )


def test_poll_cli_prints_schema_samples_and_fails_in_one_line(
    ios: FakeNosDevices, tmp_path: Path
) -> None:
    cfg = tmp_path / "lanpulse.yaml"
    cfg.write_text(
        "devices:\n"
        f"  - {{name: access-sw1, address: 127.0.0.1, ssh: {{port: {ios.ports['sw']}, "
        'platform: cisco_ios, user: admin, password: "${SW_PASS}", host_key_check: false}}\n'
    )
    ok = _run(cfg, "lanpulse-test")  # an SSH-only device needs no --cli
    assert ok.returncode == 0, ok.stderr
    assert _run(cfg, "lanpulse-test", "--cli").returncode == 0
    samples = [json.loads(line) for line in ok.stdout.splitlines()]
    assert samples[0]["measurement"] == "device" and samples[0]["fields"]["up"] == 1
    assert {s["measurement"] for s in samples} >= {"device", "interface", "host"}
    bad = _run(cfg, "wrong-pass-123")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "authentication" in errors[0]
    assert "wrong-pass-123" not in bad.stderr + bad.stdout


def _failing_config(tmp: Path, port: int, address: str = "127.0.0.1") -> Path:
    cfg = tmp / "lanpulse.yaml"
    cfg.write_text(
        "devices:\n"
        f"  - {{name: access-sw1, address: {address}, ssh: {{port: {port}, "
        'platform: cisco_ios, user: admin, password: "${SW_PASS}", host_key_check: false,'
        " timeout: 3s}}\n"
    )
    return cfg


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("case", ["wrong password", "closed port", "other loopback address"])
def test_a_cli_poll_failure_is_exactly_one_line_on_stderr(
    ios: FakeNosDevices, tmp_path: Path, case: str
) -> None:
    """Issue 17: one line, whatever the failure; a refused connection on a local address says
    so (not "timeout"). Real fakenos SSH for the password; real refused TCP connects."""
    if case == "wrong password":
        cfg, expect = _failing_config(tmp_path, ios.ports["sw"]), "authentication"
    elif case == "closed port":
        cfg, expect = _failing_config(tmp_path, _free_tcp_port()), "Connection refused"
    else:
        cfg = _failing_config(tmp_path, _free_tcp_port(), "127.0.0.77")
        expect = "cannot reach 127.0.0.77"
    for flags in ((), ("--cli",)):
        bad = _run(cfg, "wrong-pass-123", *flags)
        assert bad.returncode == 1, bad.stderr
        lines = bad.stderr.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: access-sw1: ") and expect in lines[0], lines
        assert "timeout" not in lines[0] or case == "wrong password"
        assert "wrong-pass-123" not in bad.stderr + bad.stdout


def test_a_silent_ssh_port_times_out_in_one_line(tmp_path: Path) -> None:
    """A port that accepts the connection but never speaks SSH (a real listening socket
    that never answers): the poll gives up at `timeout` with one line."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        cfg = _failing_config(tmp_path, int(listener.getsockname()[1]))
        bad = _run(cfg, "x", "--cli")
    assert bad.returncode == 1, bad.stderr
    lines = bad.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: access-sw1: "), lines
