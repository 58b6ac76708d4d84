"""One rule for relative paths in the configuration (docs/configuration.md, "Relative paths"):
relative to the configuration file's folder, whatever the working directory, applied once at
load time, so the daemon (a real process polling snmpsim) and `lanpulse report capacity` use
the same spool.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanpulse.config.loader import load_config
from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._daemon import ROOT, device_line, wait_for
from tests.test_daemon_signals import polls_of
from tests.test_snmp_client import warm_up

BROTHER = RECORDINGS / "brother_hl5370dw.snmprec"

EVERY_PATH = """\
profiles_dirs: [my-profiles]
spool: {directory: data/spool}
alerting: {state_file: state/alerts.json}
discovery: {output: inv/found.yaml, endpoints: {file: inv/endpoints.json}}
reports: {out_dir: out/reports}
traps: {listen: "127.0.0.1:1162", communities: [public], maps_dirs: [my-traps]}
devices: []
"""


def test_every_path_and_default_is_taken_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    (folder / "my-profiles").mkdir(parents=True)
    (folder / "my-traps").mkdir()
    (folder / "lanpulse.yaml").write_text(EVERY_PATH)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_config("../etc/lanpulse.yaml").settings
    assert s.spool.directory == str(folder / "data/spool")
    assert s.profiles_dirs == [str(folder / "my-profiles")]
    assert s.alerting.state_file == str(folder / "state/alerts.json")
    assert s.discovery.output == str(folder / "inv/found.yaml")
    assert s.discovery.endpoints.file == str(folder / "inv/endpoints.json")
    assert s.reports.out_dir == str(folder / "out/reports")
    assert s.traps is not None and s.traps.maps_dirs == [str(folder / "my-traps")]
    # Defaults follow the same rule; absolute paths and ~ are kept as meant.
    (folder / "lanpulse.yaml").write_text("devices: []\n")
    s = load_config(str(folder / "lanpulse.yaml")).settings
    assert s.spool.directory == str(folder / "var/spool")
    assert s.alerting.state_file == str(folder / "var/alerts-state.json")
    assert s.discovery.endpoints.file == str(folder / "endpoints.json")
    # ...also a default inside a section that is given without it
    (folder / "lanpulse.yaml").write_text("discovery: {subnets: [192.0.2.0/24]}\ndevices: []\n")
    s = load_config(str(folder / "lanpulse.yaml")).settings
    assert s.discovery.endpoints.file == str(folder / "endpoints.json")
    (folder / "lanpulse.yaml").write_text(
        "spool: {directory: /srv/lanpulse/spool}\ndiscovery: {output: ~/found.yaml}\ndevices: []\n"
    )
    s = load_config(str(folder / "lanpulse.yaml")).settings
    assert s.spool.directory == "/srv/lanpulse/spool"
    assert s.discovery.output == str(Path.home() / "found.yaml")


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(_SEGMENT, min_size=1, max_size=4), depth=st.integers(0, 3))
def test_a_relative_spool_directory_never_depends_on_the_working_directory(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], depth: int
) -> None:
    root = tmp_path_factory.mktemp("paths")
    folder = root.joinpath(*["d"] * depth)
    folder.mkdir(parents=True, exist_ok=True)
    relative = "/".join(parts)
    config = folder / "lanpulse.yaml"
    config.write_text(f"spool: {{directory: '{relative}'}}\ndevices: []\n")
    seen = set()
    for cwd in (root, folder, Path("/")):
        old = Path.cwd()
        os.chdir(cwd)
        try:
            seen.add(load_config(str(config)).settings.spool.directory)
        finally:
            os.chdir(old)
    assert seen == {str(folder.joinpath(*parts))}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("paths-agent"))
    agent.add(BROTHER, "printer-1")
    agent.start()
    warm_up(agent, "printer-1")
    yield agent
    agent.cleanup()


def _lanpulse(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "lanpulse", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def test_the_daemon_and_the_report_use_the_same_spool(agent: SnmpSimAgent, tmp_path: Path) -> None:
    folder, shell = tmp_path / "etc", tmp_path / "somewhere"
    folder.mkdir()
    shell.mkdir()
    config = folder / "lanpulse.yaml"
    config.write_text(
        "defaults:\n  interval: 1s\n  snmp: {version: 2c, timeout: 1s, retries: 0}\n"
        "spool: {directory: data/spool, fsync: never}\n"
        "daemon: {http_listen: null, shutdown_deadline: 5s, workers: 1}\n"
        "devices:\n" + device_line("printer-1", agent.port, labels="{site: north}") + "\n"
    )
    # Started from another folder with a relative -c, as a shell user would.
    daemon = _lanpulse(shell, "run", "-c", "../etc/lanpulse.yaml")
    try:
        wait_for(lambda: polls_of(folder / "data" / "spool", "printer-1") >= 2, 30)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert not (shell / "data").exists()  # nothing written relative to the working directory
    assert (folder / "data" / "spool-rollups" / "segments").is_dir()
    # The report, from a third folder, reads the rollup spool the daemon wrote.
    args = ["report", "capacity", "-c", str(config), "--since", "1d", "--format", "csv"]
    report = subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert report.returncode == 0, report.stderr
    assert "holds no rollups" not in report.stderr
    assert list(csv.reader(report.stdout.splitlines()))  # a report, not an error
