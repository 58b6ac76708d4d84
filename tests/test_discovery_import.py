"""`lanpulse discover --import`: CSV and NetBox exports -> the inventory file the config
includes; --diff, hand edits kept, --force, credential sets named (never secrets), and the
`inventory:` include's one-line errors. No agent is needed: imports send nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.cli import main
from lanpulse.config.loader import load_config
from lanpulse.core.errors import ConfigErrors
from lanpulse.discovery.imports import parse_csv, parse_netbox_csv, read_import

SECRET = "s3cret-community-Xy"
MAIN = f"""
credentials:
  office: {{version: 2c, community: {SECRET}}}
inventory: [inventory/*.yaml]
defaults:
  credentials: office
groups:
  printers: {{interval: 300s}}
devices:
  - {{name: core-sw1, address: 10.0.0.1}}
"""
CSV = """name,address,group,site,labels
floor3-printer,10.0.3.50,printers,floor3,team=desk;floor=3
floor3-sw2,10.0.3.2,,floor3,
"""
NETBOX = {
    "count": 3,
    "results": [
        {
            "name": "nb-sw1",
            "status": {"value": "active"},
            "role": {"slug": "access-switch"},
            "site": {"slug": "hq"},
            "primary_ip4": {"address": "10.0.5.2/24"},
            "serial": "ABC123",
            "tags": [{"slug": "core"}],
        },
        {
            "name": "nb-mfp",
            "status": {"value": "active"},
            "device_role": {"slug": "printer"},
            "site": {"slug": "hq"},
            "primary_ip": {"address": "10.0.5.7/24"},
        },
        {"name": "nb-old", "status": {"value": "decommissioning"}, "primary_ip4": None},
    ],
}
NETBOX_CSV = """Name,Status,Tenant,Site,Location,Rack,Role,Manufacturer,Type,IP Address
nb-ap1,Active,,branch,,,Access Switch,Cisco,C9200,10.0.6.2/24
nb-noip,Active,,branch,,,Printer,HP,M880,
"""


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    (tmp_path / "lanpulse.yaml").write_text(MAIN)
    (tmp_path / "devices.csv").write_text(CSV)
    return tmp_path


def discover(estate: Path, *args: str) -> int:
    return main(["discover", "-c", str(estate / "lanpulse.yaml"), *args])


def written(estate: Path) -> list[dict]:
    data = yaml.safe_load((estate / "inventory" / "discovered.yaml").read_text())
    return data["devices"]


def test_csv_import_writes_an_included_inventory(estate: Path) -> None:
    assert discover(estate, "--import", str(estate / "devices.csv")) == 0
    entries = {e["name"]: e for e in written(estate)}
    assert entries["floor3-printer"]["group"] == "printers"
    assert entries["floor3-printer"]["labels"] == {"team": "desk", "floor": "3", "site": "floor3"}
    loaded = load_config(estate / "lanpulse.yaml")
    printer = loaded.device("floor3-printer")
    assert printer.interval_s == 300.0 and printer.snmp is not None
    assert printer.snmp.community is not None and printer.snmp.community.reveal() == SECRET
    assert SECRET not in (estate / "inventory" / "discovered.yaml").read_text()


def test_diff_shows_new_changed_vanished_and_writes_nothing(
    estate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert discover(estate, "--import", str(estate / "devices.csv"), "--diff") == 0
    out = capsys.readouterr().out
    assert "+ floor3-printer" in out and "+ floor3-sw2" in out
    assert not (estate / "inventory").exists()
    discover(estate, "--import", str(estate / "devices.csv"))
    capsys.readouterr()
    (estate / "devices.csv").write_text(
        "name,address\nfloor3-printer,10.0.3.51\nnew-pc,10.0.3.90\n"
    )
    before = (estate / "inventory" / "discovered.yaml").read_text()
    assert discover(estate, "--import", str(estate / "devices.csv"), "--diff") == 0
    out = capsys.readouterr().out
    assert "~ floor3-printer" in out and "address 10.0.3.50 -> 10.0.3.51" in out
    assert "+ new-pc" in out
    assert "- floor3-sw2" in out
    assert (estate / "inventory" / "discovered.yaml").read_text() == before


def test_hand_edits_are_kept_unless_forced(estate: Path) -> None:
    discover(estate, "--import", str(estate / "devices.csv"))
    path = estate / "inventory" / "discovered.yaml"
    data = yaml.safe_load(path.read_text())
    data["devices"][0]["group"] = None
    del data["devices"][0]["group"]
    data["devices"][0]["labels"]["site"] = "annex"
    data["devices"][0]["interval"] = "10m"
    path.write_text(yaml.safe_dump(data))
    (estate / "devices.csv").write_text("name,address,site\nfloor3-printer,10.0.3.60,floor3\n")
    discover(estate, "--import", str(estate / "devices.csv"))
    printer = {e["name"]: e for e in written(estate)}["floor3-printer"]
    assert printer["labels"]["site"] == "annex" and printer["interval"] == "10m"
    assert printer["address"] == "10.0.3.50"  # a device's own key: not overwritten
    sw2 = {e["name"]: e for e in written(estate)}["floor3-sw2"]
    assert sw2["discovered"]["vanished_since"]  # flagged, never removed
    discover(estate, "--import", str(estate / "devices.csv"), "--force")
    printer = {e["name"]: e for e in written(estate)}["floor3-printer"]
    assert printer["address"] == "10.0.3.60" and printer["labels"]["site"] == "floor3"
    assert printer["interval"] == "10m"  # discovery never proposes it: kept even with --force


def test_netbox_json_and_csv(estate: Path) -> None:
    (estate / "nb.json").write_text(json.dumps(NETBOX))
    found = {d.name: d for d in read_import(estate / "nb.json")}
    assert set(found) == {"nb-sw1", "nb-mfp"}
    assert found["nb-sw1"].address == "10.0.5.2" and found["nb-sw1"].device_class == "switch"
    assert found["nb-sw1"].site == "hq" and found["nb-sw1"].agent.serial == "ABC123"
    assert found["nb-mfp"].device_class == "printer"
    (estate / "nb.csv").write_text(NETBOX_CSV)
    rows = read_import(estate / "nb.csv")
    assert [(d.name, d.address, d.device_class, d.site) for d in rows] == [
        ("nb-ap1", "10.0.6.2", "switch", "branch")
    ]
    assert discover(estate, "--import", str(estate / "nb.json")) == 0
    assert {e["name"] for e in written(estate)} == {"nb-sw1", "nb-mfp"}


def test_import_errors_are_one_line(estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = estate / "bad.csv"
    bad.write_text("name,address\nok,10.0.0.9\nbroken,not an address\n")
    assert discover(estate, "--import", str(bad)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{bad}:3: address: bad address 'not an address', expected an IP address or a host name"
    ]
    bad.write_text("name,address,community\nx,10.0.0.9,public\n")
    assert discover(estate, "--import", str(bad)) == 2
    assert "imports never copy secrets" in capsys.readouterr().err
    (estate / "unknown.csv").write_text("name,address,group\nx,10.0.0.9,nosuch\n")
    assert discover(estate, "--import", str(estate / "unknown.csv")) == 2
    err = capsys.readouterr().err
    assert "discovered.yaml:" in err and "unknown group 'nosuch'" in err
    assert not (estate / "inventory" / "discovered.yaml").exists()  # put back: never half-valid


def test_include_errors_name_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "a.yaml").write_text(
        "devices:\n"
        "  - {name: a, address: 10.0.0.2, credentials: ofice}\n"
        "  - {name: core, address: 10.0.0.3}\n"
    )
    (tmp_path / "main.yaml").write_text(
        MAIN.replace("inventory/*.yaml", "inv/a.yaml").replace("core-sw1", "core")
    )
    with pytest.raises(ConfigErrors) as caught:
        load_config(tmp_path / "main.yaml")
    lines = [e.one_line() for e in caught.value.errors]
    a = str(tmp_path / "inv" / "a.yaml")
    assert (
        f"{a}:2: devices[a].credentials: unknown credential set 'ofice', did you mean 'office'?"
        in lines
    )
    assert any(
        line.startswith(f"{a}:3: devices[core].name: duplicate device name") for line in lines
    )
    (tmp_path / "main.yaml").write_text(MAIN.replace("inventory/*.yaml", "inv/missing.yaml"))
    with pytest.raises(ConfigErrors) as caught:
        load_config(tmp_path / "main.yaml")
    assert "inventory file 'inv/missing.yaml' does not exist" in caught.value.errors[0].one_line()


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s == s.strip() and "=" not in s and ";" not in s)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), _cell, max_size=4))
def test_csv_labels_round_trip(labels: dict[str, str]) -> None:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["name", "address", "labels"],
            ["x", "10.0.0.1", ";".join(f"{k}={v}" for k, v in labels.items())],
        ]
    )
    assert dict(parse_csv(out.getvalue(), "t.csv")[0].labels) == labels


def test_netbox_csv_without_addresses_is_empty() -> None:
    assert parse_netbox_csv("Name,Role,IP Address\nx,printer,\n", "t.csv") == []


def test_discovery_names_are_checked_with_their_lines(tmp_path: Path) -> None:
    text = MAIN + (
        "discovery:\n"
        "  subnets: [10.0.0.0/24, {subnet: 10.0.1.0/24, credentials: [ofice]}, 10.0.2.0/33]\n"
        "  credentials: [office]\n"
        "  groups: {printer: printrs}\n"
    )
    (tmp_path / "main.yaml").write_text(text.replace("inventory/*.yaml", "inv/*.yaml"))
    with pytest.raises(ConfigErrors) as caught:
        load_config(tmp_path / "main.yaml")
    lines = {e.one_line().split(": ", 1)[1] for e in caught.value.errors}
    assert any("bad subnet '10.0.2.0/33'" in line for line in lines), lines
    (tmp_path / "main.yaml").write_text(
        text.replace("inventory/*.yaml", "inv/*.yaml").replace(", 10.0.2.0/33", "")
    )
    with pytest.raises(ConfigErrors) as caught:
        load_config(tmp_path / "main.yaml")
    assert [e.one_line().split(":", 2)[2].strip() for e in caught.value.errors] == [
        "discovery.subnets[1].credentials[0]: unknown credential set 'ofice', "
        "expected one of: office",
        "discovery.groups.printer: unknown group 'printrs', expected one of: printers",
    ]


@given(
    st.lists(st.integers(0, 2), min_size=1, max_size=8),  # which file each device is in
)
def test_included_devices_load_as_if_written_in_the_main_file(where: list[int]) -> None:
    import tempfile

    devices = [f"  - {{name: d{i}, address: 10.0.0.{i + 1}}}" for i in range(len(where))]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "inv").mkdir()
        main_lines = [d for d, w in zip(devices, where, strict=True) if w == 0]
        for number in (1, 2):
            part = [d for d, w in zip(devices, where, strict=True) if w == number]
            (base / "inv" / f"{number}.yaml").write_text("devices:\n" + "\n".join(part) + "\n")
        head = MAIN.split("devices:")[0].replace("inventory/*.yaml", "inv/*.yaml")
        (base / "split.yaml").write_text(head + "devices:\n" + "\n".join(main_lines) + "\n")
        (base / "one.yaml").write_text(
            head.replace("inv/*.yaml", "inv/none-*.yaml") + "devices:\n" + "\n".join(devices) + "\n"
        )
        split = {d.name: d for d in load_config(base / "split.yaml").devices}
        whole = {d.name: d for d in load_config(base / "one.yaml").devices}
    assert split == whole
