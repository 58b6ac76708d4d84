"""The `linux` platform against Debian's real OpenSSH sshd on 127.0.0.1, key-only login."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.collectors.cli import CliCollector, CliPlan
from lanpulse.core.errors import AuthError
from lanpulse.core.model import Device, SshCredentials
from lanpulse.core.schema import validate_samples
from lanpulse.pipeline.cli_poll import poll_cli_device
from lanpulse.sim.sshd import SSHD, OpenSshServer, ensure_test_user

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path(SSHD).exists(), reason="sshd tests need root and openssh-server"
)


@pytest.fixture(scope="module")
def sshd() -> Iterator[OpenSshServer]:
    """One sshd with a key-only `lanpulse-test` user (created as a system user if absent).

    Its own temporary directory, not pytest's: the test user must be able to read its
    authorized_keys there, and pytest's base directory is private to root.
    """
    user = ensure_test_user()
    server = OpenSshServer(user=user)
    server.start()
    yield server
    server.cleanup()


def _host(sshd: OpenSshServer, **ssh: object) -> Device:
    creds = {
        "port": sshd.port,
        "user": sshd.user,
        "key_file": str(sshd.client_key),
        "known_hosts": str(sshd.known_hosts),
        "timeout_s": 5.0,
        "command_timeout_s": 5.0,
        **ssh,
    }
    return Device(
        name="desk-42",
        address="127.0.0.1",
        device_class="desktop",
        labels={"site": "hq"},
        ssh=SshCredentials("linux", **creds),  # type: ignore[arg-type]
    )


def test_linux_host_polled_over_openssh(sshd: OpenSshServer) -> None:
    samples, errors = poll_cli_device(_host(sshd))
    assert errors == []
    assert validate_samples(samples) == []
    by = {s.measurement: s for s in samples}
    assert by["device"].fields["up"] == 1 and by["device"].fields["uptime_seconds"] > 0
    assert by["device"].tags == {"device": "desk-42", "class": "desktop", "site": "hq"}
    host = by["host"].fields
    assert {"load1", "load5", "load15", "processes", "mem_total_bytes", "mem_used_pct"} <= set(host)
    assert 0 < host["mem_used_bytes"] < host["mem_total_bytes"]
    # This machine's real filesystems: "/" is always there (as a block device or overlay).
    volumes = {s.tags["volume"] for s in samples if s.measurement == "storage"}
    assert all(v.startswith("/") for v in volumes)


def test_wrong_key_is_an_authentication_error(sshd: OpenSshServer, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    device = _host(sshd, key_file=str(other))
    with pytest.raises(AuthError, match=r"^desk-42: authentication failed"):
        CliCollector().collect_sync(device, CliPlan("linux", ("cat /proc/uptime",)))


def test_slow_command_times_out_alone_and_the_rest_still_runs(sshd: OpenSshServer) -> None:
    device = _host(sshd, command_timeout_s=1.0)
    plan = CliPlan(
        "linux",
        ("sleep 5; echo late", "cat /proc/loadavg", "nosuchtool --x"),
        ("command not found",),
    )
    raw = CliCollector().collect_sync(device, plan)
    errors = {err.part: str(err) for err in raw.errors}
    assert errors["sleep 5; echo late"] == "no complete output within 1s"
    assert raw.outputs["cat /proc/loadavg"].count("/") == 1
    assert errors["nosuchtool --x"].startswith("command rejected by the device: ")
    assert "command not found" in errors["nosuchtool --x"]


def test_persistent_session_survives_between_polls(sshd: OpenSshServer) -> None:
    def logins() -> int:
        return sshd.log_path.read_text().count("Accepted publickey for lanpulse-test")

    before = logins()
    collector = CliCollector()
    device = _host(sshd, persistent=True)
    try:
        for _ in range(3):
            samples, errors = poll_cli_device(device, collector=collector)
            assert errors == [] and samples[0].fields["up"] == 1
        assert collector.session_polls() == {"desk-42": 3}
    finally:
        collector.close()
    assert logins() - before == 1  # three polls, one SSH login
