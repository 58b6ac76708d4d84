"""The desktop's port, from the switch side (EtherLike-MIB): duplex, FCS and alignment
errors per port, and the shipped rule that fires on a duplex mismatch; MAU-MIB (synthetic
rows, fixtures/mau/NOTICE.md): what both ends advertise and `slower_than_capable`.

The Catalyst recording (LibreNMS `ios_nac`) carries dot3StatsDuplexStatus only; the error
counters are added here as a mismatched port would show them: a port that negotiated half
duplex while the desktop forces full, with late collisions and FCS errors climbing.
"""

from __future__ import annotations

from pathlib import Path

from _recordings import DEVICE, RECORDINGS, select
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.packs import load_rule_set
from lanpulse.alerts.records import active_alerts
from lanpulse.core.model import Sample, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.quirks.mau import TECHNOLOGIES, technologies
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


# --- MAU-MIB: slower than both ends can do (synthetic rows, fixtures/mau/NOTICE.md) ----------

MAU_ROWS = Path(__file__).parent / "fixtures" / "mau" / "c3560_mau_rows.snmprec"
C3560 = Path(__file__).parent / "fixtures" / "discovery" / "ios_c3560.snmprec"


def c3560_with_mau(**replace: SnmpValue) -> dict[str, SnmpValue]:
    values = read_snmprec(C3560)
    values.update(read_snmprec(MAU_ROWS))
    values.update(replace)
    return values


def interfaces(values: dict[str, SnmpValue]) -> dict[str, dict[str, float]]:
    selection = select(values)
    raw = raw_from_recording(values, *selection.profile.plan_oids(), device="sw", started_ns=S)
    samples = parse_snmp(raw, selection.profile, DEVICE, RateState()).samples
    assert validate_samples(samples) == []
    return {s.tags["if_name"]: dict(s.fields) for s in samples if s.measurement == "interface"}


def test_mau_capabilities_and_slower_than_capable() -> None:
    ports = interfaces(c3560_with_mau())
    gi, fa = ports["Gi0/2"], ports["Fa0/2"]
    # Gi0/2: both ends offer 1000BASE-T full duplex, the link came up at 100 Mb/s (downshift)
    assert (gi["autoneg"], gi["partner_autoneg"]) == (1, 1)
    assert gi["port_capable_bps"] == gi["partner_capable_bps"] == gi["capable_bps"] == 10**9
    assert gi["speed_bps"] == 10**8 and gi["slower_than_capable"] == 1
    # Fa0/2: a 10/100 port and a 10/100 printer at 100 full: as good as it gets
    assert fa["capable_bps"] == 10**8 and fa["slower_than_capable"] == 0
    # Ports without MAU rows get none of the MAU fields
    assert "capable_bps" not in ports["Fa0/1"] and "autoneg" not in ports["Fa0/1"]


def test_half_duplex_below_a_full_duplex_best_is_slower() -> None:
    # Gi0/2 at 1 Gb/s but half duplex, while both ends offer full duplex
    ports = interfaces(
        c3560_with_mau(**{"1.3.6.1.2.1.2.2.1.5.10102": 1_000_000_000, DOT3 + "19.10102": 2})
    )
    assert ports["Gi0/2"]["slower_than_capable"] == 1
    assert (
        interfaces(c3560_with_mau(**{"1.3.6.1.2.1.2.2.1.5.10102": 1_000_000_000}))["Gi0/2"][
            "slower_than_capable"
        ]
        == 0
    )


def test_partner_without_auto_negotiation_gives_no_verdict() -> None:
    # The NIC forced (no auto-negotiation): nothing is known of what it can do, so no
    # capability is claimed; the half duplex that parallel detection gives is the
    # duplex mismatch rule's to report.
    ports = interfaces(c3560_with_mau(**{"1.3.6.1.2.1.26.5.1.1.2.10102.1": 2}))
    gi = ports["Gi0/2"]
    assert gi["partner_autoneg"] == 0 and gi["port_capable_bps"] == 10**9
    assert "partner_capable_bps" not in gi and "slower_than_capable" not in gi


def test_slower_than_capable_rule_fires_on_the_downshift(tmp_path: Path) -> None:
    rules = load_rule_set([], base_dir=tmp_path).rules
    engine = AlertEngine(rules, options=EngineOptions(dependency_wait_s=0))
    selection = select(c3560_with_mau())
    state = RateState()
    for k in range(17):
        raw = raw_from_recording(
            c3560_with_mau(), *selection.profile.plan_oids(), device="sw", started_ns=k * 60 * S
        )
        engine.observe(parse_snmp(raw, selection.profile, DEVICE, state).samples, k * 60 * S)
        engine.tick(k * 60 * S)
    firing = {(a.rule, a.series) for a in active_alerts(engine) if a.state == "firing"}
    assert any(
        rule == "interface_slower_than_capable" and "if_name=Gi0/2" in series
        for rule, series in firing
    )
    assert not any("Fa0/2" in series for rule, series in firing)


@given(st.binary(max_size=4))
def test_capability_bits_decode_to_known_technologies_only(value: bytes) -> None:
    found = technologies(value)
    assert found <= set(TECHNOLOGIES.values())
    # the pause bits (8-11) and bOther (0) never make a technology
    masked = bytearray(value)
    if masked:
        masked[0] &= 0x7F
    if len(masked) > 1:
        masked[1] &= 0x0F
    assert technologies(bytes(masked)) == found


def test_link_losses_rate_and_the_flapping_rule(tmp_path: Path) -> None:
    # Gi0/2 loses its link twice a minute for 12 minutes: interface_flapping fires; Fa0/2
    # lost it once (a desktop switched off for the night): it stays quiet.
    rules = load_rule_set([], base_dir=tmp_path).rules
    engine = AlertEngine(rules, options=EngineOptions(dependency_wait_s=0))
    values = c3560_with_mau()
    selection = select(values)
    state = RateState()
    exits = "1.3.6.1.2.1.26.2.1.1.6."
    seen: list[dict[str, float]] = []
    for k in range(13):
        values[exits + "10102.1"] = 7 + 2 * k
        values[exits + "10002.1"] = 1 if k < 5 else 2
        raw = raw_from_recording(
            values, *selection.profile.plan_oids(), device="sw", started_ns=k * 60 * S
        )
        samples = parse_snmp(raw, selection.profile, DEVICE, state).samples
        assert validate_samples(samples) == []
        seen.append(next(dict(s.fields) for s in samples if s.tags.get("if_name") == "Gi0/2"))
        engine.observe(samples, k * 60 * S)
        engine.tick(k * 60 * S)
    assert seen[0]["link_losses"] == 7 and "link_losses_ps" not in seen[0]
    assert seen[1]["link_losses_ps"] == round(2 / 60, 3)
    firing = {(a.rule, a.series) for a in active_alerts(engine) if a.state == "firing"}
    flapping = {series for rule, series in firing if rule == "interface_flapping"}
    assert len(flapping) == 1 and "if_name=Gi0/2" in next(iter(flapping))
