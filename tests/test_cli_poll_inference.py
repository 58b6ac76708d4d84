"""`lanpulse poll` against snmpsim (real UDP) for devices of unknown vendor: the class is
inferred from what they answer and `--explain` says why; UPS, device_info and LLDP
neighbours come through the real collector.

The unknown-vendor agents are corpus recordings with sysObjectID and sysDescr replaced.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _recordings import RECORDINGS

from lanpulse.sim.snmpsim import SnmpSimAgent

UNKNOWN = {
    "mystery-ups": "eaton-mgeups_9pxle",
    "mystery-switch": "dlink_dgs-1510-28",
    "mystery-printer": "utax",
}


def _unknown(text: str) -> str:
    text = re.sub(
        r"(?m)^1\.3\.6\.1\.2\.1\.1\.2\.0\|6\|.*$", "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.3", text
    )
    return re.sub(
        r"(?m)^1\.3\.6\.1\.2\.1\.1\.1\.0\|4x?\|.*$", "1.3.6.1.2.1.1.1.0|4|Embedded agent", text
    )


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    sim = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim-unknown"))
    for community, name in UNKNOWN.items():
        path = next(RECORDINGS.glob(f"*/{name}.snmprec"))
        sim.add_text(community, _unknown(path.read_text()))
    sim.add(next(RECORDINGS.glob("*/apc_smt750x-nmc2.snmprec")))
    sim.start()
    yield sim
    sim.cleanup()


def _poll(agent: SnmpSimAgent, community: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["poll", "127.0.0.1", "--port", str(agent.port), "--community", community, *extra]
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )


@pytest.mark.parametrize(
    ("community", "device_class", "evidence"),
    [
        ("mystery-ups", "ups", "UPS-MIB upsBatteryStatus"),
        ("mystery-switch", "switch", "LLDP-MIB lldpLocPortTable"),
        ("mystery-printer", "printer", "Printer-MIB prtMarkerSuppliesLevel"),
    ],
)
def test_explain_says_why_the_class_was_inferred(
    agent: SnmpSimAgent, community: str, device_class: str, evidence: str
) -> None:
    r = _poll(agent, community, "--explain")
    assert r.returncode == 0, r.stderr
    assert f"class {device_class} inferred: the device answers {evidence}" in r.stdout


def test_json_of_an_inferred_switch_has_its_neighbours_and_identity(agent: SnmpSimAgent) -> None:
    r = _poll(agent, "mystery-switch", "--format", "json")
    assert r.returncode == 0, r.stderr
    samples = [json.loads(line) for line in r.stdout.splitlines()]
    assert {s["tags"]["class"] for s in samples} == {"switch"}
    neighbours = [s["tags"] for s in samples if s["measurement"] == "neighbor"]
    assert {"local_port": "eth1/0/24", "remote_name": "Kos16c"}.items() <= next(
        n for n in neighbours if n.get("remote_name") == "Kos16c"
    ).items()
    assert any(s["measurement"] == "device_info" for s in samples)


def test_apc_ups_over_snmp(agent: SnmpSimAgent) -> None:
    r = _poll(agent, "apc_smt750x-nmc2", "--format", "json")
    assert r.returncode == 0, r.stderr
    samples = [json.loads(line) for line in r.stdout.splitlines()]
    ups = next(s for s in samples if s["measurement"] == "ups")
    assert ups["tags"]["class"] == "ups"
    assert ups["fields"]["on_battery"] == 0 and ups["fields"]["battery_charge_pct"] == 100
    info = next(s for s in samples if s["measurement"] == "device_info")
    assert info["tags"]["serial"] == "AS1907242163"


def test_snmpv1_agent_missing_evidence_tables_is_still_inferred(agent: SnmpSimAgent) -> None:
    """Over SNMPv1 an agent answers noSuchName for what it lacks: the missing evidence is
    no evidence, the poll goes on and the printer is still found."""
    r = _poll(agent, "mystery-printer", "--snmp-version", "1", "--explain")
    assert r.returncode == 0, r.stderr
    assert "class printer inferred" in r.stdout
