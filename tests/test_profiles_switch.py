"""Switch vendors beyond the corpus models.

Values here are SYNTHETIC recordings written from the vendor MIBs (JUNIPER-MIB
jnxOperatingTable, CISCO-CDP-MIB, LLDP-MIB, POWER-ETHERNET-MIB, DLINKSW-ENTITY-EXT-MIB,
HH3C MIBs), not device captures. Identification of another model of every vendor added
for issue 22 is in test_profiles_synthetic.py (OTHER_MODELS).
"""

from __future__ import annotations

from _recordings import replay_values

from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.schema import validate_samples

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OID = "1.3.6.1.2.1.1.2.0"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1."


def _parse(values: dict[str, SnmpValue], name: str) -> list:
    rep = replay_values(name, values)
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    return list(rep.result.samples)


def test_juniper_ex2300_failed_psu_fan_at_full_speed() -> None:
    """SYNTHETIC (JUNIPER-MIB): an EX2300 whose second PSU is down and fan runs at full
    speed; one routing engine with 2 GiB; a PoE budget (POWER-ETHERNET-MIB)."""
    op = "1.3.6.1.4.1.2636.3.1.13.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 20.4R3",
        SYS_OID: Oid("1.3.6.1.4.1.2636.1.1.1.2.132"),
        "1.3.6.1.4.1.2636.3.1.3.0": b"JW3619xxxxxx",  # jnxBoxSerialNo
        "1.3.6.1.2.1.105.1.3.1.1.2.1": 370,
        "1.3.6.1.2.1.105.1.3.1.1.3.1": 1,
        "1.3.6.1.2.1.105.1.3.1.1.4.1": 95,
    }
    units = {
        "2.1.1.0": (b"Power Supply 0 @ 0/0/*", 2, 0, 0, 0, 0),
        "2.1.2.0": (b"Power Supply 1 @ 0/1/*", 6, 0, 0, 0, 0),
        "4.1.1.0": (b"Fan Tray 0 @ 0/0/*", 5, 0, 0, 0, 0),
        "7.1.0.0": (b"FPC: EX2300-24P @ 0/*/*", 2, 48, 40, 0, 0),
        "9.1.0.0": (b"Routing Engine 0", 2, 51, 40, 2**31, 25),
    }
    for index, (descr, state, temp, cpu, dram, buffer) in units.items():
        for col, value in (
            (5, descr),
            (6, state),
            (7, temp),
            (8, cpu),
            (10, dram - 2**32 if dram >= 2**31 else dram),
            (11, buffer),
        ):
            values[f"{op}{col}.{index}"] = value
    samples = _parse(values, "ex2300")
    sensors = {s.tags["sensor"]: dict(s.fields) for s in samples if s.measurement == "sensor"}
    assert sensors["Power Supply 1 @ 0/1/*"] == {"state": 6, "health": 2}
    assert sensors["Fan Tray 0 @ 0/0/*"] == {"state": 5, "health": 1}
    assert sensors["Routing Engine 0"] == {"value": 51.0}
    host = next(dict(s.fields) for s in samples if s.measurement == "host")
    assert host == {
        "cpu_pct": 40.0,
        "mem_total_bytes": 2**31,
        "mem_used_bytes": 2**31 // 4,
        "mem_used_pct": 25.0,
    }
    poe = next(dict(s.fields) for s in samples if s.measurement == "poe")
    assert poe == {"budget_w": 370, "status": 1, "used_w": 95, "remaining_w": 275}
    info = next(s.tags for s in samples if s.measurement == "device_info")
    assert (info["serial"], info["firmware"], info["model"]) == (
        "JW3619xxxxxx",
        "20.4R3",
        "ex2300-24p",
    )


