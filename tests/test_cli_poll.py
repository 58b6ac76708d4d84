"""`lanpulse poll` end to end: a real snmpsim agent serving a real switch recording, and
net-snmp snmpd for SNMPv3; every error path exits 1 with one line and no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RECORDINGS

from lanpulse.sim.snmpd import SnmpdAgent, SnmpdUser
from lanpulse.sim.snmprec import read_snmprec
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port

ROOT = Path(__file__).resolve().parents[1]
IFX = "1.3.6.1.2.1.31.1.1.1."
V3_USER = SnmpdUser("poller", "sha256", "auth-pass-123", "aes", "priv-pass-456")


def lanpulse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.fixture(scope="module")
def snmpd() -> Iterator[SnmpdAgent]:
    agent = SnmpdAgent(community="lanpulse-ro", users=(V3_USER,)).start()
    yield agent
    agent.cleanup()


def test_json_reports_every_interface_with_the_recorded_counters(
    snmpsim_agent: SnmpSimAgent,
) -> None:
    recording = read_snmprec(RECORDINGS / "switch" / "ios_nac.snmprec")
    r = lanpulse(
        "poll",
        "127.0.0.1",
        "--port",
        str(snmpsim_agent.port),
        "--community",
        "ios_nac",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    samples = [json.loads(line) for line in r.stdout.splitlines()]
    device = next(s for s in samples if s["measurement"] == "device")
    assert device["fields"]["up"] == 1
    assert device["fields"]["uptime_seconds"] == recording["1.3.6.1.2.1.1.3.0"] / 100
    assert device["tags"]["class"] == "switch" and device["tags"]["vendor"]
    interfaces = {s["tags"]["if_index"]: s for s in samples if s["measurement"] == "interface"}
    recorded = {oid[len(IFX) + 2 :] for oid in recording if oid.startswith(IFX + "1.")}
    assert set(interfaces) >= recorded  # every interface of the recording
    for index, s in interfaces.items():
        hc_in = recording.get(f"{IFX}6.{index}")
        if hc_in is not None:
            assert s["fields"]["in_octets"] == hc_in
            assert s["fields"]["out_octets"] == recording[f"{IFX}10.{index}"]
    assert all(set(s) == {"measurement", "tags", "fields", "time"} for s in samples)


def test_table_and_line_protocol_formats(snmpsim_agent: SnmpSimAgent) -> None:
    base = ["poll", "127.0.0.1", "--port", str(snmpsim_agent.port), "--community", "ios_nac"]
    table = lanpulse(*base)
    assert table.returncode == 0 and "interface (" in table.stdout
    lp = lanpulse(*base, "--format", "lp")
    assert lp.returncode == 0
    assert any(
        line.startswith("interface,") and " in_octets=" in line for line in lp.stdout.splitlines()
    )


def test_count_two_prints_the_second_poll_with_rates(tmp_path: Path) -> None:
    from lanpulse.demo.estate import RECORDINGS as DEMO
    from lanpulse.demo.estate import moving

    with SnmpSimAgent(workdir=tmp_path) as agent:
        agent.add_text("moving", moving((DEMO / "ios_nac.snmprec").read_text()))
        agent.stop()
        agent.start()
        r = lanpulse(
            "poll",
            "127.0.0.1",
            "--port",
            str(agent.port),
            "--community",
            "moving",
            "--format",
            "json",
            "--count",
            "2",
            "--interval",
            "1",
        )
    assert r.returncode == 0, r.stderr
    samples = [json.loads(line) for line in r.stdout.splitlines()]
    assert any("in_bps" in s["fields"] for s in samples if s["measurement"] == "interface")


def test_explain_names_the_profile_and_the_reason(snmpsim_agent: SnmpSimAgent) -> None:
    r = lanpulse(
        "poll",
        "127.0.0.1",
        "--port",
        str(snmpsim_agent.port),
        "--community",
        "jetdirect_m252dw",
        "--explain",
    )
    assert r.returncode == 0, r.stderr
    assert "profile:" in r.stdout and "why: sysObjectID" in r.stdout


def poll_v3(snmpd: SnmpdAgent, auth_password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`lanpulse poll` as the v3 user `poller` (SHA-256/AES), passwords from the environment."""
    return lanpulse(
        "poll", "127.0.0.1", "--port", str(snmpd.port), "--user", "poller",
        "--auth-protocol", "sha256", "--priv-protocol", "aes", *extra,
        env={"LANPULSE_AUTH_PASSWORD": auth_password, "LANPULSE_PRIV_PASSWORD": "priv-pass-456"},
    )  # fmt: skip


