"""`lanpulse poll` explains itself (issue 17): a table per measurement with codes in words and
a note for every dropped value; `-c FILE --device X` uses the daemon's profile directories; an
unknown profile, a closed local port and a closed pipe each end in one line or quietly; global
options go after the sub-command too. Against snmpsim serving a real Cisco recording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import RECORDINGS  # noqa: F401  (the snmpsim_agent fixture's recordings)

from lanpulse.cli.render import drop_notes, render_table
from lanpulse.core.model import Sample
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port

ROOT = Path(__file__).resolve().parents[1]


def lanpulse(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={
            **{k: v for k, v in os.environ.items() if k != "LANPULSE_CONFIG"},
            "PYTHONPATH": str(ROOT),
            **env,
        },
    )


def _s(measurement: str, tags: dict[str, str], fields: dict[str, float | int]) -> Sample:
    return Sample(measurement, {"device": "d", "class": "x", **tags}, fields, 0)


def test_the_table_gives_codes_in_words_and_notes_every_dropped_value() -> None:
    samples = [
        _s("device", {}, {"up": 1, "poll_seconds": 0.2}),
        _s(
            "interface",
            {"if_index": "1", "if_name": "Gi0/1"},
            {"in_octets": 10, "out_octets": 5, "speed_bps": 1000, "oper_status": 2},
        ),
        _s(
            "interface",
            {"if_index": "2", "if_name": "Gi0/2"},
            {"in_octets": 10, "out_octets": 5, "in_bps": 1.0, "out_bps": 2.0},
        ),
        _s("printer", {}, {"device_status": 3}),
        _s("disk", {"disk": "sda"}, {"health": 2}),
        _s("printer_supply", {"supply": "Black", "supply_index": "1"}, {}),
        _s("printer_supply", {"supply": "Waste", "supply_index": "2"}, {"level": 3}),
    ]
    text = render_table(samples)
    assert "down (2)" in text and "warning (3)" in text and "critical (2)" in text
    assert "up (1)" in text
    header = next(line for line in text.splitlines() if "if_name" in line)
    assert header.split()[:2] == ["if_index", "if_name"]  # a real table: one header row
    notes = drop_notes(samples)
    assert (
        "interface Gi0/1: in_bps dropped, the rate from in_octets was above the link speed"
        in (notes[0])
    )
    assert any("printer_supply Black: level dropped" in n and "sentinel" in n for n in notes)
    assert any("printer_supply Waste: level_pct not computed" in n for n in notes)
    assert text.rstrip().splitlines()[-len(notes) - 1] == f"notes ({len(notes)})"
    first_poll = [samples[1]]
    assert drop_notes(first_poll) == [
        "rates (in_bps, *_ps, utilisation) need two polls: use --count 2"
    ]


def test_poll_with_a_config_uses_its_profile_directories(
    snmpsim_agent: SnmpSimAgent, tmp_path: Path
) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "site_cisco.yaml").write_text(
        "description: this site's Cisco switches\nextends: [cisco_ios]\npriority: 50\n"
        "match:\n  sysobjectid: [1.3.6.1.4.1.9.1]\n"
    )
    (tmp_path / "lanpulse.yaml").write_text(
        "profiles_dirs: [profiles]\n"
        f"spool:\n  directory: {tmp_path / 'spool'}\n"
        "devices:\n"
        f"  - {{name: sw, address: 127.0.0.1, port: {snmpsim_agent.port},"
        " snmp: {community: ios_nac}}\n"
    )
    # ./lanpulse.yaml is the fall-back of -c
    r = lanpulse("poll", "--device", "sw", "--explain", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "profile: site_cisco" in r.stdout
    r = lanpulse("poll", "--device", "sw", "--profile", "no-such-printer", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "unknown profile 'no-such-printer'" in r.stderr and "Traceback" not in r.stderr


def test_a_closed_local_port_says_so_in_one_line() -> None:
    port = free_udp_port()
    r = lanpulse("poll", "127.0.0.1", "--port", str(port), "--timeout", "0.5", "--retries", "0")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"error: 127.0.0.1: unreachable: nothing listens on 127.0.0.1:{port}/udp "
        "(the port is closed: is the agent running, on this port?)"
    ]


def test_a_closed_pipe_ends_quietly_and_options_follow_the_sub_command(
    snmpsim_agent: SnmpSimAgent,
) -> None:
    cmd = [sys.executable, "-m", "lanpulse", "poll", "127.0.0.1", "--port"]
    cmd += [str(snmpsim_agent.port), "--community", "ios_nac", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0 and err == ""
    r = lanpulse(
        "poll", "127.0.0.1", "--port", str(snmpsim_agent.port), "--community", "ios_nac",
        "--log-level", "debug", "--log-format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stderr.splitlines()[0])
    assert first["level"] == "debug" and "message" in first


def test_every_sub_command_and_option_has_help_text() -> None:
    import argparse

    from lanpulse.cli import build_parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                for name, sub in action.choices.items():
                    if not helps.get(name):
                        missing.append(f"{path} {name}")
                    walk(sub, f"{path} {name}")
            elif not action.help and action.dest != "help":
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "lanpulse")
    assert missing == []


def test_every_config_option_falls_back_to_the_environment_then_the_working_directory(
    tmp_path: Path,
) -> None:
    """`dashboards export|publish` and `report capacity` take -c like `check` does."""
    (tmp_path / "lanpulse.yaml").write_text(
        "influxdb:\n  url: http://127.0.0.1:8086\n  api: v1\n  database: ops\n"
        f"spool:\n  directory: {tmp_path / 'spool'}\ndevices: []\n"
    )
    # ./lanpulse.yaml: export reads its influxdb: section, publish finds no grafana: section
    r = lanpulse("dashboards", "export", "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    datasource = tmp_path / "out" / "provisioning" / "datasources" / "lanpulse.yaml"
    assert "dbName: ops" in datasource.read_text()
    r = lanpulse("dashboards", "publish", cwd=tmp_path)
    assert r.returncode == 2 and "lanpulse.yaml" in r.stderr and "grafana" in r.stderr, r.stderr
    # $LANPULSE_CONFIG comes before ./lanpulse.yaml, for every sub-command
    missing = str(tmp_path / "elsewhere.yaml")
    for args in (
        ["dashboards", "export", "--out", "o2"],
        ["dashboards", "publish"],
        ["report", "capacity"],
        ["check"],
    ):
        r = lanpulse(*args, cwd=tmp_path, LANPULSE_CONFIG=missing)
        assert r.returncode == 2 and "elsewhere.yaml" in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    # without either, export still writes the default data source
    (tmp_path / "lanpulse.yaml").unlink()
    r = lanpulse("dashboards", "export", "--out", "o3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