def test_cisco_cdp_neighbours() -> None:
    """SYNTHETIC (CISCO-CDP-MIB): a Catalyst 9200 with two CDP neighbours, one without an
    IP address; the corpus has no CDP cache rows."""
    cdp = "1.3.6.1.4.1.9.9.23.1.2.1.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"Cisco IOS Software [Bengaluru], Catalyst L3 Switch Software (CAT9K_LITE)",
        SYS_OID: Oid("1.3.6.1.4.1.9.1.2694"),
        IF_NAME + "9": b"Gi1/0/1",
        IF_NAME + "33": b"Te1/1/1",
        f"{cdp}3.9.1": 1,
        f"{cdp}4.9.1": bytes([10, 20, 0, 5]),
        f"{cdp}6.9.1": b"custody-ap-1",
        f"{cdp}7.9.1": b"GigabitEthernet0",
        f"{cdp}8.9.1": b"cisco AIR-AP2802I-E-K9",
        f"{cdp}6.33.4": b"core-sw1.police.local",
        f"{cdp}7.33.4": b"TenGigabitEthernet1/1/3",
    }
    samples = _parse(values, "c9200")
    neighbours = {s.tags["local_port"]: s.tags for s in samples if s.measurement == "neighbor"}
    assert neighbours["Gi1/0/1"]["remote_address"] == "10.20.0.5"
    assert neighbours["Gi1/0/1"]["protocol"] == "cdp"
    assert neighbours["Te1/1/1"]["remote_port"] == "TenGigabitEthernet1/1/3"
    assert "remote_address" not in neighbours["Te1/1/1"]


def test_lldp_ipv6_address_unprefixed_index_and_unknown_local_port() -> None:
    """SYNTHETIC (LLDP-MIB): a D-Link DGS-3630 with a neighbour reporting only an IPv6
    management address, one whose address index has no length octet, and a local port
    number that is no ifIndex (named from lldpLocPortDesc)."""
    rem, man = "1.0.8802.1.1.2.1.4.1.1.", "1.0.8802.1.1.2.1.4.2.1.3."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"DGS-3630-28TC Gigabit Ethernet Switch",
        SYS_OID: Oid("1.3.6.1.4.1.171.10.153.3.1"),
        IF_NAME + "1": b"1/1",
        "1.0.8802.1.1.2.1.3.7.1.4.1001": b"uplink 1/27",
    }
    for index, (chassis, port, name) in {
        "0.1.1": (bytes.fromhex("0011223344aa"), b"ge-0/0/1", b"ex2300-a"),
        "0.1001.2": (bytes.fromhex("0011223344bb"), bytes.fromhex("0011223344cc"), b""),
    }.items():
        values[f"{rem}4.{index}"] = 4
        values[f"{rem}5.{index}"] = chassis
        values[f"{rem}6.{index}"] = 3 if len(port) == 6 else 5
        values[f"{rem}7.{index}"] = port
        values[f"{rem}9.{index}"] = name
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    values[man + "0.1.1.2.16." + ".".join(str(b) for b in v6)] = 2
    values[man + "0.1001.2.1.192.0.2.7"] = 2
    samples = _parse(values, "dgs3630")
    rows = {s.tags["local_port"]: s.tags for s in samples if s.measurement == "neighbor"}
    assert rows["1/1"]["remote_address"] == "2001:db8::1"
    assert rows["1/1"]["remote_chassis"] == "00:11:22:33:44:aa"
    assert rows["uplink 1/27"]["remote_address"] == "192.0.2.7"
    assert rows["uplink 1/27"]["remote_port"] == "00:11:22:33:44:cc"
    assert "remote_name" not in rows["uplink 1/27"]