def test_snmpv3_authpriv(snmpd: SnmpdAgent) -> None:
    r = poll_v3(snmpd, "auth-pass-123", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert '"up": 1' in r.stdout


def _one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, lines
    return errors[0]


def test_a_closed_local_port_is_not_called_a_timeout() -> None:
    port = free_udp_port()
    line = _one_error_line(
        lanpulse("poll", "127.0.0.1", "--port", str(port), "--timeout", "0.3", "--retries", "0")
    )
    assert "unreachable" in line and "closed" in line  # issue 17: not "timeout"


def test_wrong_community_is_a_timeout_that_says_so(snmpd: SnmpdAgent) -> None:
    line = _one_error_line(
        lanpulse(
            "poll",
            "127.0.0.1",
            "--port",
            str(snmpd.port),
            "--community",
            "not-this-one",
            "--timeout",
            "0.3",
            "--retries",
            "0",
        )
    )
    assert "timeout" in line and "community" in line
    assert "not-this-one" not in line  # the community is a secret


def test_wrong_v3_password_is_an_authentication_error(snmpd: SnmpdAgent) -> None:
    r = poll_v3(snmpd, "wrong-pass-123", "--timeout", "1", "--retries", "0")
    line = _one_error_line(r)
    assert "authentication" in line
    assert "wrong-pass-123" not in r.stderr + r.stdout


def test_unknown_v3_user_is_an_authentication_error(snmpd: SnmpdAgent) -> None:
    line = _one_error_line(
        lanpulse(
            "poll",
            "127.0.0.1",
            "--port",
            str(snmpd.port),
            "--user",
            "nobody",
            "--auth-protocol",
            "sha",
            "--timeout",
            "1",
            "--retries",
            "0",
            env={"LANPULSE_AUTH_PASSWORD": "whatever-123"},
        )
    )
    assert "authentication" in line


def test_unresolvable_address_is_unreachable() -> None:
    line = _one_error_line(lanpulse("poll", "no-such-host.invalid", "--timeout", "0.5"))
    assert "unreachable" in line


def test_bad_options_are_one_line_usage_errors() -> None:
    r = lanpulse("poll", "127.0.0.1", "--count", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0
    r = lanpulse("poll")
    assert r.returncode == 2 and "ADDRESS" in r.stderr


def test_poll_by_name_from_a_config_file(snmpsim_agent: SnmpSimAgent, tmp_path: Path) -> None:
    cfg = tmp_path / "lanpulse.yaml"
    cfg.write_text(
        "devices:\n"
        f"  - {{name: sw1, address: 127.0.0.1, port: {snmpsim_agent.port},"
        " snmp: {community: '${SW1_COMMUNITY}'}, labels: {site: hq}}\n"
    )
    r = lanpulse(
        "poll",
        "-c",
        str(cfg),
        "--device",
        "sw1",
        "--format",
        "json",
        env={"SW1_COMMUNITY": "ios_nac"},
    )
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    assert first["tags"]["device"] == "sw1" and first["tags"]["site"] == "hq"
    missing = lanpulse("poll", "-c", str(cfg), "--device", "nope", env={"SW1_COMMUNITY": "ios_nac"})
    assert (
        missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    )
