"""Counter rates: wraps, resets, link-speed ceilings, first polls (injected clock)."""

from __future__ import annotations

from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Device, RawSnmp
from lanpulse.core.profile import RateSpec
from lanpulse.parsers.rates import (
    RatePlan,
    RateState,
    apply_rates_to_rows,
    counter_delta,
    frame_bounds,
    rate_rules,
)
from lanpulse.parsers.rows import Row
from lanpulse.parsers.snmp_profile import parse_snmp

S = 1_000_000_000
SPECS = [
    RateSpec(
        counter="in_octets", rate="in_bps", scale=8, max_field="speed_bps", util="in_util_pct"
    ),
    RateSpec(counter="in_errors", rate="in_errors_ps"),
]
KEY = ("interfaces", "1")
DEV = Device(name="sw1", address="127.0.0.1")


def apply_rates(
    state: RateState,
    key: tuple[str, str],
    time_ns: int,
    fields: dict[str, int | float],
    counter_bits: dict[str, int],
    specs: list[RateSpec],
    identity: tuple[str, ...] = (),
    discontinuity: object = None,
) -> None:
    """One series (metric, row index) `key` as a one-row table, through the public path;
    its identity values stand in as tags named by position."""
    names = tuple(str(i) for i in range(len(identity)))
    row = Row(key[1], "", dict(zip(names, identity, strict=True)), fields, {}, counter_bits)
    plan = RatePlan.of(rate_rules(specs))
    apply_rates_to_rows(state, key[0], [row], time_ns, plan, names, {key[1]: discontinuity})


def poll(
    state: RateState,
    t: int,
    octets: int,
    bits: int = 64,
    speed: int = 1_000_000_000,
    identity: tuple[str, ...] = ("Gi0/1",),
    disc: object = None,
    errors: int = 0,
) -> dict[str, int | float]:
    fields: dict[str, int | float] = {"in_octets": octets, "speed_bps": speed, "in_errors": errors}
    apply_rates(
        state,
        KEY,
        t * S,
        fields,
        {"in_octets": bits, "in_errors": 32},
        SPECS,
        identity=identity,
        discontinuity=disc,
    )
    return fields


def test_first_poll_has_no_rate() -> None:
    state = RateState()
    assert "in_bps" not in poll(state, 0, 1000)


def test_rate_and_utilisation_from_two_polls() -> None:
    state = RateState()
    poll(state, 0, 0)
    f = poll(state, 10, 12_500_000)  # 100 Mbit in 10 s
    assert f["in_bps"] == 10_000_000
    assert f["in_util_pct"] == 1.0
    assert f["in_errors_ps"] == 0


def test_32bit_wrap_gives_the_right_rate() -> None:
    state = RateState()
    poll(state, 0, 2**32 - 1000, bits=32)
    f = poll(state, 10, 9000, bits=32)
    assert f["in_bps"] == (10_000 * 8) / 10


def test_64bit_decrease_is_a_reset_not_a_wrap() -> None:
    state = RateState()
    poll(state, 0, 5_000_000)
    assert "in_bps" not in poll(state, 10, 1_000)
    # and the next interval rates normally again
    assert poll(state, 20, 1_000 + 1250)["in_bps"] == 1000


def test_device_restart_resets_every_series() -> None:
    state = RateState()
    state.observe_uptime(1000.0)
    poll(state, 0, 100)
    state.observe_uptime(5.0)  # sysUpTime went backwards
    assert "in_bps" not in poll(state, 10, 200)
    state.observe_uptime(15.0)
    assert "in_bps" in poll(state, 20, 300)


def test_discontinuity_time_change_gives_no_rate() -> None:
    state = RateState()
    poll(state, 0, 100, disc=0)
    assert "in_bps" not in poll(state, 10, 200, disc=12345)


def test_index_naming_another_interface_gives_no_rate() -> None:
    state = RateState()
    poll(state, 0, 100, identity=("Gi0/1",))
    assert "in_bps" not in poll(state, 10, 200, identity=("Gi0/2",))


def test_rate_above_link_speed_is_dropped() -> None:
    state = RateState()
    poll(state, 0, 0, speed=10_000_000)
    f = poll(state, 1, 10_000_000, speed=10_000_000)  # 80 Mbit/s on a 10 Mbit/s link
    assert "in_bps" not in f and "in_util_pct" not in f


def test_zero_elapsed_time_gives_no_rate() -> None:
    state = RateState()
    poll(state, 5, 0)
    assert "in_bps" not in poll(state, 5, 100)


def test_counter_delta_never_negative() -> None:
    assert counter_delta(10, 5, 64) is None
    assert counter_delta(10, 5, None) is None
    assert counter_delta(2**32 - 1, 0, 32) == 1
    assert counter_delta(2**33, 5, 32) is None  # not a 32-bit value: a reset