def test_dlink_dgs3630_stack_failed_psu_and_fan() -> None:
    """SYNTHETIC (DLINKSW-ENTITY-EXT-MIB): a two-unit DGS-3630 stack, unit 2's PSU failed
    and fan faulty, one empty PSU bay (no sensor), CPUs averaged, DRAM summed (not flash)."""
    env = "1.3.6.1.4.1.171.14.5.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"DGS-3630-28TC Gigabit Ethernet Switch",
        SYS_OID: Oid("1.3.6.1.4.1.171.10.153.3.1"),
    }
    for unit, (cpu, psu, fan) in {1: (10, 1, 1), 2: (30, 2, 2)}.items():
        values[f"{env}7.1.4.{unit}"] = cpu
        values[f"{env}4.1.3.{unit}.1"] = 524288  # DRAM, KB
        values[f"{env}4.1.4.{unit}.1"] = 131072
        values[f"{env}4.1.3.{unit}.2"] = 65536  # flash: not memory
        values[f"{env}4.1.4.{unit}.2"] = 60000
        values[f"{env}1.3.1.3.{unit}.1"] = f"Unit {unit} Power 1".encode()
        values[f"{env}1.3.1.6.{unit}.1"] = psu
        values[f"{env}1.3.1.3.{unit}.2"] = f"Unit {unit} Power 2".encode()
        values[f"{env}1.3.1.6.{unit}.2"] = 3  # empty
        values[f"{env}1.2.1.3.{unit}.1"] = f"Unit {unit} Fan".encode()
        values[f"{env}1.2.1.4.{unit}.1"] = fan
    samples = _parse(values, "dgs3630_stack")
    host = next(dict(s.fields) for s in samples if s.measurement == "host")
    assert host == {
        "cpu_pct": 20.0,
        "mem_total_bytes": 2 * 524288 * 1024,
        "mem_used_bytes": 2 * 131072 * 1024,
        "mem_used_pct": 25.0,
    }
    sensors = {s.tags["sensor"]: dict(s.fields) for s in samples if s.measurement == "sensor"}
    assert sensors["Unit 2 Power 1"] == {"state": 2, "health": 2}
    assert sensors["Unit 2 Fan"] == {"state": 2, "health": 2}
    assert "Unit 1 Power 2" not in sensors


def test_comware_5130_psu_not_installed_and_board_temperature() -> None:
    """SYNTHETIC (HH3C-ENTITY-EXT-MIB, HH3C-LSW-DEV-ADM-MIB): an HPE 5130 with a board
    at 71 C and 35 % CPU, a port entity the agent also fills (not a sensor), PSU 2 not
    installed (no sensor) and a deactivated fan."""
    ent, ext, dev = (
        "1.3.6.1.2.1.47.1.1.1.1.",
        "1.3.6.1.4.1.25506.2.6.1.1.1.1.",
        "1.3.6.1.4.1.25506.8.35.9.1.",
    )
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"HPE Comware Platform Software, Version 7.1.070\r\nHPE 5130-24G-4SFP+ EI",
        SYS_OID: Oid("1.3.6.1.4.1.25506.11.1.239"),
        f"{ent}5.8": 9,
        f"{ent}7.8": b"Board",
        f"{ext}6.8": 35,
        f"{ext}8.8": 61,
        f"{ext}12.8": 71,
        f"{ent}5.30": 10,
        f"{ent}7.30": b"GigabitEthernet1/0/1",
        f"{ext}12.30": 71,
        f"{dev}1.1.2.1": 2,
        f"{dev}2.1.2.1": 1,
        f"{dev}2.1.2.2": 3,
    }
    samples = _parse(values, "hpe5130")
    host = next(dict(s.fields) for s in samples if s.measurement == "host")
    assert host == {"cpu_pct": 35.0, "mem_used_pct": 61}
    sensors = {s.tags["sensor"]: dict(s.fields) for s in samples if s.measurement == "sensor"}
    assert sensors == {
        "Board": {"value": 71},
        "Fan 1": {"state": 2, "health": 2},
        "Power Supply 1": {"state": 1, "health": 0},
    }


