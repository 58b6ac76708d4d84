"""`lanpulse check -c FILE` run as a real subprocess: exit codes, one line per problem.

Every error kind of the configuration is provoked once; each problem must be exactly one
`FILE:LINE: key.path: message` line, never a traceback, and never a secret value.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "fixtures" / "config" / "example.yaml"
SECRETS = {"NAS_AUTH": "nas-auth-Secret-1", "SW_PASS": "sw-pass-Secret-3"}
NAS_PRIV = "nas-priv-Secret-2"
ONE_LINE = re.compile(r"^[^:\s]+:\d+: ([\w\[\].-]+: )?\S.*$")


def run_check(cwd: Path, path: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`python -m lanpulse check -c path` in `cwd` with only the given extra environment."""
    base = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "LANPULSE_CONFIG"}
    base["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "lanpulse", "check", "-c", path],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout, proc.stderr


def check_text(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    """Write `text` to c.yaml, run check, assert exit 2 and one-line format; return lines."""
    (tmp_path / "c.yaml").write_text(text)
    code, out, err = run_check(tmp_path, "c.yaml", env)
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    for line in lines:
        assert ONE_LINE.match(line), line
    for secret in [*SECRETS.values(), NAS_PRIV]:
        assert secret not in err
    return lines


def example_text(tmp_path: Path) -> str:
    priv = tmp_path / "nas_priv"
    priv.write_text(NAS_PRIV + "\n")
    return EXAMPLE.read_text().replace("/run/secrets/nas_priv", str(priv))


def test_example_ok(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(example_text(tmp_path))
    code, out, err = run_check(tmp_path, "c.yaml", SECRETS)
    assert (code, err) == (0, "")
    assert out.startswith(
        "ok: 4 devices (3 snmp, 1 ssh), 1 group, influxdb v1 http://127.0.0.1:8086, "
    )
    summary, capacity = out.splitlines()
    assert summary.endswith(" alert rules")
    # 3 SNMP devices at 60 s and 300 s, one SSH one: the capacity a config needs.
    assert capacity.startswith("capacity: ") and " polls/s, ~" in capacity


def test_every_problem_listed(tmp_path: Path) -> None:
    text = example_text(tmp_path)
    text = text.replace("community: public,", "comunity: public,")  # typo, line 9
    text = text.replace("interval: 300s", "interval: 5 minutes")  # bad duration, line 11
    text = text.replace("port: 16162", "port: sixteen")  # wrong type, line 14
    text = text.replace("group: printers", "group: printer")  # unknown group, line 14
    text = text.replace("name: access-sw1", "name: core-sw1")  # duplicate, line 20
    text += "  - {name: ups1, address: 127.0.0.1, parent: core-sw2, class: ups}\n"  # line 21
    lines = check_text(tmp_path, text, SECRETS)
    assert lines == [
        "c.yaml:9: defaults.snmp.comunity: unknown key 'comunity', did you mean 'community'?",
        "c.yaml:11: groups.printers.interval: bad duration '5 minutes', expected a number of "
        "seconds or a number with a unit ms, s, m, h, d (e.g. 500ms, 30s, 5m)",
        "c.yaml:14: devices[floor2-printer].port: expected an integer, got 'sixteen'",
        "c.yaml:14: devices[floor2-printer].group: unknown group 'printer', "
        "did you mean 'printers'?",
        "c.yaml:20: devices[core-sw1].name: duplicate device name 'core-sw1' "
        "(first used on line 13), expected unique names",
        "c.yaml:21: devices[ups1].parent: unknown parent 'core-sw2', did you mean 'core-sw1'?",
    ]


def test_missing_env_variable(tmp_path: Path) -> None:
    lines = check_text(tmp_path, example_text(tmp_path), {"SW_PASS": SECRETS["SW_PASS"]})
    assert lines == [
        "c.yaml:18: devices[nas1].snmp.auth_password: environment variable NAS_AUTH is not "
        "set, expected it to be exported"
    ]


def test_missing_secret_file(tmp_path: Path) -> None:
    lines = check_text(tmp_path, EXAMPLE.read_text(), SECRETS)
    assert lines == [
        "c.yaml:19: devices[nas1].snmp.priv_password_file: secret file "
        "'/run/secrets/nas_priv' does not exist, expected a readable file"
    ]


def test_missing_token_file_in_another_section(tmp_path: Path) -> None:
    text = "influxdb:\n  url: http://127.0.0.1:8086\n  bucket: b\n  token_file: tok\n"
    assert check_text(tmp_path, text) == [
        "c.yaml:4: influxdb.token_file: secret file 'tok' does not exist, expected a readable file"
    ]


def test_invalid_yaml(tmp_path: Path) -> None:
    text = "devices:\n  - {name: a, address: 10.0.0.1\n  - {name: b}\n"
    (line,) = check_text(tmp_path, text)
    assert line.startswith("c.yaml:3: ")
    assert "invalid YAML" in line and "expected a well-formed YAML document" in line


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = "devices:\n  - name: a\n    address: 10.0.0.1\n    address: 10.0.0.2\n"
    text += "    snmp: {community: c}\n"
    assert check_text(tmp_path, text) == [
        "c.yaml:4: devices[a].address: duplicate key 'address' (first set on line 3), "
        "expected each key once"
    ]


def test_v3_rules_and_no_secret_echo(tmp_path: Path) -> None:
    text = (
        "devices:\n"
        "  - name: a\n"
        "    address: 10.0.0.1\n"
        "    port: ${SW_PASS}\n"
        "    snmp: {version: 3, auth_protocol: sha, auth_password: '${NAS_AUTH}'}\n"
        "  - {name: b, address: 10.0.0.2, snmp: {version: 3, user: u, priv_protocol: aes512}}\n"
    )
    lines = check_text(tmp_path, text, SECRETS)
    assert lines == [
        "c.yaml:4: devices[a].port: expected an integer",
        "c.yaml:6: devices[b].snmp.priv_protocol: unknown priv_protocol 'aes512', expected one "
        "of des, 3des, aes, aes192, aes256, aes192c, aes256c",
    ]
    text = text.replace("port: ${SW_PASS}", "port: 161").replace("aes512", "aes")
    assert check_text(tmp_path, text, {"NAS_AUTH": "short"}) == [
        "c.yaml:5: devices[a].snmp: SNMP v3 needs a user, expected snmp.user in the device, "
        "its group or defaults",
        "c.yaml:5: devices[a].snmp: auth_password is too short, expected at least 8 characters",
        "c.yaml:6: devices[b].snmp: priv_protocol needs authentication too, expected "
        "snmp.auth_protocol and snmp.auth_password (SNMPv3 has no noAuthPriv level)",
        "c.yaml:6: devices[b].snmp: priv_protocol is set without a password, expected "
        "snmp.priv_password or snmp.priv_password_file in the device, its group or defaults",
    ]


def test_ssh_platform_typo(tmp_path: Path) -> None:
    text = "devices:\n  - {name: a, address: 10.0.0.1, ssh: {platform: cisco_os, user: x}}\n"
    assert check_text(tmp_path, text) == [
        "c.yaml:2: devices[a].ssh.platform: unknown ssh platform 'cisco_os', "
        "did you mean 'cisco_ios'?"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "c.yaml: the file does not exist, expected a readable YAML file"),
        (
            "# nothing\n",
            "c.yaml: the file is empty, expected a mapping of sections "
            "(influxdb, defaults, groups, devices, ...)",
        ),
        (
            "- a\n",
            "c.yaml:1: expected a mapping of sections (influxdb, defaults, groups, devices, ...)",
        ),
        ("dir", "c.yaml: is a directory, expected a YAML file"),
    ],
)
def test_file_level_problems(tmp_path: Path, content: str | None, message: str) -> None:
    if content == "dir":
        (tmp_path / "c.yaml").mkdir()
    elif content is not None:
        (tmp_path / "c.yaml").write_text(content)
    code, out, err = run_check(tmp_path, "c.yaml")
    assert (code, out, err) == (2, "", message + "\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("devices: []\n")
    path.chmod(0)
    code, _, err = run_check(tmp_path, "c.yaml")
    assert (code, err) == (2, "c.yaml: permission denied, expected a readable YAML file\n")
