"""Predictive alert rules (`timeleft:` / `forecast:`) fire on the seeded history at the right time.

The history (tests/_capacity_seed.py) is in a real InfluxDB 1.6; the evaluator reads the
rollups through InfluxQL, and its `prediction` samples go through the alert engine's
ordinary `observe`. The growing volume holds 100 GB on 2026-01-01 06:00 (local) and grows
2 GB a day on 1,000 GB: full on 2027-03-27 06:00; 800 GB on 2026-11-17 06:00.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from lanpulse.alerts.engine import AlertEngine
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.capacity import RollupSettings
from lanpulse.config.influx import InfluxSettings
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.model import AlertEvent
from lanpulse.daemon import Daemon
from lanpulse.reports.predictive import PredictiveEvaluator
from lanpulse.reports.source import InfluxQLSource
from lanpulse.sim.servers import InfluxDB16
from tests._capacity_seed import DATABASE, NS, TZ, seeded_influx
from tests._daemon import influx_rows, write_config

__all__ = ["seeded_influx"]

RULES = """\
rules:
  - name: volume_full_soon
    measurement: storage
    timeleft: {field: used_bytes, limit_field: size_bytes, fit: linear, window: 14d, below: 120d}
    severity: warning
  - name: volume_over_800gb_in_30d
    measurement: storage
    match: {volume: /grow}
    forecast: {field: used_bytes, horizon: 30d, above: 800000000000, fit: polynomial2}
"""


def at(month: int, day: int) -> int:
    """Local midnight of a day in 2026, in ns."""
    return int(datetime(2026, month, day, tzinfo=TZ).timestamp()) * NS


@pytest.fixture
def evaluate(seeded_influx: InfluxDB16):  # type: ignore[no-untyped-def]
    rules = load_rules(parse_yaml(RULES, "rules.yaml"))
    engine = AlertEngine(rules)
    influx = InfluxSettings(url=seeded_influx.url, api="v1", database=DATABASE)
    evaluator = PredictiveEvaluator(InfluxQLSource(influx, RollupSettings()))

    def run(now_ns: int) -> tuple[list[AlertEvent], dict[tuple[str, str], float]]:
        samples = evaluator.evaluate(rules, now_ns)
        values = {
            (s.tags["rule"], s.tags["volume"]): next(iter(s.fields.values())) for s in samples
        }
        return engine.observe(samples, now_ns), values

    return run


def test_timeleft_fires_when_the_volume_is_less_than_120_days_from_full(evaluate) -> None:  # type: ignore[no-untyped-def]
    events, values = evaluate(at(11, 26))
    # 2027-03-27 06:00 - 2026-11-26 00:00 = 121.25 days
    assert values[("volume_full_soon", "/grow")] == pytest.approx(121.25, abs=0.01)
    assert values[("volume_full_soon", "/flat")] == 3650.0  # not growing: never "full now"
    assert values[("volume_full_soon", "/flat-full")] == 3650.0
    assert values[("volume_full_soon", "/shrink")] == 3650.0
    assert not [e for e in events if e.rule == "volume_full_soon"]
    events, values = evaluate(at(11, 28))
    assert values[("volume_full_soon", "/grow")] == pytest.approx(119.25, abs=0.01)
    (fired,) = [e for e in events if e.rule == "volume_full_soon" and e.state == "firing"]
    assert fired.labels["volume"] == "/grow"
    assert fired.summary == (
        "volume_full_soon on nas1: used_bytes reaches its limit in 119.25 days "
        "(linear fit over 14d, R² 1.000)"
    )


def test_forecast_fires_when_the_value_in_30_days_is_above_the_limit(evaluate) -> None:  # type: ignore[no-untyped-def]
    events, values = evaluate(at(11, 16))
    # 100 GB + 2 GB/day from 2026-01-01 06:00: 797.5 GB on 2026-12-16 00:00 (348.75 days).
    assert values[("volume_over_800gb_in_30d", "/grow")] == pytest.approx(797.5e9, rel=1e-6)
    assert not [e for e in events if e.rule == "volume_over_800gb_in_30d"]
    events, values = evaluate(at(11, 19))
    assert values[("volume_over_800gb_in_30d", "/grow")] == pytest.approx(803.5e9, rel=1e-6)
    (fired,) = [e for e in events if e.rule == "volume_over_800gb_in_30d"]
    assert fired.state == "firing" and "polynomial2 fit over 14d" in fired.summary


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "timeleft: {field: used_bytes, limit_field: size_bytes, fit: cubic, below: 30d}",
            "rules.yaml:4: rules[0].timeleft.fit: unknown fit 'cubic', expected linear, "
            "polynomial1..polynomial6, exponential, logarithmic or power",
        ),
        (
            "timeleft: {field: used_bytes, below: 30d}",
            "rules.yaml:4: rules[0].timeleft: expected one of `limit_field` (e.g. size_bytes) "
            "or `limit`",
        ),
        (
            "forecast: {field: no_such, horizon: 30d, above: 1}",
            "rules.yaml:4: rules[0].forecast.field: unknown field 'no_such' of storage; expected "
            "one of ['free_bytes', 'size_bytes', 'used_bytes', 'used_pct']",
        ),
    ],
)
def test_predictive_rule_errors_are_one_line(rule: str, message: str) -> None:
    text = f"rules:\n  - name: r\n    measurement: storage\n    {rule}\n"
    with pytest.raises(ConfigErrors) as err:  # a rules file reports all its errors at once
        load_rules(parse_yaml(text, "rules.yaml"))
    assert [e.one_line() for e in err.value.errors] == [message]


async def test_the_daemon_evaluates_predictive_rules_and_stores_the_alert(
    seeded_influx: InfluxDB16, tmp_path: Path
) -> None:
    """The daemon's own loop: rule file -> evaluator over InfluxQL -> engine -> `alert`
    sample written back to InfluxDB (the daemon's clock is set to 2026-11-28)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    section = (
        f"influxdb:\n  url: {seeded_influx.url}\n  api: v1\n  database: {DATABASE}\n"
        "  flush_interval: 0.2s\n"
        f"alerting:\n  rules_files: [{rules}]\n  state_file: {tmp_path / 'state.json'}\n"
        "rollups: {manage_retention: false}"
    )
    config = write_config(tmp_path / "lanpulse.yaml", [], influx=section)
    daemon = Daemon(str(config), clock_ns=lambda: at(11, 28))
    task = asyncio.create_task(daemon.run(install_signals=False))
    try:
        for _ in range(100):
            if daemon.alerting.stats().alerts_firing >= 1:
                break
            await asyncio.sleep(0.1)
        assert daemon.alerting.stats().alerts_firing == 2  # both rules, on /grow
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(task, 30) == 0
    rows = influx_rows(
        seeded_influx,
        DATABASE,
        "SELECT state, value FROM alert WHERE rule = 'volume_full_soon' GROUP BY volume",
    )
    assert [r["volume"] for r in rows] == ["/grow"] and rows[0]["value"] == pytest.approx(
        119.25, abs=0.01
    )