def test_cisco_stack_of_three_one_removed() -> None:
    """SYNTHETIC (CISCO-STACKWISE-MIB): a Catalyst 9300 stack of three, member 3 removed."""
    csw = "1.3.6.1.4.1.9.9.500.1.2.1.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE)",
        SYS_OID: Oid("1.3.6.1.4.1.9.1.2494"),
    }
    for ent, (number, role, state) in {1000: (1, 1, 4), 2000: (2, 4, 4), 3000: (3, 2, 11)}.items():
        values[f"{csw}1.{ent}"] = number
        values[f"{csw}3.{ent}"] = role
        values[f"{csw}4.{ent}"] = 15 - number
        values[f"{csw}6.{ent}"] = state
    samples = _parse(values, "c9300_stack")
    members = {
        s.tags["member"]: (s.tags["role"], dict(s.fields))
        for s in samples
        if s.measurement == "stack_member"
    }
    assert members == {
        "1": ("master", {"state": 4, "health": 0, "priority": 14}),
        "2": ("standby", {"state": 4, "health": 0, "priority": 13}),
        "3": ("member", {"state": 11, "health": 2, "priority": 12}),
    }


def test_netgear_m4300_fan_failed() -> None:
    """SYNTHETIC (Netgear's FASTPATH boxServices MIB): an M4300 with a failed fan and one
    running at 4200 rpm; the corpus Netgear file has no fan rows."""
    box = "1.3.6.1.4.1.4526.10.43.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"M4300-28G ProSAFE 24-port 1G and 4-port 10G Stackable Managed Switch",
        SYS_OID: Oid("1.3.6.1.4.1.4526.100.11.30"),
        f"{box}6.1.1.1.0": 0,
        f"{box}6.1.3.1.0": 2,
        f"{box}6.1.4.1.0": 4200,
        f"{box}6.1.1.1.1": 1,
        f"{box}6.1.3.1.1": 3,
        f"{box}6.1.4.1.1": 0,
    }
    samples = _parse(values, "m4300")
    fans = {s.tags["sensor"]: dict(s.fields) for s in samples if s.measurement == "sensor"}
    assert fans == {
        "Fan 0": {"value": 4200, "state": 2, "health": 0},
        "Fan 1": {"value": 0, "state": 3, "health": 2},
    }


def test_ruckus_icx7150_environment() -> None:
    """SYNTHETIC (FOUNDRY-SN-AGENT-MIB): an ICX7150-48P with a failed PSU, a fan, a 49.5 C
    sensor (half-degree units), CPU and dynamic memory."""
    sn = "1.3.6.1.4.1.1991.1."
    values: dict[str, SnmpValue] = {
        SYS_DESCR: b"Ruckus Wireless, Inc. ICX7150-48P-POE Switch, IronWare Version 08.0.95",
        SYS_OID: Oid("1.3.6.1.4.1.1991.1.3.62.2.3.1.1"),
        f"{sn}1.2.1.52.0": 12,
        f"{sn}1.2.1.54.0": 1_073_741_824,
        f"{sn}1.2.1.55.0": 805_306_368,
        f"{sn}1.1.2.1.1.2.1": b"PSU 1",
        f"{sn}1.1.2.1.1.3.1": 2,
        f"{sn}1.1.2.1.1.2.2": b"PSU 2",
        f"{sn}1.1.2.1.1.3.2": 3,
        f"{sn}1.1.3.1.1.2.1": b"Fan 1",
        f"{sn}1.1.3.1.1.3.1": 2,
        f"{sn}1.2.13.1.1.3.1.1": b"Stack unit 1 sensor A",
        f"{sn}1.2.13.1.1.4.1.1": 99,
    }
    rep = replay_values("icx7150", values)
    assert (rep.selection.profile.name, rep.result.model) == ("ruckus_icx", "ICX7150-48P-POE")
    samples = _parse(values, "icx7150")
    host = next(dict(s.fields) for s in samples if s.measurement == "host")
    assert host == {
        "cpu_pct": 12,
        "mem_total_bytes": 1_073_741_824,
        "mem_used_bytes": 268_435_456,
        "mem_used_pct": 25.0,
    }
    sensors = {s.tags["sensor"]: dict(s.fields) for s in samples if s.measurement == "sensor"}
    assert sensors == {
        "PSU 1": {"state": 2, "health": 0},
        "PSU 2": {"state": 3, "health": 2},
        "Fan 1": {"state": 2, "health": 0},
        "Stack unit 1 sensor A": {"value": 49.5},
    }
