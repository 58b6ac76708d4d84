"""Sweep, crawl, --diff and `lanpulse where` against real agents on many 127.0.x addresses.

One snmpsim process serves an SNMP engine per simulated device (rewritten copies of
LibreNMS recordings, see tests/_discovery_estate.py); a real agent answers every request.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lanpulse.cli import main
from lanpulse.sim.snmpsim_estate import SnmpSimEstate
from tests._discovery_estate import estate

BASE = "127.0.1"
OUTSIDE = "127.0.9.1"


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimEstate]:
    sim = SnmpSimEstate(list(estate(BASE, OUTSIDE).values()), workdir=tmp_path_factory.mktemp("e"))
    sim.start()
    yield sim
    sim.cleanup()


def config(
    tmp_path: Path, port: int, *, extra: str = "", credentials: str = "[wrong, office]"
) -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(
        f"""
credentials:
  wrong: {{version: 2c, community: not-this-one}}
  office: {{version: 2c, community: lanpulse-sim}}
  sim-v3:
    version: "3"
    user: simulator
    auth_protocol: md5
    auth_password: auctoritas
    priv_protocol: des
    priv_password: privatus
    context: lanpulse-sim
inventory: [inventory/*.yaml]
groups:
  printers: {{interval: 300s}}
discovery:
  subnets: [{BASE}.0/24]
  credentials: {credentials}
  port: {port}
  timeout: 0.5s
  retries: 0
  sites:
    - {{match: "(?i)floor 3", site: floor3}}
    - {{match: "(?i)floor 4", site: floor4}}
    - {{match: HQ, site: hq}}
  groups: {{printer: printers}}
{extra}
"""
    )
    return path


def run(path: Path, *args: str) -> int:
    return main(["discover", "-c", str(path), *args])


def inventory(path: Path) -> dict[str, dict]:
    text = (path.parent / "inventory" / "discovered.yaml").read_text()
    return {e["name"]: e for e in yaml.safe_load(text)["devices"]}


def test_sweep_finds_every_agent_once(
    agents: SnmpSimEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, agents.port)
    assert run(path, "--subnet", f"{BASE}.0/27") == 0
    found = inventory(path)
    assert set(found) == {"core-sw1", "sw1", "sw2", "wlc", "floor3-printer", "pc-0417"}
    printer = found["floor3-printer"]
    assert printer["address"] == f"{BASE}.10" and printer["port"] == agents.port
    assert printer["class"] == "printer" and printer["profile"] == "epson"
    assert printer["credentials"] == "office"  # `wrong` was tried first and stayed silent
    assert printer["group"] == "printers" and printer["labels"] == {"site": "floor3"}
    facts = printer["discovered"]
    assert facts["addresses"] == [f"{BASE}.10", f"{BASE}.12"]  # one device, two addresses
    assert facts["sys_name"] == "floor3-printer" and facts["engine_id"] == "800000090310"
    assert facts["sys_object_id"].startswith("1.3.6.1.4.1.1248.")
    assert facts["sys_descr"] == "EPSON Built-in" and facts["sys_location"] == "Floor 3 print room"
    assert found["core-sw1"]["class"] == "switch" and found["core-sw1"]["labels"]["site"] == "hq"
    text = (tmp_path / "inventory" / "discovered.yaml").read_text()
    assert "lanpulse-sim" not in text and "not-this-one" not in text  # sets named, not secrets
    assert "discovery: 30 addresses asked, 7 answered, 6 devices" in capsys.readouterr().err
    assert main(["check", "-c", str(path)]) == 0


def test_sweep_with_v3_credentials(agents: SnmpSimEstate, tmp_path: Path) -> None:
    path = config(tmp_path, agents.port, credentials="[sim-v3]")
    assert run(path, "--subnet", f"{BASE}.0/28") == 0
    found = inventory(path)
    assert found["sw1"]["credentials"] == "sim-v3"
    assert len(found) == 6
    assert "auctoritas" not in (tmp_path / "inventory" / "discovered.yaml").read_text()


def test_a_subnet_has_its_own_credential_sets_and_site(
    agents: SnmpSimEstate, tmp_path: Path
) -> None:
    path = config(tmp_path, agents.port)
    text = path.read_text().replace(
        f"subnets: [{BASE}.0/24]",
        f"subnets: [{BASE}.0/24, {{subnet: {BASE}.8/29, site: lab, credentials: [sim-v3]}}]",
    )
    path.write_text(text)
    assert run(path, "--subnet", f"{BASE}.0/28") == 0
    found = inventory(path)
    assert found["floor3-printer"]["credentials"] == "sim-v3"  # .10 is in the /29
    assert found["floor3-printer"]["labels"] == {"site": "lab"}
    assert found["core-sw1"]["credentials"] == "office"
    assert found["core-sw1"]["labels"] == {"site": "hq"}


def test_crawl_builds_the_tree_and_never_sends_outside(
    agents: SnmpSimEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, agents.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outside:
        outside.bind((OUTSIDE, agents.port))  # the LLDP neighbour outside the subnets
        outside.setblocking(False)
        assert run(path, "--seed", f"{BASE}.1", "--depth", "1") == 0
        assert set(inventory(path)) == {"core-sw1", "sw1", "sw2"}  # wlc is 2 hops away
        assert run(path, "--seed", f"{BASE}.1") == 0
        with pytest.raises(BlockingIOError):
            outside.recv(65535)
    found = inventory(path)
    assert {n: e.get("parent") for n, e in found.items()} == {
        "core-sw1": None,
        "sw1": "core-sw1",
        "sw2": "core-sw1",
        "wlc": "sw2",
    }
    assert found["wlc"]["discovered"]["source"] == "cdp"
    err = capsys.readouterr().err
    assert f"wan-router at {OUTSIDE} on core-sw1: outside the subnets, not sent" in err
    assert "SEP001122334455 on core-sw1: no management address" in err
    assert main(["check", "-c", str(path)]) == 0


def test_scope_is_enforced(
    agents: SnmpSimEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, agents.port)
    assert run(path, "--subnet", "127.0.9.0/30") == 2
    assert capsys.readouterr().err.strip() == (
        "--subnet: 127.0.9.0/30 is outside discovery.subnets (127.0.1.0/24), expected a subnet "
        "inside them: discovery only sends to the configured subnets"
    )
    assert run(path, "--seed", "127.0.9.1") == 2
    assert "seed 127.0.9.1 is outside the subnets" in capsys.readouterr().err


def test_where_answers_from_forwarding_tables(
    agents: SnmpSimEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, agents.port)
    assert run(path, "--seed", f"{BASE}.1", "--subnet", f"{BASE}.0/28", "--endpoints") == 0
    capsys.readouterr()
    assert main(["where", "-c", str(path), f"{BASE}.10"]) == 0
    # The printer's MAC is also in the core's table, on its uplink to sw1: not an edge port.
    assert capsys.readouterr().out == (
        f"{BASE}.10 (00:26:ab:11:22:33): switch sw1 port Fa0/2, VLAN 20, last seen just now\n"
    )
    assert main(["where", "-c", str(path), "52-54-00-AA-BB-01"]) == 0
    assert "switch sw1 port Fa0/4, VLAN 20" in capsys.readouterr().out
    assert main(["where", "-c", str(path), "floor3-printer"]) == 0
    assert capsys.readouterr().out.startswith("floor3-printer 127.0.1.10 (00:26:ab:11:22:33)")
    assert main(["where", "-c", str(path), "10.1.2.3"]) == 1
    # A sweep now hangs the printer (no LLDP of its own) off the switch port it is on.
    assert run(path, "--subnet", f"{BASE}.0/28") == 0
    assert inventory(path)["floor3-printer"]["parent"] == "sw1"


def test_diff_after_adding_changing_and_removing_agents(
    agents: SnmpSimEstate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = "127.0.4"
    first = estate(base)
    with SnmpSimEstate([first["core"], first["sw2"], first["desktop"]]) as sim:
        path = config(tmp_path, sim.port)
        path.write_text(path.read_text().replace(f"{BASE}.0/24", f"{base}.0/24"))
        assert run(path, "--subnet", f"{base}.0/28") == 0
    assert set(inventory(path)) == {"core-sw1", "sw2", "pc-0417"}
    second = estate(base, sw2_name="sw2-renamed.example.net")
    with SnmpSimEstate([second["core"], second["sw2"], second["printer"]], port=sim.port):
        capsys.readouterr()
        assert run(path, "--subnet", f"{base}.0/28", "--diff") == 0
        out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("+ floor3-printer") for line in out)
    assert any(
        line.startswith("~ sw2")
        and "sysName 'sw2.example.net' -> 'sw2-renamed.example.net'" in line
        for line in out
    )
    assert any(line.startswith("- pc-0417") for line in out)
    assert len(out) == 3
