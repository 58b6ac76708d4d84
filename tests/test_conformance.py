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
    assert rep.result.samples, "a recording yields samples"
    document = golden_document(rep)
    golden = GOLDEN / f"{path.stem}.json"
    if UPDATE:
        golden.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    assert golden.exists(), f"no golden file: run with LANPULSE_UPDATE_GOLDEN=1 and review {golden}"
    assert json.loads(golden.read_text()) == document


def test_class_of_each_device_family() -> None:
    """Every family of the corpus is represented and maps to its class."""
    classes = {c for _, c, _, _ in CLASSIFICATION.values()}
    assert classes == {"printer", "storage", "switch", "server", "other"}  # other: Wi-Fi
