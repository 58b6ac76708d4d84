"""The desktop's port, from the switch side (EtherLike-MIB): duplex, FCS and alignment
errors per port, and the shipped rule that fires on a duplex mismatch.

The Catalyst recording (LibreNMS `ios_nac`) carries dot3StatsDuplexStatus only; the error
counters are added here as a mismatched port would show them: a port that negotiated half
duplex while the desktop forces full, with late collisions and FCS errors climbing.
"""

from __future__ import annotations

from pathlib import Path

from _recordings import DEVICE, RECORDINGS, select

from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.packs import load_rule_set
from lanpulse.alerts.records import active_alerts
from lanpulse.core.model import Sample, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.rates import RateState
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.sim.snmprec import raw_from_recording, read_snmprec

DOT3 = "1.3.6.1.2.1.10.7.2.1."
PORT = "10001"  # Fa0/1: up
S = 1_000_000_000


def polls(values: dict[str, SnmpValue], n: int, fcs_per_poll: int) -> list[list[Sample]]:
    """`n` polls a minute apart of `values`, the port's error counters growing each poll."""
    selection = select(values)
    state = RateState()
    out = []
    for k in range(n):
        values[DOT3 + "3." + PORT] = 1000 + k * fcs_per_poll  # FCS errors
        values[DOT3 + "2." + PORT] = 10 + k  # alignment errors
        values[DOT3 + "8." + PORT] = 5 + 3 * k  # late collisions
        raw = raw_from_recording(
            values, *selection.profile.plan_oids(), device="sw", started_ns=k * 60 * S
        )
        out.append(list(parse_snmp(raw, selection.profile, DEVICE, state).samples))
    return out


def port(samples: list[Sample]) -> dict[str, float]:
    return next(
        dict(s.fields)
        for s in samples
        if s.measurement == "interface" and s.tags["if_index"] == PORT
    )


def test_duplex_and_error_rates_per_port() -> None:
    values = read_snmprec(RECORDINGS / "switch" / "ios_nac.snmprec")
    values[DOT3 + "19." + PORT] = 2  # half duplex
    first, second = polls(values, 2, fcs_per_poll=120)
    assert validate_samples(second) == []
    fields = port(second)
    assert fields["duplex"] == 2 and fields["oper_status"] == 1
    assert fields["fcs_errors"] == 1120 and fields["fcs_errors_ps"] == 2.0
    assert fields["alignment_errors_ps"] == round(1 / 60 * 1000) / 1000
    assert fields["late_collisions_ps"] == 0.05
    assert "fcs_errors_ps" not in port(first)  # a rate needs two polls


def test_duplex_mismatch_rule_fires_and_full_duplex_stays_quiet(tmp_path: Path) -> None:
    rules = load_rule_set([], base_dir=tmp_path).rules
    for duplex, expected in (
        (2, {"interface_duplex_mismatch", "interface_fcs_errors"}),
        (3, set()),
    ):
        values = read_snmprec(RECORDINGS / "switch" / "ios_nac.snmprec")
        values[DOT3 + "19." + PORT] = duplex
        engine = AlertEngine(rules, options=EngineOptions(dependency_wait_s=0))
        for k, samples in enumerate(polls(values, 13, fcs_per_poll=120 if duplex == 2 else 0)):
            engine.observe(samples, k * 60 * S)
            engine.tick(k * 60 * S)
        firing = {
            a.rule
            for a in active_alerts(engine)
            if a.state == "firing" and f"if_index={PORT}," in a.series
        }
        assert firing == expected, duplex
