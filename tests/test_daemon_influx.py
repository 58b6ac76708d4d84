"""The daemon end to end: snmpsim agents (real recordings) -> InfluxDB 1.6 and VictoriaMetrics.

Values and tags are read back from the servers (InfluxQL on InfluxDB 1.6, `/api/v1/export`
on VictoriaMetrics) and compared with the recordings and with what the daemon polled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanpulse.core.model import Sample
from lanpulse.demo.estate import RECORDINGS, counter_rate, moving
from lanpulse.sim.servers import InfluxDB16, VictoriaMetrics
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._daemon import Run, device_line, influx_rows, running, until, v1_section, write_config
from tests.test_snmp_client import warm_up

SWITCH_MOVING = "swos_css326-24g-2s+"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("estate"))
    agent.add(RECORDINGS / "ios_nac.snmprec", "core-sw1")
    agent.add(RECORDINGS / "jetdirect_m252dw.snmprec", "printer1")
    agent.add_text("moving-sw", moving((RECORDINGS / f"{SWITCH_MOVING}.snmprec").read_text()))
    agent.start()
    warm_up(agent, "core-sw1")
    yield agent
    agent.cleanup()


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB16]:
    with InfluxDB16(tmp_path_factory.mktemp("influxd")) as server:
        yield server  # type: ignore[misc]


def canonical(sample: Sample) -> tuple[Any, ...]:
    """A sample as InfluxDB returns it: tags (empty ones dropped), time, fields."""
    tags = tuple(sorted((k, v) for k, v in sample.tags.items() if v != ""))
    fields = tuple(sorted((k, float(v)) for k, v in sample.fields.items()))
    return (sample.measurement, tags, sample.time_ns, fields)


def stored(influx: InfluxDB16, db: str, measurement: str) -> set[tuple[Any, ...]]:
    """Every point of `measurement` in the same shape as `canonical`."""
    out = set()
    result: Any = influx.query(f'SELECT * FROM "{measurement}" GROUP BY *', db=db)
    for series in result["results"][0].get("series", []):
        tags = tuple(sorted((k, v) for k, v in series.get("tags", {}).items() if v != ""))
        for values in series["values"]:
            row = dict(zip(series["columns"], values, strict=True))
            time_ns = row.pop("time")
            fields = tuple(sorted((k, float(v)) for k, v in row.items() if v is not None))
            out.add((measurement, tags, time_ns, fields))
    return out


async def test_v1_every_polled_sample_arrives_exactly(
    agent: SnmpSimAgent, influx: InfluxDB16, tmp_path: Path
) -> None:
    db = "exact"
    config = write_config(
        tmp_path / "lanpulse.yaml",
        [
            device_line("core-sw1", agent.port, labels="{site: hq}"),
            device_line("printer1", agent.port, **{"class": "printer"}),
        ],
        influx=v1_section(influx, db),
    )
    async with running(config) as run:
        await until(lambda: run.all_clean(2), 20)
    polled = run.samples
    # Stopping flushed the spool: InfluxDB has every polled point, exactly.
    assert polled
    for measurement in sorted({s.measurement for s in polled}):
        expected = {canonical(s) for s in polled if s.measurement == measurement}
        assert stored(influx, db, measurement) == expected, measurement

    # ... and the values are the recordings'.
    (dev,) = influx_rows(
        influx,
        db,
        "SELECT last(up) AS up, last(uptime_seconds) AS up_s FROM device WHERE device = 'core-sw1'",
    )
    assert dev["up"] == 1 and dev["up_s"] == pytest.approx(100481.36)
    rows = influx_rows(
        influx,
        db,
        "SELECT in_octets FROM interface WHERE device = 'core-sw1' "
        "AND if_index = '10001' GROUP BY if_name, site, class",
    )
    assert rows and {(r["if_name"], r["site"], r["class"], r["in_octets"]) for r in rows} == {
        ("Fa0/1", "hq", "switch", 612675)
    }
    supply = influx_rows(
        influx,
        db,
        "SELECT last(level_pct) AS pct FROM printer_supply WHERE device = 'printer1' "
        "GROUP BY supply",
    )
    levels = {r["supply"]: r["pct"] for r in supply}
    assert levels["Black Cartridge HP CF400X"] == 63
    assert levels["Yellow Cartridge HP CF402X"] == 36
    # The daemon wrote its own running totals too.
    (me,) = influx_rows(influx, db, "SELECT last(polls) AS polls FROM lanpulse")
    assert me["polls"] >= 1


async def test_rates_end_to_end_with_moving_counters(
    agent: SnmpSimAgent, influx: InfluxDB16, tmp_path: Path
) -> None:
    db = "rates"
    config = write_config(
        tmp_path / "lanpulse.yaml",
        [device_line("moving-sw", agent.port)],
        influx=v1_section(influx, db),
    )
    async with running(config) as run:
        await until(lambda: run.all_clean(4), 30)
    rows = influx_rows(
        influx,
        db,
        "SELECT in_bps, out_bps FROM interface WHERE device = 'moving-sw' "
        "AND in_bps > 0 GROUP BY if_index",
    )
    assert len({r["if_index"] for r in rows}) >= 2  # several interfaces with traffic
    # Rates use the polls' start times while the agent reads its counters a little later;
    # on a loaded machine that offset varies by a few hundred ms of the 2 s interval.
    for row in rows:
        idx = row["if_index"]
        in_rate = counter_rate(f"1.3.6.1.2.1.31.1.1.1.6.{idx}")
        out_rate = counter_rate(f"1.3.6.1.2.1.31.1.1.1.10.{idx}")
        assert in_rate is not None and out_rate is not None
        assert row["in_bps"] == pytest.approx(in_rate * 8, rel=0.25), idx
        assert row["out_bps"] == pytest.approx(out_rate * 8, rel=0.25), idx


def shipped(run: Run) -> bool:
    """True when the writer has sent everything it was given so far."""
    stats = run.daemon.sinks[0].stats().as_fields()
    return stats["points_written"] > 0 and stats["spool_points"] == 0


async def test_v2_api_into_victoriametrics(agent: SnmpSimAgent, tmp_path: Path) -> None:
    with VictoriaMetrics(tmp_path / "vm") as vm:
        section = (
            f"influxdb:\n  url: {vm.url}\n  api: v2\n  org: lanpulse\n  bucket: lanpulse\n"
            "  token: not-checked-by-victoriametrics\n  flush_interval: 0.2s"
        )
        config = write_config(
            tmp_path / "lanpulse.yaml",
            [device_line("core-sw1", agent.port), device_line("printer1", agent.port)],
            influx=section,
        )
        async with running(config) as run:
            await until(lambda: run.all_clean(1), 20)
            await until(lambda: shipped(run), 20)
        # VictoriaMetrics makes fresh data searchable a little later: wait for each series.
        for query in (
            '{__name__="device_up", device="core-sw1"}',
            '{__name__="interface_in_octets", device="core-sw1", if_index="10001"}',
            '{__name__="printer_supply_level_pct", device="printer1"}',
        ):
            await until(lambda q=query: bool(vm.export(q)), 15)
        (up,) = vm.export('{__name__="device_up", device="core-sw1"}')
        assert set(up["values"]) == {1}  # type: ignore[arg-type]
        assert up["metric"]["class"] == "switch"  # type: ignore[index]
        (octets,) = vm.export(
            '{__name__="interface_in_octets", device="core-sw1", if_index="10001"}'
        )
        assert octets["metric"]["if_name"] == "Fa0/1"  # type: ignore[index]
        assert set(octets["values"]) == {612675}  # type: ignore[arg-type]
        supply = vm.export('{__name__="printer_supply_level_pct", device="printer1"}')
        levels = {s["metric"]["supply"]: set(s["values"]) for s in supply}  # type: ignore[index, arg-type]
        assert levels["Black Cartridge HP CF400X"] == {63}
