"""Profiles generalise beyond the corpus: other models of the same vendors, other row
counts, and the tables no recording carries (built as the RawSnmp such an agent sends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _recordings import RECORDINGS, replay_values

from lanpulse.config.profiles import builtin_profiles, load_profiles
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.model import Device, Oid, RawSnmp, Sample, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.explain import explain_lines, plan_entries
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.sim.snmprec import read_snmprec

DEV = Device(name="d1", address="127.0.0.1")
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OID = "1.3.6.1.2.1.1.2.0"


def _rec(name: str) -> dict[str, SnmpValue]:
    return read_snmprec(next(RECORDINGS.glob(f"*/{name}.snmprec")))


def _by(samples: list[Sample], measurement: str, tag: str) -> dict[str, dict[str, float]]:
    return {s.tags[tag]: dict(s.fields) for s in samples if s.measurement == measurement}


def _parse(profile: str, scalars: dict[str, SnmpValue], columns: dict[str, dict[str, SnmpValue]]):
    raw = RawSnmp(device="d1", started_ns=0, scalars=scalars, columns=columns)
    result = parse_snmp(raw, builtin_profiles().get(profile), DEV)
    assert result.errors == []
    assert validate_samples(result.samples) == []
    return result


def test_other_xerox_model_with_more_supplies() -> None:
    """A VersaLink under another Xerox sysObjectID, with two more supplies and one fewer."""
    values = _rec("xerox")
    values[SYS_OID] = Oid("1.3.6.1.4.1.253.8.62.1.46.1.2")
    values[SYS_DESCR] = b"Xerox VersaLink C7025; SS 1.2.3, NC 4.5.6"
    del values["1.3.6.1.2.1.43.11.1.1.9.1.12"]  # one supply answers no level
    sup = "1.3.6.1.2.1.43.11.1.1."
    values[sup + "6.1.20"] = b"Yellow Toner, PN 106R03772;SN1234"
    values[sup + "8.1.20"] = 4000
    values[sup + "9.1.20"] = 5000  # above max: capped
    values[sup + "6.1.21"] = b"Staple Cartridge, PN 008R12941;SNunknown"
    values[sup + "8.1.21"] = -2
    values[sup + "9.1.21"] = -3
    rep = replay_values("xerox_variant", values)
    assert rep.selection.profile.name == "xerox"
    assert rep.result.model == "VersaLink C7025"
    supplies = {
        s.tags["supply_index"]: (s.tags["supply"], s.tags["supply_type"], dict(s.fields))
        for s in rep.result.samples
        if s.measurement == "printer_supply"
    }
    assert supplies["1.20"] == (
        "Yellow Toner",
        "toner",
        {"level": 5000, "max_capacity": 4000, "level_pct": 100.0, "level_state": 0},
    )
    assert supplies["1.21"] == (
        "Staple Cartridge",
        "staples",
        {"some_remaining": 1, "level_state": 1},
    )
    assert supplies["1.1"][2]["level_pct"] == 20.0
    assert "1.12" in supplies and "level" not in supplies["1.12"][2]


def test_other_hp_printer_by_sysdescr_only() -> None:
    """An HP printer whose sysObjectID is unknown is still found by its JetDirect sysDescr."""
    values = _rec("jetdirect_m252dw")
    values[SYS_OID] = Oid("1.3.6.1.4.1.99999.1")
    values[SYS_DESCR] = b"HP ETHERNET MULTI-ENVIRONMENT,SN:X,FN:Y,SVCID:1,PID:HP LaserJet M402dn"
    del values["1.3.6.1.4.1.11.2.3.9.1.1.7.0"]
    values["1.3.6.1.2.1.25.3.2.1.3.1"] = b"HP LaserJet M402dn"
    rep = replay_values("hp_variant", values)
    assert rep.selection.profile.name == "hp_jetdirect"
    assert rep.result.model == "HP LaserJet M402dn"


def test_other_synology_model_with_four_disks() -> None:
    """A four-bay Synology: more disks, a degraded RAID, a failing disk."""
    values = _rec("dsm_ds214se-dsm7")
    values["1.3.6.1.4.1.6574.1.5.1.0"] = b"DS920+"
    disk = "1.3.6.1.4.1.6574.2.1.1."
    for i in (2, 3):
        values[f"{disk}2.{i}"] = f"Disk {i + 1}".encode()
        values[f"{disk}3.{i}"] = b"WD40EFRX"
        values[f"{disk}5.{i}"] = 1
        values[f"{disk}6.{i}"] = 40 + i
        values[f"{disk}13.{i}"] = 1
    values[f"{disk}13.3"] = 4  # failing
    values[f"{disk}5.3"] = 5  # crashed
    values["1.3.6.1.4.1.6574.3.1.1.3.1"] = 11  # storage pool degraded
    rep = replay_values("syno_variant", values)
    assert rep.selection.profile.name == "synology"
    assert rep.result.model == "DS920+"
    disks = _by(rep.result.samples, "disk", "disk")
    assert len(disks) == 4
    assert disks["Disk 4"] == {"health": 2, "state": 5, "temperature_c": 43}
    assert disks["Disk 3"]["health"] == 0
    raid = _by(rep.result.samples, "raid", "array")
    assert raid["Storage Pool 1"]["health"] == 2
    assert raid["Volume 1"]["health"] == 0


def test_synology_without_probe_answer_is_linux() -> None:
    """Without the Synology probe the same sysObjectID is an ordinary Linux host."""
    values = _rec("dsm_ds214se-dsm7")
    for oid in [o for o in values if o.startswith("1.3.6.1.4.1.6574.")]:
        del values[oid]
    assert replay_values("plain_linux", values).selection.profile.name == "linux"


def test_cisco_stack_with_two_cpus_and_temperature() -> None:
    """A Catalyst 9300 (another model under Cisco's tree): CPUs averaged, envmon temperature."""
    cpu = "1.3.6.1.4.1.9.9.109.1.1.1.1."
    env = "1.3.6.1.4.1.9.9.13.1.3.1."
    result = _parse(
        "cisco_ios",
        {SYS_DESCR: b"Cisco IOS Software [Bengaluru], Catalyst L3 Switch Software (CAT9K_IOSXE)"},
        {
            cpu + "8": {"1000": 10, "2000": 30},
            "1.3.6.1.4.1.9.9.48.1.1.1.5": {"1": 100, "2": 50},
            "1.3.6.1.4.1.9.9.48.1.1.1.6": {"1": 300, "2": 50},
            "1.3.6.1.4.1.9.9.48.1.1.1.4": {"1": 1, "2": 2},  # pool 2 not valid
            env + "2": {"1": b"Inlet", "2": b"Hotspot"},
            env + "3": {"1": 31, "2": 58},
            env + "6": {"1": 1, "2": 2},
        },
    )
    host = next(s for s in result.samples if s.measurement == "host")
    assert dict(host.fields) == {
        "cpu_pct": 20.0,
        "mem_total_bytes": 400,
        "mem_used_bytes": 100,
        "mem_used_pct": 25.0,
    }
    temps = _by(result.samples, "sensor", "sensor")
    assert temps["Hotspot"] == {"value": 58, "state": 2, "health": 1}


def test_entity_sensor_scale_precision_and_duplicate_names() -> None:
    """milli-volts with precision, kilo-watts, an unavailable sensor, duplicate names."""
    es = "1.3.6.1.2.1.99.1.1.1."
    result = _parse(
        "generic",
        {},
        {
            es + "1": {"1": 4, "2": 6, "3": 8, "4": 8, "5": 12},
            es + "2": {"1": 8, "2": 10, "3": 9, "4": 9, "5": 9},
            es + "3": {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0},
            es + "4": {"1": 33000, "2": 2, "3": 285, "4": 99, "5": 1},
            es + "5": {"1": 1, "2": 1, "3": 1, "4": 2, "5": 1},
            "1.3.6.1.2.1.47.1.1.1.1.7": {"1": b"3.3V", "2": b"PSU", "3": b"1/1", "4": b"1/1"},
        },
    )
    sensors = {
        s.tags["sensor"]: (s.tags["sensor_type"], dict(s.fields))
        for s in result.samples
        if s.measurement == "sensor"
    }
    assert sensors == {
        "3.3V": ("voltage", {"value": 3.3, "state": 1, "health": 0}),
        "PSU": ("power", {"value": 2000, "state": 1, "health": 0}),
        "1/1 (3)": ("temperature", {"value": 28.5, "state": 1, "health": 0}),
        "1/1 (4)": ("temperature", {"state": 2, "health": 3}),  # unavailable: no stale value
    }


def test_mikrotik_board_temperature() -> None:
    """RouterOS-style health with both temperatures, tenths of a degree."""
    result = _parse(
        "mikrotik_swos",
        {"1.3.6.1.4.1.14988.1.1.3.10.0": 385, "1.3.6.1.4.1.14988.1.1.3.11.0": 470},
        {},
    )
    temps = _by(result.samples, "sensor", "sensor")
    assert temps == {"Board": {"value": 38.5}, "Processor": {"value": 47.0}}


def test_ucd_memory_prefers_available_and_rejects_garbage() -> None:
    """used = total - avail - buffers - cached; a negative buffer leaves used to hrStorage."""
    ucd = "1.3.6.1.4.1.2021.4."
    good = _parse(
        "linux",
        {
            ucd + "5.0": 1000,
            ucd + "6.0": 100,
            ucd + "14.0": 200,
            ucd + "15.0": 300,
            ucd + "3.0": 50,
            ucd + "4.0": 20,
            "1.3.6.1.4.1.2021.10.1.3.1": b"0.25",
        },
        {},
    )
    host = next(s for s in good.samples if s.measurement == "host")
    assert dict(host.fields) == {
        "mem_total_bytes": 1024000,
        "mem_used_bytes": 409600,
        "mem_used_pct": 40.0,
        "swap_total_bytes": 51200,
        "swap_used_bytes": 30720,
        "load1": 0.25,
    }
    bad = _parse(
        "linux", {ucd + "5.0": 1000, ucd + "6.0": 100, ucd + "14.0": -5, ucd + "15.0": 1}, {}
    )
    host = next(s for s in bad.samples if s.measurement == "host")
    assert dict(host.fields) == {"mem_total_bytes": 1024000}


# Issue 22: another model (not the corpus one) of every vendor profile added, as the
# vendors document their sysObjectID and sysDescr.
OTHER_MODELS: list[tuple[str, str, str, str]] = [
    (
        "1.3.6.1.4.1.2636.1.1.1.2.132",
        "Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 20.4R3",
        "juniper_junos",
        "switch",
    ),
    (
        "1.3.6.1.4.1.25506.11.1.239",
        "HPE Comware Platform Software, Software Version 7.1.070, Release 3208P02\r\n"
        "HPE 5130-24G-PoE+-4SFP+ EI Switch",
        "hpe_comware",
        "switch",
    ),
    (
        "1.3.6.1.4.1.6486.801.1.1.2.1.11.1.1",
        "Alcatel-Lucent Enterprise OS6860E-P24 8.7.354.R01 GA",
        "alcatel_aos",
        "switch",
    ),
    ("1.3.6.1.4.1.171.10.153.3.1", "DGS-3630-28TC Gigabit Ethernet Switch", "dlink", "switch"),
    ("1.3.6.1.4.1.12356.106.1.4242", "", "fortiswitch", "switch"),
    (
        "1.3.6.1.4.1.4526.100.4.31",
        "GS724Tv4 ProSafe 24-port Gigabit Smart Switch",
        "netgear",
        "switch",
    ),
    (
        "1.3.6.1.4.1.789.2.3",
        "NetApp Release 8.2.4 7-Mode: Fri Nov 13 2015",
        "netapp",
        "storage",
    ),
    ("1.3.6.1.4.1.789.1123.6", "NETAPP   INF-01-00        0881", "netapp_eseries", "storage"),
    (
        "1.3.6.1.4.1.40482",
        "Pure Storage FlashArray//X70, Purity//FA 6.1.0",
        "purestorage",
        "storage",
    ),
    ("1.3.6.1.4.1.11.2.51", "HPE MSA 2060 SAN", "hpe_msa", "storage"),
    ("1.3.6.1.4.1.674", "DELL EMC ME5024", "dell_powervault_me", "storage"),
    (
        "1.3.6.1.4.1.641.2.45",
        "Lexmark MS621 version MSNGM.074.215 kernel 4.11.12",
        "lexmark",
        "printer",
    ),
    (
        "1.3.6.1.4.1.99999.9",
        "Dell S2830dn Laser Printer version MSNGM.052 kernel 4.4",
        "dell_laser",
        "printer",
    ),
    ("1.3.6.1.4.1.1129.2.3.72.1", "TOSHIBA e-STUDIO5015AC", "toshiba", "printer"),
    (
        "1.3.6.1.4.1.318.1.3.5.4",
        "APC Web/SNMP Management Card (MB:v3.9.2 PF:v3.5.7 MN:AP9619)",
        "generic",
        "other",
    ),  # without the upsBasicIdentModel probe: a PDU, say (test_profiles_ups.py)
    ("1.3.6.1.4.1.534.1", "Eaton 5PX 1500", "generic", "other"),  # no probe: test_profiles_ups
    ("1.3.6.1.4.1.297.1.11.93.1.2.1", "FUJIFILM Apeos C3060; ESS 1.2.3", "fujifilm", "printer"),
    ("1.3.6.1.4.1.297.1.11.93.1.2.1", "FUJI XEROX ApeosPort-VII C3373", "fujifilm", "printer"),
    ("1.3.6.1.4.1.1347.41", "KYOCERA ECOSYS M3655idn", "kyocera", "printer"),
    ("1.3.6.1.4.1.1602.4.7", "Canon iR-ADV C3530 /P", "canon", "printer"),
    ("1.3.6.1.4.1.253.8.62.1.24.2.1.1", "Xerox WorkCentre 7855 v1", "xerox", "printer"),
    (
        "1.3.6.1.4.1.367.1.1",
        "RICOH IM C3000 1.02 / RICOH Network Printer C model",
        "ricoh",
        "printer",
    ),
    ("1.3.6.1.4.1.12325.1.1.2.1.1", "isi-2 Isilon OneFS v9.1.0.0", "isilon", "storage"),
    (
        "1.3.6.1.4.1.1991.1.3.54.2.4.1",
        "Brocade Communications Systems, Inc. ICX6450-24P, IronWare Version 08.0.30",
        "ruckus_icx",
        "switch",
    ),
]


@pytest.mark.parametrize(
    ("sys_object_id", "sys_descr", "profile", "device_class"),
    [
        (
            "1.3.6.1.4.1.311.1.1.3.1.1",
            "Hardware: x86 - Software: Windows",
            "windows_workstation",
            "desktop",
        ),
        (
            "1.3.6.1.4.1.311.1.1.3.1.3",
            "Hardware: x86 - Software: Windows",
            "windows_server",
            "server",
        ),
        ("1.3.6.1.4.1.8072.3.2.16", "Darwin mac 23.1.0 Darwin Kernel", "macos", "desktop"),
        ("1.3.6.1.4.1.8072.3.2.8", "FreeBSD fw 14.0-RELEASE", "freebsd", "server"),
        ("1.3.6.1.4.1.8072.3.2.13", "SunOS x 5.11", "net_snmp", "server"),
        ("1.3.6.1.4.1.50536.3.1", "TrueNAS-25.04 Hardware", "truenas_scale", "storage"),
        ("1.3.6.1.4.1.50536.3.1", "TrueNAS-13.0-U6.1 Hardware", "truenas_core", "storage"),
        ("1.3.6.1.4.1.50536.3.9", "iX appliance", "truenas", "storage"),
        ("1.3.6.1.4.1.99999.7", "Acme LaserPro 9 Printer", "printer", "printer"),
        ("1.3.6.1.4.1.99999.7", "Lexmark MX711 Printer", "lexmark", "printer"),
        ("1.3.6.1.4.1.99999.7", "Some unknown box", "generic", "other"),
        ("1.3.6.1.4.1.9.1.2694", "Cisco IOS Software, C9300", "cisco_ios", "switch"),
        ("1.3.6.1.4.1.1347.41", "KYOCERA Document Solutions Printing System", "kyocera", "printer"),
        *OTHER_MODELS,
    ],
)
def test_selection_of_devices_outside_the_corpus(
    sys_object_id: str, sys_descr: str, profile: str, device_class: str
) -> None:
    """sysObjectID prefix first, then sysDescr, then generic."""
    got = builtin_profiles().select(sys_object_id, sys_descr).profile
    assert (got.name, got.device_class) == (profile, device_class)


def test_compellent_needs_its_sysdescr() -> None:
    """FreeBSD's sysObjectID is Compellent only when sysDescr names it."""
    ps = builtin_profiles()
    assert ps.select("1.3.6.1.4.1.8072.3.2.8", "FreeBSD x ... /COMPELLENT amd64").profile.name == (
        "dell_compellent"
    )
    assert ps.select("1.3.6.1.4.1.8072.3.2.8", "FreeBSD x 13.2").profile.name == "freebsd"


def test_probe_oids_and_reasons() -> None:
    """The collector learns which OIDs to GET for probes; reasons say why."""
    ps = builtin_profiles()
    assert "1.3.6.1.4.1.6574.1.5.1.0" in ps.probe_oids()
    sel = ps.select("1.3.6.1.4.1.8072.3.2.10", "Linux nas", ["1.3.6.1.4.1.6574.1.5.1.0"])
    assert sel.profile.name == "synology"
    assert "answers 1.3.6.1.4.1.6574.1.5.1.0" in sel.reason


def test_patch_and_format_in_user_profiles(tmp_path: Path) -> None:
    """A user profile patches an inherited metric and formats a tag."""
    (tmp_path / "acme.yaml").write_text(
        "extends: [_printer]\nvendor: Acme\nmatch: {sysobjectid: [1.3.6.1.4.1.55555]}\n"
        "metrics:\n  - {name: printer_supplies, patch: true, "
        "processors: [hp_supply_descr, printer_supply]}\n"
    )
    ps = load_profiles([tmp_path])
    acme = ps.get("acme")
    metric = next(m for m in acme.metrics if m.name == "printer_supplies")
    assert metric.processors == ["hp_supply_descr", "printer_supply"]
    assert metric.tags["supply_type"] is not None  # the rest is inherited


def test_unknown_processor_is_one_clear_error(tmp_path: Path) -> None:
    """A typo in a processor name names the file and the metric."""
    (tmp_path / "bad.yaml").write_text(
        "extends: [_printer]\nmetrics:\n  - {name: printer_supplies, patch: true, "
        "processors: [printer_suply]}\n"
    )
    with pytest.raises(ConfigErrors) as err:
        load_profiles([tmp_path])
    text = str(err.value.errors[0].one_line())
    assert "bad.yaml" in text and "printer_suply" in text


def test_explain_lists_tables_and_unanswered_fields() -> None:
    """--explain data: every OID with its metric, and the fields the device left empty."""
    values = _rec("xerox")
    rep = replay_values("xerox", values)
    entries = plan_entries(rep.selection.profile)
    assert any(e.oid == "1.3.6.1.2.1.43.11.1.1.9" and e.walk for e in entries)
    lines = explain_lines(rep.selection.profile, rep.selection.reason, rep.result)
    text = "\n".join(lines)
    assert "profile xerox (printer)" in text
    assert "printer_status.device_status" in text  # Xerox recording has no hrDeviceTable


def test_nimble_volume_over_4_tib_mib_and_more_rows() -> None:
    """A larger Nimble: a volume whose MiB count needs the high 32-bit half."""
    values = _rec("nimbleos")
    vol = "1.3.6.1.4.1.37447.1.2.1."
    values[f"{vol}3.13"] = b"Huge"
    values[f"{vol}4.13"] = 5  # low half, MiB
    values[f"{vol}5.13"] = 2  # high half: 2 * 2^32 MiB
    values[f"{vol}6.13"] = 7
    values[f"{vol}7.13"] = 1
    rep = replay_values("nimble_variant", values)
    storage = _by(rep.result.samples, "storage", "volume")
    assert len(storage) == 14
    mib = 1048576
    assert storage["Huge"]["size_bytes"] == (2 * 2**32 + 5) * mib
    assert storage["Huge"]["used_bytes"] == (2**32 + 7) * mib
    assert storage["Arx-BCK"]["size_bytes"] == 109521666048


def test_windows_desktop_variant() -> None:
    """The server recording as a Windows 11 workstation with one more, labelled volume."""
    values = _rec("windows_svr_2019_1809")
    values[SYS_OID] = Oid("1.3.6.1.4.1.311.1.1.3.1.1")
    hr = "1.3.6.1.2.1.25.2.3.1."
    values[f"{hr}2.9"] = Oid("1.3.6.1.2.1.25.2.1.4")
    values[f"{hr}3.9"] = b"E:\\ Label:Backup  Serial Number 1a2b3c4d"
    values[f"{hr}4.9"] = 4096
    values[f"{hr}5.9"] = -1  # 2^32 - 1 units: a 16 TiB volume wrapped negative
    values[f"{hr}6.9"] = 1000
    rep = replay_values("win_variant", values)
    assert rep.selection.profile.name == "windows_workstation"
    assert rep.selection.profile.device_class == "desktop"
    storage = _by(rep.result.samples, "storage", "volume")
    assert storage["E:\\"]["size_bytes"] == (2**32 - 1) * 4096
    assert set(storage) == {"C:\\", "E:\\"}


@pytest.mark.parametrize(
    ("descr", "name", "alias", "kept"),
    [
        # Windows 2012 and later: names in ifAlias, ifName by type and number.
        (b"Intel(R) Ethernet Connection I219-LM", b"ethernet_32768", b"Ethernet", True),
        (b"Intel(R) Wi-Fi 6 AX201 160MHz", b"wireless_32768", b"Wi-Fi", True),
        (b"Realtek USB GbE Family Controller", b"ethernet_32770", b"Ethernet 2", True),
        (
            b"Intel(R) Wi-Fi 6 AX201 160MHz-Native WiFi Filter Driver-0000",
            b"wireless_0",
            b"Wi-Fi-Native WiFi Filter Driver-0000",
            False,
        ),
        (
            b"Intel(R) Ethernet Connection I219-LM-Npcap Packet Driver (NPCAP)-0000",
            b"ethernet_0",
            b"Ethernet-Npcap Packet Driver (NPCAP)-0000",
            False,
        ),
        (
            b"Intel(R) Ethernet Connection I219-LM-WFP Native MAC Layer LightWeight Filter-0000",
            b"ethernet_1",
            b"Ethernet-WFP Native MAC Layer LightWeight Filter-0000",
            False,
        ),
        (
            b"Microsoft Wi-Fi Direct Virtual Adapter",
            b"wireless_32769",
            b"Local Area Connection* 10",
            False,
        ),
        (b"WAN Miniport (SSTP)", b"tunnel_32512", b"Local Area Connection* 1", False),
        (b"WAN Miniport (PPPOE)", b"ppp_32768", b"Local Area Connection* 5", False),
        (b"Software Loopback Interface 1", b"loopback_0", b"Loopback Pseudo-Interface 1", False),
        (b"Microsoft ISATAP Adapter #2", b"tunnel_3", b"isatap.{5E3C1A52-0000}", False),
        # Windows XP / 2003: no ifXTable, ifDescr is if_name.
        (b"Intel(R) PRO/1000 MT Network Connection", None, None, True),
        (b"Intel(R) PRO/1000 MT Network Connection - Packet Scheduler Miniport", None, None, False),
        (b"WAN Miniport (IP)", None, None, False),
        (b"MS TCP Loopback interface", None, None, False),
    ],
)
def test_windows_leaves_out_filter_layers_miniports_and_tunnels(
    descr: bytes, name: bytes | None, alias: bytes | None, kept: bool
) -> None:
    """The Windows profiles keep real adapters only (the `exclude` of _windows.yaml): the
    filter layers repeat an adapter's traffic. Names as Windows agents report them."""
    columns: dict[str, dict[str, SnmpValue]] = {
        "1.3.6.1.2.1.2.2.1.2": {"7": descr},
        "1.3.6.1.2.1.2.2.1.10": {"7": 1000},
        "1.3.6.1.2.1.2.2.1.5": {"7": 1_000_000_000},
    }
    if name is not None:
        columns["1.3.6.1.2.1.31.1.1.1.1"] = {"7": name}
    if alias is not None:
        columns["1.3.6.1.2.1.31.1.1.1.18"] = {"7": alias}
    for profile in ("windows_workstation", "windows_server"):
        result = _parse(profile, {}, columns)
        interfaces = [s for s in result.samples if s.measurement == "interface"]
        assert len(interfaces) == (1 if kept else 0), (profile, descr)


def test_cisco_entity_sensor_mib() -> None:
    """CISCO-ENTITY-SENSOR-MIB: a transceiver's temperature and bias current; dBm skipped."""
    ces = "1.3.6.1.4.1.9.9.91.1.1.1.1."
    result = _parse(
        "cisco_ios",
        {},
        {
            ces + "1": {"1001": 8, "1002": 5, "1003": 14},
            ces + "2": {"1001": 9, "1002": 7, "1003": 9},
            ces + "3": {"1001": 1, "1002": 0, "1003": 1},
            ces + "4": {"1001": 342, "1002": 6120, "1003": -25},
            ces + "5": {"1001": 1, "1002": 1, "1003": 1},
            "1.3.6.1.2.1.47.1.1.1.1.7": {
                "1001": b"Gi1/0/1 Module Temperature",
                "1002": b"Gi1/0/1 Bias Current",
                "1003": b"Gi1/0/1 Receive Power",
            },
        },
    )
    sensors = {
        s.tags["sensor"]: (s.tags["sensor_type"], dict(s.fields))
        for s in result.samples
        if s.measurement == "sensor"
    }
    assert sensors == {
        "Gi1/0/1 Module Temperature": ("temperature", {"value": 34.2, "state": 1, "health": 0}),
        "Gi1/0/1 Bias Current": ("current", {"value": 0.00612, "state": 1, "health": 0}),
    }


def test_aruba_ap_table_status_and_group() -> None:
    """wlsxWlanAPTable (absent from the recording): status up/down per AP, and the AP
    group joined onto that AP's radios (radio index = AP MAC + radio number)."""
    ap, radio = "1.3.6.1.4.1.14823.2.2.1.5.2.1.4.1.", "1.3.6.1.4.1.14823.2.2.1.5.2.1.5.1."
    mac_a, mac_b = "0.11.134.1.2.3", "0.11.134.1.2.4"
    result = _parse(
        "arubaos",
        {},
        {
            ap + "3": {mac_a: b"hq-ap-1", mac_b: b"hq-ap-2"},
            ap + "4": {mac_a: b"hq-floor1", mac_b: b"hq-floor2"},
            ap + "19": {mac_a: 1, mac_b: 2},
            radio + "2": {mac_a + ".1": 1},
            radio + "7": {mac_a + ".1": 12},
        },
    )
    assert validate_samples(list(result.samples)) == []
    rows = [
        (s.tags["ap"], s.tags.get("ap_group"), s.tags.get("band"), dict(s.fields))
        for s in result.samples
        if s.measurement == "wireless_ap"
    ]
    expected = [
        ("hq-ap-1", "hq-floor1", None, {"up": 1}),
        ("hq-ap-1", "hq-floor1", "5ghz", {"clients": 12}),
        ("hq-ap-2", "hq-floor2", None, {"up": 0}),
    ]
    assert sorted(rows, key=str) == sorted(expected, key=str)
