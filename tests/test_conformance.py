"""Every corpus recording: classified right, samples valid, equal to a reviewed golden file.

Golden files (tests/golden/<recording>.json) are rewritten only with
LANPULSE_UPDATE_GOLDEN=1; review the diff before committing them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _recordings import GOLDEN, golden_document, recordings, replay

from lanpulse.core.schema import validate_samples

# recording -> (profile, class, vendor, model)
CLASSIFICATION: dict[str, tuple[str, str, str | None, str | None]] = {
    "linux_icecast": ("linux", "server", "Linux", None),
    "linux_opensips": ("linux", "server", "Linux", None),
    "linux_powermon": ("linux", "server", "Linux", None),
    "linux_raspberrypi-gpiomonitor": ("linux", "server", "Linux", None),
    "windows_svr_2019_1809": (
        "windows_server",
        "server",
        "Microsoft",
        "Windows Version 6.3 (Build 17763 Multiprocessor Free)",
    ),
    "brother_hl5370dw": ("brother", "printer", "Brother", "HL-5370DW series"),
    "canonprinter_tm": ("canon", "printer", "Canon", "TM-5300"),
    "epson": ("epson", "printer", "Epson", "WF-C5790BA"),
    "jetdirect_m252dw": ("hp_jetdirect", "printer", "HP", "HP Color LaserJet Pro M252dw"),
    "jetdirect_m880": ("hp_jetdirect", "printer", "HP", "HP Color LaserJet flow MFP M880"),
    "konica_c250i": ("konica_minolta", "printer", "Konica Minolta", "bizhub C250i"),
    "okilan_9450g": ("oki", "printer", "OKI", "MC873"),
    "ricoh_mpc3002": ("ricoh", "printer", "Ricoh", "Aficio MP C3002"),
    "samsungprinter_m4080fx": ("samsung", "printer", "Samsung", "M4080FX"),
    "sharp_mxm266nv": ("sharp", "printer", "Sharp", "MX-M266NV"),
    "utax": ("kyocera", "printer", "Kyocera", "P-4532DN"),
    "xerox": ("xerox", "printer", "Xerox", "AltaLink C8045"),
    "datadomain": ("datadomain", "storage", "Dell EMC", None),
    "dell-compellent": ("dell_compellent", "storage", "Dell", None),
    "dsm_ds214se-dsm7": ("synology", "storage", "Synology", "DS214se"),
    "equallogic": ("equallogic", "storage", "Dell", None),
    "nimbleos": ("nimble", "storage", "HPE", None),
    "qnap": ("qnap", "storage", "QNAP", "TVS-871U-RP"),
    "truenas-scale_24.04.2.2": ("truenas_scale", "storage", "iXsystems", "TrueNAS-SCALE"),
    "truenas_11-3": ("truenas_core", "storage", "iXsystems", "FreeNAS"),
    "arubaos-cx_10.16": ("arubaos_cx", "switch", "Aruba", "JL658A"),
    "edgeswitch_es-24-250w": (
        "ubiquiti_edgeswitch",
        "switch",
        "Ubiquiti",
        "EdgeSwitch 24-Port 250W",
    ),
    "ios_c3560": ("cisco_ios", "switch", "Cisco", "C3560"),
    "arubaos": ("arubaos", "other", "Aruba", "ArubaOS"),
    "ciscowlc_cbw240ac": ("cisco_wlc", "other", "Cisco", None),
    "ruckuswireless-sz": ("ruckus_smartzone", "other", "Ruckus", None),
    "unifi": ("unifi", "other", "Ubiquiti", None),
    "ios_nac": ("cisco_ios", "switch", "Cisco", "C2960"),
    "powerconnect_2824": ("dell_powerconnect", "switch", "Dell", "PowerConnect 2824"),
    "procurve_e2910": ("hp_procurve", "switch", "HP", "E2910al-24G-PoE"),
    "swos_css326-24g-2s+": ("mikrotik_swos", "switch", "MikroTik", "CSS326-24G-2S+"),
    "tplink_sg2008": ("tplink", "switch", "TP-Link", None),
    "apc_smt750x-nmc2": ("apc", "ups", "APC", "Smart-UPS X 750"),
    "apc_sua1500rmi2u": ("apc", "ups", "APC", "Smart-UPS 1500 RM"),
    "eaton-mgeups_9pxle": ("eaton_ups", "ups", "Eaton", "Eaton 9PX 1000i RT 2U"),
    # Second corpus batch (issue 22).
    "aos": ("alcatel_aos", "switch", "Alcatel-Lucent", None),
    "arubaos-cx_10.07": ("arubaos_cx", "switch", "Aruba", "JL727A"),
    "comware_a5500": ("hpe_comware", "switch", "HPE", "A5500-24G"),
    "dlink_dgs-1510-28": ("dlink", "switch", "D-Link", "DGS-1510-28"),
    "fortiswitch_148f-fpoe": ("fortiswitch", "switch", "Fortinet", "FSW_148F-F"),
    "junos_ex": ("juniper_junos", "switch", "Juniper", "ex3400-48t"),
    "junos_ex4600mp": ("juniper_junos", "switch", "Juniper", "Juniper Virtual Chassis Switch"),
    "netgear_3": ("netgear", "switch", "Netgear", "M4100-D12G"),
    "netapp": ("netapp", "storage", "NetApp", None),
    "netapp_e2700": ("netapp_eseries", "storage", "NetApp", None),
    "purestorage": ("purestorage", "storage", "Pure Storage", "MercuryB"),
    "hpe-msa": ("hpe_msa", "storage", "HPE", "MSA 2040"),
    "dell-powervault_me4024": ("dell_powervault_me", "storage", "Dell", "ME4024"),
    "kyocera": ("kyocera", "printer", "Kyocera", "FS-1028MFP"),
    "lexmarkprinter": ("lexmark", "printer", "Lexmark", "T640"),
    "dell-laser": ("dell_laser", "printer", "Dell", "B3460dn"),
    "canonprinter_ir-adv": ("canon", "printer", "Canon", "iR-ADV C5235"),
    "xerox_workcentre": ("xerox", "printer", "Xerox", "WorkCentre 6605DN"),
    "toshiba-tec_estudio2505": ("toshiba", "printer", "Toshiba", "e-STUDIO2505AC"),
    "ricoh": ("ricoh", "printer", "Ricoh", "MP 3053"),
    "beagleboard": ("linux", "server", "Linux", None),
}

# Stubs: the corpus holds only their system group (PROVENANCE.md), for identification
# tests; they yield no samples beyond what the system group gives.
STUBS = {
    "kyocera",
    "lexmarkprinter",
    "dell-laser",
    "canonprinter_ir-adv",
    "xerox_workcentre",
    "toshiba-tec_estudio2505",
    "ricoh",
}

ALL = recordings()
UPDATE = os.environ.get("LANPULSE_UPDATE_GOLDEN") == "1"


def test_every_recording_has_a_classification() -> None:
    """A new recording must be added to the table (and get a golden file)."""
    assert sorted(p.stem for p in ALL) == sorted(CLASSIFICATION)


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_recording_conforms(path: Path) -> None:
    """Classification, schema validity and the golden samples of one recording."""
    rep = replay(path)
    profile, device_class, vendor, model = CLASSIFICATION[path.stem]
    got = rep.selection.profile
    assert (got.name, got.device_class, got.vendor, rep.result.model) == (
        profile,
        device_class,
        vendor,
        model,
    ), rep.selection.reason
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    assert rep.result.samples or path.stem in STUBS, "a recording yields samples"
    document = golden_document(rep)
    golden = GOLDEN / f"{path.stem}.json"
    if UPDATE:
        golden.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    assert golden.exists(), f"no golden file: run with LANPULSE_UPDATE_GOLDEN=1 and review {golden}"
    assert json.loads(golden.read_text()) == document


def test_class_of_each_device_family() -> None:
    """Every family of the corpus is represented and maps to its class."""
    classes = {c for _, c, _, _ in CLASSIFICATION.values()}
    assert classes == {"printer", "storage", "switch", "server", "ups", "other"}  # other: Wi-Fi
