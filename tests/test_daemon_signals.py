"""`python -m lanpulse run -c FILE` as a real process: SIGHUP reload and SIGTERM shutdown.

Without an `influxdb` section the daemon keeps everything in its spool (the embedded
default), so the spool's segments show what was polled, device by device.
"""

from __future__ import annotations

import re
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.servers import free_tcp_port
from lanpulse.sim.snmpsim import SnmpSimAgent
from lanpulse.timeseries.segment import iter_records, read_segment
from tests._daemon import DaemonProcess, device_line, wait_for, write_config
from tests.test_daemon_faults import slow_recording
from tests.test_snmp_client import warm_up

BROTHER = RECORDINGS / "brother_hl5370dw.snmprec"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("signals"))
    for name in ("printer-a", "printer-b"):
        agent.add(BROTHER, name)
    agent.start()
    warm_up(agent, "printer-a")
    yield agent
    agent.cleanup()


def spooled_lines(spool: Path, measurement: str) -> list[str]:
    """Line-protocol lines of `measurement` in the spool, in spool order."""
    out = []
    for path in sorted((spool / "segments").glob("*")):
        for record in iter_records(read_segment(path), 0, 0):
            out += [
                line
                for line in record.payload.decode().splitlines()
                if line.startswith(measurement + ",")
            ]
    return out


def polls_of(spool: Path, name: str) -> int:
    return sum(f",device={name}," in line + "," for line in spooled_lines(spool, "device"))


def test_sighup_adds_and_removes_devices_and_rejects_a_bad_file(
    agent: SnmpSimAgent, tmp_path: Path
) -> None:
    path, spool = tmp_path / "lanpulse.yaml", tmp_path / "spool"
    write_config(path, [device_line("printer-a", agent.port)], interval="1s")
    daemon = DaemonProcess(path).start()
    try:
        wait_for(lambda: polls_of(spool, "printer-a") >= 1)
        write_config(path, [device_line("printer-b", agent.port)], interval="1s")
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in daemon.log())
        wait_for(lambda: polls_of(spool, "printer-b") >= 1)
        a_after_reload = polls_of(spool, "printer-a")
        # A broken file: one log line naming file, line and key; the old config keeps running.
        path.write_text(path.read_text().replace("interval: 1s", "intervall: 1s"))
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: "reload rejected" in daemon.log())
        # A broken alerting section is rejected the same way.
        write_config(
            path,
            [device_line("printer-b", agent.port)],
            interval="1s",
            extra="alerting:\n  rules_files: [no-such-rules.yaml]",
        )
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.log().count("reload rejected") == 2)
        b_before = polls_of(spool, "printer-b")
        wait_for(lambda: polls_of(spool, "printer-b") >= b_before + 2)
        assert polls_of(spool, "printer-a") == a_after_reload  # removed: not polled again
        assert not daemon.proc_done()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    finally:
        daemon.kill()
    rejected = [line for line in daemon.log().splitlines() if "reload rejected" in line]
    assert len(rejected) == 2
    assert re.search(r"lanpulse\.yaml:\d+: defaults\.intervall", rejected[0]), rejected[0]
    assert "no-such-rules.yaml" in rejected[1]
    assert "Traceback" not in daemon.log()


def in_flight(http: str) -> float:
    try:
        with urllib.request.urlopen(f"http://{http}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return 0.0
    match = re.search(r"^lanpulse_in_flight (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_sigterm_lets_the_running_poll_finish_flushes_and_exits_0(tmp_path: Path) -> None:
    slow = SnmpSimAgent(workdir=tmp_path / "slow")
    slow.add_text("slow", slow_recording(1200))  # every poll takes 1.2 s
    slow.start()
    http = f"127.0.0.1:{free_tcp_port()}"
    try:
        path, spool = tmp_path / "lanpulse.yaml", tmp_path / "spool"
        write_config(
            path,
            [
                device_line(
                    "slow", slow.port, snmp="timeout: 2s", deadline="1.8s", profile="brother"
                )
            ],
            interval="2s",
            http_listen=http,
        )
        daemon = DaemonProcess(path).start()
        try:
            wait_for(lambda: polls_of(spool, "slow") >= 1, 20)
            wait_for(lambda: in_flight(http) >= 1, 10, step_s=0.05)
            started = time.monotonic()
            daemon.signal(signal.SIGTERM)
            assert daemon.wait(20) == 0
            took = time.monotonic() - started
        finally:
            daemon.kill()
    finally:
        slow.cleanup()
    log = daemon.log()
    assert "lanpulse stopped" in log and "did not finish" not in log, log
    assert took < 5  # the shutdown deadline of the test config
    # The final self-monitoring point counts every poll, and every one of them is spooled,
    # including the one that was running when SIGTERM came.
    last = spooled_lines(spool, "lanpulse")[-1]
    polls = int(re.search(r"\bpolls=(\d+)i", last).group(1))  # type: ignore[union-attr]
    assert polls >= 2 and polls_of(spool, "slow") == polls
