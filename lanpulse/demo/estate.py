"""Build the demo estate: snmpsim serving bundled recordings with moving counters.

Interface octet, error and discard counters and printer page counters are rewritten to
snmpsim's `numeric` variation (value = recorded value + rate * seconds since start), so
rates and page counts change between polls like a live network.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lanpulse.sim.snmpsim import SnmpSimAgent

RECORDINGS = Path(__file__).parent / "recordings"

# name, recording, class, labels
ESTATE: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("core-sw1", "ios_nac", "switch", {"site": "hq"}),
    ("floor2-sw1", "swos_css326-24g-2s+", "switch", {"site": "hq"}),
    ("floor2-printer", "jetdirect_m252dw", "printer", {"site": "hq"}),
    ("reception-printer", "brother_hl5370dw", "printer", {"site": "hq"}),
    ("custody-mfp", "ricoh_mpc3002", "printer", {"site": "north"}),
    ("nas1", "dsm_ds214se-dsm7", "storage", {"site": "hq"}),
    ("intranet-web", "linux_icecast", "server", {"site": "hq"}),
    ("ops-desktop", "windows_svr_2019_1809", "desktop", {"site": "north"}),
    ("wifi-controller", "ciscowlc_cbw240ac", "other", {"site": "hq"}),
    ("comms-ups", "apc_smt750x-nmc2", "ups", {"site": "hq"}),
)
# Switch features the two switches above lack: LLDP neighbours, a PoE budget per stack
# member and a VSF stack (the switches dashboard's neighbour, PoE and stack panels). Served
# only on request (`start_estate(switch_features=True)`, the dashboard proof): three more
# switches on the one snmpsim process make every demo poll slower on a small machine.
SWITCH_FEATURES: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("dist-sw1", "dlink_dgs-1510-28", "switch", {"site": "north"}),
    ("access-poe1", "junos_ex", "switch", {"site": "north"}),
    ("stack-sw1", "arubaos-cx_10.16", "switch", {"site": "hq"}),
)

_MOVING = {
    # column prefix -> (bytes/s or units/s at most)
    "1.3.6.1.2.1.31.1.1.1.6.": 2_000_000,  # ifHCInOctets
    "1.3.6.1.2.1.31.1.1.1.10.": 1_500_000,  # ifHCOutOctets
    "1.3.6.1.2.1.2.2.1.10.": 200_000,  # ifInOctets
    "1.3.6.1.2.1.2.2.1.16.": 150_000,  # ifOutOctets
    "1.3.6.1.2.1.2.2.1.14.": 0.05,  # ifInErrors
    "1.3.6.1.2.1.2.2.1.13.": 0.02,  # ifInDiscards
    "1.3.6.1.2.1.43.10.2.1.4.": 0.05,  # prtMarkerLifeCount (pages)
}


def _rate(oid: str, top: float) -> float:
    digest = hashlib.blake2b(oid.encode(), digest_size=4).digest()
    return round(top * (0.05 + 0.95 * int.from_bytes(digest, "big") / 2**32), 3)


def counter_rate(oid: str) -> float | None:
    """The per-second rate `moving()` gives the counter instance `oid` (None: not moving)."""
    for prefix, top in _MOVING.items():
        if oid.startswith(prefix):
            return _rate(oid, top)
    return None


def moving(text: str) -> str:
    """The recording with its counters turned into snmpsim `numeric` variations."""
    out = []
    for line in text.splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[1] in ("65", "70"):
            for prefix, top in _MOVING.items():
                if parts[0].startswith(prefix):
                    rate = _rate(parts[0], top)
                    line = f"{parts[0]}|{parts[1]}:numeric|initial={parts[2]},rate={rate}"
                    break
        out.append(line)
    return "\n".join(out) + "\n"


@dataclass
class DemoEstate:
    """A running simulated estate and the configuration that polls it."""

    agent: SnmpSimAgent
    config_text: str


def start_estate(
    workdir: Path,
    interval_s: int = 10,
    influx: str | None = None,
    http_listen: str | None = None,
    *,
    switch_features: bool = False,
) -> DemoEstate:
    """Start snmpsim with the demo recordings and write a config polling them (with the
    `SWITCH_FEATURES` switches too when asked)."""
    agent = SnmpSimAgent(workdir=workdir / "snmpsim")
    devices = []
    for name, recording, cls, labels in ESTATE + (SWITCH_FEATURES if switch_features else ()):
        text = (RECORDINGS / f"{recording}.snmprec").read_text()
        agent.add_text(name, moving(text))
        label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
        devices.append(
            f"  - {{name: {name}, address: 127.0.0.1, port: {agent.port}, class: {cls}, "
            f"snmp: {{community: {name}}}, labels: {{{label_text}}}}}"
        )
    agent.start()
    sections = [
        f"defaults:\n  interval: {interval_s}s\n  snmp: {{version: 2c, timeout: 2s, retries: 1}}",
        f"spool:\n  directory: {workdir / 'spool'}",
        f"daemon:\n  http_listen: {http_listen or 'null'}",
    ]
    if influx:
        sections.insert(0, influx)
    config = "\n".join(sections) + "\ndevices:\n" + "\n".join(devices) + "\n"
    (workdir / "lanpulse-demo.yaml").write_text(config)
    return DemoEstate(agent, config)