def test_idle_counters_give_zero_rates_and_utilisation() -> None:
    state = RateState()
    poll(state, 0, 1000, errors=3)
    f = poll(state, 10, 1000, errors=3)
    assert list(f.items())[-3:] == [("in_util_pct", 0.0), ("in_bps", 0.0), ("in_errors_ps", 0.0)]
    poll(state, 20, 1000, speed=0)
    f = poll(state, 30, 1000, speed=0)  # no link speed: rates, but no utilisation
    assert "in_util_pct" not in f and f["in_bps"] == 0.0


def test_rules_with_different_ceilings_read_each_their_own() -> None:
    specs = [
        RateSpec(counter="a", rate="a_ps", max_field="cap_a", util="a_pct"),
        RateSpec(counter="b", rate="b_ps", max_field="cap_b", util="b_pct"),
    ]
    state = RateState()
    for t, a, b in ((0, 0, 0), (1, 50, 0)):
        fields: dict[str, int | float] = {"a": a, "b": b, "cap_a": 100, "cap_b": 0}
        apply_rates(state, KEY, t * S, fields, {}, specs)
    assert fields["a_pct"] == 50.0 and fields["b_ps"] == 0.0 and "b_pct" not in fields


def _interface_poll(t: int, column: str, octets: int) -> RawSnmp:
    """One poll of a one-port interface table, octets in the given counter column."""
    columns = {
        "1.3.6.1.2.1.31.1.1.1.1": {"1": b"Gi0/1"},
        column: {"1": octets},
        "1.3.6.1.2.1.2.2.1.5": {"1": 1_000_000_000},
    }
    return RawSnmp("sw1", t * S, {"1.3.6.1.2.1.1.3.0": 100 * t}, columns)


def _in_bps(state: RateState, t: int, column: str, octets: int) -> object:
    res = parse_snmp(
        _interface_poll(t, column, octets), builtin_profiles().get("generic"), DEV, state
    )
    return next(s for s in res.samples if s.measurement == "interface").fields.get("in_bps")


def test_a_32bit_fallback_counter_wraps_and_a_64bit_one_resets() -> None:
    # The plan's width is the first source's (ifHCInOctets, 64); ifInOctets rows note 32.
    hc, low = "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.2.2.1.10"
    state = RateState()
    _in_bps(state, 100, low, 2**32 - 1000)
    assert _in_bps(state, 110, low, 9000) == 10_000 * 8 / 10
    state = RateState()
    _in_bps(state, 100, hc, 2**32 - 1000)
    assert _in_bps(state, 110, hc, 9000) is None


def _errors_ps(state: RateState, t: int, errors: int) -> object:
    columns = {
        "1.3.6.1.2.1.31.1.1.1.1": {"1": b"Gi0/1"},
        "1.3.6.1.2.1.31.1.1.1.6": {"1": 1000 * t},
        "1.3.6.1.2.1.2.2.1.14": {"1": errors},  # ifInErrors, a Counter32
        "1.3.6.1.2.1.2.2.1.5": {"1": 1_000_000_000},
    }
    raw = RawSnmp("sw1", t * S, {"1.3.6.1.2.1.1.3.0": 100 * t}, columns)
    res = parse_snmp(raw, builtin_profiles().get("generic"), DEV, state)
    return next(s for s in res.samples if s.measurement == "interface").fields.get("in_errors_ps")


def test_error_rate_beyond_what_the_link_can_carry_is_dropped() -> None:
    # Issue 20: a counter reset without an uptime change read as a 32-bit wrap gave 57
    # million errors/s. A 1 Gbit/s link carries at most 1.49 million frames/s.
    state = RateState()
    _errors_ps(state, 100, 5000)
    assert _errors_ps(state, 110, 6000) == 100.0  # plausible: kept
    assert _errors_ps(state, 120, 10) is None  # reset read as a wrap: ~429 million/s
    assert _errors_ps(state, 130, 510) == 50.0  # and the next poll rates again


def test_frame_rates_without_a_shared_speed_are_bounded_by_each_their_own() -> None:
    # The rules read two ceilings, so none is shared: each frame rate reads its own field.
    specs = [
        RateSpec(counter="a", rate="a_bps", scale=8, max_field="speed", util="a_util"),
        RateSpec(counter="e", rate="e_ps", frames_within="slow"),  # 672 kbit/s: 1010 frames/s
        RateSpec(counter="f", rate="f_ps", frames_within="speed"),
    ]
    plan = RatePlan.of(rate_rules(specs), frame_bounds(specs))
    state = RateState()
    for t, n in ((0, 0), (1, 10_000)):
        fields: dict[str, int | float] = {"a": n, "e": n, "f": n, "speed": 10**9, "slow": 672_000}
        apply_rates_to_rows(state, "m", [Row("1", "", {}, fields)], t * S, plan)
    assert fields["a_bps"] == 80_000.0 and fields["a_util"] == 0.008
    assert fields["f_ps"] == 10_000.0 and "e_ps" not in fields
