"""The profile engine: loading, `extends`, selection, and the generic parser on synthetic data."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.config.profiles import builtin_profiles, load_profiles
from lanpulse.core.errors import ConfigErrors, ParseError
from lanpulse.core.model import Device, Oid, RawSnmp
from lanpulse.core.schema import validate_samples
from lanpulse.parsers.metric_plan import MetricPlan
from lanpulse.parsers.rates import RateState
from lanpulse.parsers.snmp_profile import CompiledProfile, parse_snmp

DEV = Device(name="sw1", address="127.0.0.1", labels={"site": "hq"})
IF = "1.3.6.1.2.1.2.2.1."
IFX = "1.3.6.1.2.1.31.1.1.1."
HR = "1.3.6.1.2.1.25.2.3.1."


def test_generic_is_the_fallback() -> None:
    sel = builtin_profiles().select("1.3.6.1.4.1.99999.1", "Some unknown box")
    assert sel.profile.name == "generic"
    assert "fallback" in sel.reason


def test_longest_sysobjectid_prefix_wins(tmp_path: Path) -> None:
    (tmp_path / "short.yaml").write_text(
        "class: switch\nextends: [generic]\nmatch: {sysobjectid: [1.3.6.1.4.1.424242]}\n"
    )
    (tmp_path / "long.yaml").write_text(
        "class: switch\nvendor: Cisco\nextends: [generic]\n"
        "match: {sysobjectid: [1.3.6.1.4.1.424242.1]}\n"
    )
    ps = load_profiles([tmp_path])
    assert ps.select("1.3.6.1.4.1.424242.1.1006", "").profile.name == "long"
    assert ps.select("1.3.6.1.4.1.424242.5.1", "").profile.name == "short"
    # a prefix matches whole arcs only: .4242421 is not under .424242
    assert ps.select("1.3.6.1.4.1.4242421.1", "").profile.name != "short"


def test_sysdescr_is_the_second_criterion(tmp_path: Path) -> None:
    (tmp_path / "byname.yaml").write_text(
        "class: printer\nextends: [generic]\nmatch: {sysdescr: ['(?i)^acme laser']}\n"
    )
    sel = load_profiles([tmp_path]).select("1.3.6.1.4.1.424242", "ACME Laser 9000")
    assert sel.profile.name == "byname" and "sysDescr" in sel.reason


def test_child_metric_replaces_parent_metric_by_name(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(
        "extends: [generic]\nmetrics:\n"
        "  - {name: hr_processor, measurement: host, fields: {cpu_pct: {oid: 1.3.6.1.4.1.1.1}},"
        " aggregate: {cpu_pct: max}}\n"
        "  - {name: hr_system, drop: true}\n"
    )
    child = load_profiles([tmp_path]).get("child")
    names = [m.name for m in child.metrics]
    assert "hr_system" not in names and names.count("hr_processor") == 1
    proc = next(m for m in child.metrics if m.name == "hr_processor")
    assert proc.aggregate == {"cpu_pct": "max"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("extends: [nope]\n", "extends unknown profile 'nope'"),
        ("metrics:\n  - {name: x, measurement: host, processors: [nope]}\n", "unknown processor"),
        ("metrics:\n  - {name: x, measurement: host, fields: {a: {oid: not.an.oid}}}\n", "OID"),
        ("metrics: [\n", "invalid YAML"),
        ("metrics:\n  - {name: x, measurement: host, typo: 1}\n", "Extra inputs"),
        (
            "metrics:\n  - {name: x, measurement: host, exclude: {if_name: ['a(']}}\n",
            "metrics.0.exclude: Value error, if_name: 'a(' is not a regex",
        ),
        (
            "metrics:\n  - {name: x, measurement: host, tags: {a: {oid: '1.2'}},\n"
            "     exclude: {b: [c]}}\n",
            "Value error, exclude: 'b' is not one of this metric's tags (a)",
        ),
        (
            "metrics:\n  - {name: x, measurement: host, tags: {a: {oid: '1.2'}},\n"
            "     cut: {b: c}}\n",
            "Value error, cut: 'b' is not one of this metric's tags (a)",
        ),
        (
            "metrics:\n  - {name: x, measurement: host, tags: {a: {oid: '1.2'}},\n"
            "     cut: {a: 'c('}}\n",
            "metrics.0.cut: Value error, a: 'c(' is not a regex",
        ),
    ],
)
def test_bad_profiles_are_config_errors_naming_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ConfigErrors) as err:
        load_profiles([tmp_path])
    lines = [e.one_line() for e in err.value.errors]
    assert any(expected in line and "bad.yaml" in line for line in lines), lines


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: [b]\n")
    (tmp_path / "b.yaml").write_text("extends: [a]\n")
    with pytest.raises(ConfigErrors) as err:
        load_profiles([tmp_path])
    assert "cycle" in str(err.value)


def _raw(
    columns: dict[str, dict[str, object]], scalars: dict[str, object] | None = None, t: int = 0
) -> RawSnmp:
    return RawSnmp("sw1", t, scalars or {}, columns)  # type: ignore[arg-type]


def test_interfaces_prefer_hc_counters_and_high_speed() -> None:
    p = builtin_profiles().get("generic")
    raw = _raw(
        {
            IF + "2": {"1": b"GigabitEthernet0/1", "2": b"Te1/1"},
            IFX + "1": {"1": b"Gi0/1"},
            IF + "5": {"1": 1_000_000_000, "2": 4_294_967_295},
            IFX + "15": {"1": 1000, "2": 10_000},
            IF + "10": {"1": 5, "2": 6},
            IFX + "6": {"1": 2**40},
            IF + "8": {"1": 1, "2": 2},
            IF + "7": {"1": 1, "2": 1},
        },
        {"1.3.6.1.2.1.1.3.0": 12345},
    )
    res = parse_snmp(raw, p, DEV)
    ifs = {s.tags["if_index"]: s for s in res.samples if s.measurement == "interface"}
    assert ifs["1"].tags["if_name"] == "Gi0/1"  # ifName over ifDescr
    assert ifs["2"].tags["if_name"] == "Te1/1"  # ifDescr when ifName is absent
    assert ifs["1"].fields["in_octets"] == 2**40  # HC counter preferred
    assert ifs["2"].fields["in_octets"] == 6  # 32-bit fallback
    assert ifs["1"].fields["speed_bps"] == 1_000_000_000
    assert ifs["2"].fields["speed_bps"] == 10_000_000_000  # saturated ifSpeed -> ifHighSpeed
    assert res.uptime_s == 123.45
    assert ifs["1"].tags["site"] == "hq" and ifs["1"].tags["class"] == "other"
    assert validate_samples(res.samples) == []


def test_rates_appear_on_the_second_poll() -> None:
    p = builtin_profiles().get("generic")
    state = RateState()

    def at(t: int, octets: int) -> RawSnmp:
        return _raw(
            {IFX + "1": {"1": b"Gi0/1"}, IFX + "6": {"1": octets}, IF + "5": {"1": 100_000_000}},
            {"1.3.6.1.2.1.1.3.0": 100 * t},
            t=t * 1_000_000_000,
        )

    first = parse_snmp(at(100, 0), p, DEV, state)
    assert "in_bps" not in next(s for s in first.samples if s.measurement == "interface").fields
    second = parse_snmp(at(110, 1_250_000), p, DEV, state)
    f = next(s for s in second.samples if s.measurement == "interface").fields
    assert f["in_bps"] == 1_000_000 and f["in_util_pct"] == 1.0


def test_hr_storage_units_wrap_and_memory_routing() -> None:
    p = builtin_profiles().get("generic")
    ram, disk, vol = "1.3.6.1.2.1.25.2.1.2", "1.3.6.1.2.1.25.2.1.4", "big"
    raw = _raw(
        {
            HR + "2": {"1": Oid(ram), "2": Oid(disk), "3": Oid(disk)},
            HR + "3": {"1": b"Physical memory", "2": b"/", "3": vol.encode()},
            HR + "4": {"1": 1024, "2": 4096, "3": 65536},
            HR + "5": {"1": 1000, "2": 1000, "3": -1_000_000},  # 32-bit wrapped size
            HR + "6": {"1": 500, "2": 250, "3": -2_000_000},
        }
    )
    res = parse_snmp(raw, p, DEV)
    host = next(s for s in res.samples if s.measurement == "host")
    assert host.fields["mem_total_bytes"] == 1024 * 1000
    assert host.fields["mem_used_pct"] == 50.0
    vols = {s.tags["volume"]: s for s in res.samples if s.measurement == "storage"}
    assert "Physical memory" not in vols
    assert vols["/"].fields == {
        "size_bytes": 4_096_000,
        "used_bytes": 1_024_000,
        "free_bytes": 3_072_000,
        "used_pct": 25.0,
    }
    assert vols[vol].fields["size_bytes"] == (2**32 - 1_000_000) * 65536
    assert validate_samples(res.samples) == []


def test_a_failing_processor_keeps_the_rest_of_the_poll() -> None:
    p = builtin_profiles().get("generic")
    raw = _raw(
        {
            HR + "2": {"1": Oid("1.3.6.1.2.1.25.2.1.4")},
            HR + "3": {"1": b"/"},
            HR + "4": {"1": b"garbage"},  # not a number: the row is skipped, not a crash
            HR + "5": {"1": 10},
            IFX + "1": {"1": b"Gi0/1"},
            IFX + "6": {"1": 5},
        }
    )
    res = parse_snmp(raw, p, DEV)
    assert any(s.measurement == "interface" for s in res.samples)
    assert not any(s.measurement == "storage" for s in res.samples)


def test_excluded_rows_make_no_sample_and_no_rate_state(tmp_path: Path) -> None:
    """`exclude` drops rows by tag text before fields and rates; other rows are untouched."""
    (tmp_path / "ex.yaml").write_text(
        "extends: [_if_mib]\n"
        "metrics:\n"
        "  - name: interfaces\n"
        "    patch: true\n"
        "    exclude: {if_name: ['^lo$', 'Filter-\\d+$'], if_alias: ['^skip']}\n"
    )
    p = load_profiles([tmp_path]).get("ex")
    state = RateState()
    names = {"1": b"Gi0/1", "2": b"lo", "3": b"Gi0/3-Filter-0000", "4": b"Gi0/4", "5": b"Gi0/5"}
    aliases = {"4": b"skip me", "5": b"uplink, not skip"}

    def at(t: int, octets: int) -> RawSnmp:
        return _raw(
            {
                IFX + "1": names,
                IFX + "18": aliases,
                IFX + "6": dict.fromkeys(names, octets),
                IF + "5": dict.fromkeys(names, 100_000_000),
            },
            {"1.3.6.1.2.1.1.3.0": 100 * t},
            t=t * 1_000_000_000,
        )

    for t, octets in ((100, 0), (110, 1_250_000)):
        res = parse_snmp(at(t, octets), p, DEV, state)
    ifs = {s.tags["if_name"]: s.fields for s in res.samples if s.measurement == "interface"}
    assert set(ifs) == {"Gi0/1", "Gi0/5"}
    assert ifs["Gi0/1"]["in_bps"] == ifs["Gi0/5"]["in_bps"] == 1_000_000
    assert res.errors == [] and validate_samples(res.samples) == []
    assert len(state.series["interfaces"]) == 2  # no rate state for excluded rows


def test_require_of_an_unanswered_column_builds_no_rows() -> None:
    """ENTITY-SENSOR requires `type`: an agent with entPhysicalTable and no sensor table
    gets no sensor rows (none built); with the sensor table the rows are as before."""
    metric = next(
        m for m in builtin_profiles().get("generic").metrics if m.name == "entity_sensors"
    )
    names = {"1": b"Chassis", "2": b"PSU 1", "3": b"CPU temp"}
    no_sensors = _raw({"1.3.6.1.2.1.47.1.1.1.1.7": names})
    assert MetricPlan.of(metric).rows(no_sensors) == []
    sensors = _raw(
        {
            "1.3.6.1.2.1.47.1.1.1.1.7": names,
            "1.3.6.1.2.1.99.1.1.1.1": {"3": 8},  # celsius
            "1.3.6.1.2.1.99.1.1.1.4": {"3": 41},
            "1.3.6.1.2.1.99.1.1.1.5": {"3": 1},
        }
    )
    res = parse_snmp(sensors, builtin_profiles().get("generic"), DEV)
    got = [(s.tags["sensor"], dict(s.fields)) for s in res.samples if s.measurement == "sensor"]
    assert got == [("CPU temp", {"value": 41, "state": 1, "health": 0})]


def test_require_counts_every_group_a_name_is_sourced_in(tmp_path: Path) -> None:
    """A required name that is a tag and an extra value: either column answering keeps rows."""
    (tmp_path / "req.yaml").write_text(
        "metrics:\n"
        "  - name: t\n"
        "    measurement: sensor\n"
        "    require: [kind]\n"
        "    tags: {sensor: {oid: 1.9.1}, kind: {oid: 1.9.2}}\n"
        "    extra: {kind: {oid: 1.9.3}}\n"
        "    fields: {value: {oid: 1.9.4}}\n"
    )
    metric = load_profiles([tmp_path]).get("req").metrics[0]
    raw = _raw({"1.9.1": {"1": b"a"}, "1.9.3": {"1": 5}, "1.9.4": {"1": 7}})
    assert [r.extra for r in MetricPlan.of(metric).rows(raw)] == [{"kind": 5}]
    assert MetricPlan.of(metric).rows(_raw({"1.9.1": {"1": b"a"}, "1.9.4": {"1": 7}})) == []


def test_a_failing_metric_is_a_typed_failure_and_the_others_still_parse(tmp_path: Path) -> None:
    """A derive rule without operands fails its metric with a ParseError, carried as the
    exception itself (`ParseResult.failures`); `errors` is its one-line text."""
    (tmp_path / "bad.yaml").write_text(
        "metrics:\n"
        "  - name: broken\n"
        "    measurement: sensor\n"
        "    scalar: true\n"
        "    fields: {value: {oid: 1.9.4.0}}\n"
        "    derive: {twice: {add: []}}\n"
        "  - name: fine\n"
        "    measurement: host\n"
        "    scalar: true\n"
        "    fields: {uptime_seconds: {oid: 1.9.5.0}}\n"
    )
    profile = load_profiles([tmp_path]).get("bad")
    raw = _raw({}, {"1.9.4.0": 3, "1.9.5.0": 9})
    res = parse_snmp(raw, CompiledProfile.of(profile), DEV)
    [failure] = res.failures
    assert failure.metric == "broken" and isinstance(failure.error, ParseError)
    assert res.errors == ["broken: ParseError: derive twice: add has no operands"]
    assert [s.measurement for s in res.samples] == ["host"]


def test_memos_belong_to_the_compiled_profile() -> None:
    """Each CompiledProfile owns its plans and memos: a reload (a new one) starts empty, and
    no test needs to clear a module-level cache."""
    p = builtin_profiles().get("generic")
    raw = _raw({IF + "2": {"1": b"Gi0/1"}, IFX + "1": {"1": b"Gi0/1"}})
    first, reloaded = CompiledProfile.of(p), CompiledProfile.of(p)
    parse_snmp(raw, first, DEV)
    texts = [len(s.texts) for plan in first.plans for _, srcs in plan.tags for s in srcs]
    assert sum(texts) > 0
    fresh = [len(s.texts) for plan in reloaded.plans for _, srcs in plan.tags for s in srcs]
    assert sum(fresh) == 0
    assert not set(map(id, first.plans)) & set(map(id, reloaded.plans))


def test_cut_removes_text_from_a_tag_after_exclude_and_keeps_what_it_would_empty(
    tmp_path: Path,
) -> None:
    """`cut` (profile data, as snmp_exporter's regex_extracts): every match is cut, then the
    spaces around the rest; a text the cut would empty stays; `exclude` saw the raw text."""
    (tmp_path / "cut.yaml").write_text(
        "extends: [_if_mib]\n"
        "metrics:\n"
        "  - name: interfaces\n"
        "    patch: true\n"
        "    exclude: {if_name: [' S/N:skip$']}\n"
        "    cut: {if_name: '\\s*S/N:.*$'}\n"
    )
    p = load_profiles([tmp_path]).get("cut")
    names = {
        "1": b"Gi0/1 S/N:CRUM-1",
        "2": b"S/N:only",
        "3": b"Gi0/3",
        "4": b"Gi0/4 S/N:skip",
    }
    raw = _raw({IFX + "1": names, IFX + "6": dict.fromkeys(names, 5)})
    res = parse_snmp(raw, p, DEV)
    got = {
        s.tags["if_index"]: s.tags["if_name"] for s in res.samples if s.measurement == "interface"
    }
    assert got == {"1": "Gi0/1", "2": "S/N:only", "3": "Gi0/3"}
