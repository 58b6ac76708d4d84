"""Switch stacks as `stack_member` rows: Aruba AOS-CX VSF on a REAL recording, Comware IRF
and ArubaOS-Switch VSF on SYNTHETIC recordings written from their MIBs (no recording in
the corpus has HH3C-STACK-MIB or HP-VSF-VC-MIB rows; see tests/fixtures/synthetic/NOTE.md).

The synthetic recordings are also served by a real snmpsim agent on 127.0.0.1 and polled
with the real SNMP client, as the corpus recordings are in test_profiles_snmpsim.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from _recordings import FIXTURES, RECORDINGS, golden_document, replay
from test_profiles_snmpsim import poll_recording

from lanpulse.core.schema import validate_samples
from lanpulse.sim.snmpsim import SnmpSimAgent

SYNTHETIC = FIXTURES / "synthetic"
STACKS = [SYNTHETIC / "comware_irf_5130.snmprec", SYNTHETIC / "aruba_2930f_vsf.snmprec"]


def _members(path: Path) -> dict[str, tuple[dict[str, str], dict[str, float]]]:
    rep = replay(path)
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    return {
        s.tags["member"]: (
            {k: v for k, v in s.tags.items() if k not in ("device", "class", "member")},
            dict(s.fields),
        )
        for s in rep.result.samples
        if s.measurement == "stack_member"
    }


def test_aruba_cx_vsf_conductor_from_the_real_recording() -> None:
    """REAL (LibreNMS arubaos-cx_10.16, a 6300M): ARUBAWIRED-VSFv2-MIB, one member,
    role text `conductor` (master), status `ready`."""
    members = _members(RECORDINGS / "switch" / "arubaos-cx_10.16.snmprec")
    assert members == {
        "1": ({"role": "master", "model": "JL658A", "serial": "SG05XXXXX"}, {"health": 0}),
    }


def test_comware_irf_roles_joined_from_the_board_table() -> None:
    """SYNTHETIC (HH3C-STACK-MIB): member ids and priorities from the device table, roles
    from each member's MPU board (another entPhysicalIndex), a loading member unhealthy."""
    assert _members(STACKS[0]) == {
        "1": ({"role": "master"}, {"priority": 32, "health": 0}),
        "2": ({"role": "standby"}, {"priority": 16, "health": 0}),
        "3": ({"role": "loading"}, {"priority": 1, "health": 1}),
    }


def test_arubaos_switch_vsf_missing_member_is_critical() -> None:
    """SYNTHETIC (HP-VSF-VC-MIB): commander, standby and a missing member (state 1:
    health 2, no role, its empty OS version left out)."""
    ident = {"model": "JL256A"}
    assert _members(STACKS[1]) == {
        "1": (
            {"role": "master", **ident, "serial": "SG00000001", "firmware": "WC.16.10.0009"},
            {"state": 3, "health": 0, "priority": 255, "uptime_seconds": 1234567.0},
        ),
        "2": (
            {"role": "standby", **ident, "serial": "SG00000002", "firmware": "WC.16.10.0009"},
            {"state": 4, "health": 0, "priority": 128, "uptime_seconds": 1234500.0},
        ),
        "3": (
            {**ident, "serial": "SG00000003"},
            {"state": 1, "health": 2, "priority": 128, "uptime_seconds": 0.0},
        ),
    }


@pytest.fixture(scope="module")
def stack_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("snmpsim-stacks"))
    for path in STACKS:
        agent.add(path)
    agent.start()
    yield agent
    agent.cleanup()


@pytest.mark.parametrize("path", STACKS, ids=lambda p: p.stem)
def test_synthetic_stacks_through_snmpsim(stack_agent: SnmpSimAgent, path: Path) -> None:
    """Real UDP to a real snmpsim: the same samples as the offline replay."""
    assert asyncio.run(poll_recording(stack_agent, path.stem)) == golden_document(replay(path))
