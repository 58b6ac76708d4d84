"""One-shot poll of an inventory device (the `alerts test --device` hook) against snmpsim."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.core.errors import ConfigError
from lanpulse.demo.estate import RECORDINGS
from lanpulse.pipeline.once import poll_outcome
from lanpulse.sim.snmpsim import SnmpSimAgent, free_udp_port
from tests._daemon import device_line, write_config
from tests.test_snmp_client import warm_up


async def test_poll_once_answers_and_fails_like_the_daemon(tmp_path: Path) -> None:
    with SnmpSimAgent(workdir=tmp_path / "snmpsim") as agent:
        agent.add(RECORDINGS / "jetdirect_m252dw.snmprec", "printer1")
        agent.stop()
        agent.start()
        warm_up(agent, "printer1")
        config = write_config(
            tmp_path / "lanpulse.yaml",
            [device_line("printer1", agent.port), device_line("gone", free_udp_port())],
        )
        outcome = await poll_outcome(config, "printer1")
        assert outcome.up
        supplies = [s for s in outcome.samples if s.measurement == "printer_supply"]
        assert {s.tags["supply"]: s.fields["level_pct"] for s in supplies}[
            "Black Cartridge HP CF400X"
        ] == 63
        down = await poll_outcome(config, "gone")
        assert not down.up and down.samples[0].fields["up"] == 0
        with pytest.raises(ConfigError, match="printer1"):
            await poll_outcome(config, "printer")


def test_alerts_test_polls_twice_so_rate_rules_can_show(tmp_path: Path) -> None:
    # Issue 16: `alerts test --device` polled once, so a rate rule could never show.
    import subprocess
    import sys

    from tests._daemon import ROOT

    with SnmpSimAgent(workdir=tmp_path / "snmpsim") as agent:
        agent.add(RECORDINGS / "ios_nac.snmprec", "sw1")
        agent.stop()
        agent.start()
        warm_up(agent, "sw1")
        (tmp_path / "rates.yaml").write_text(
            "rules:\n  - {name: any_traffic, measurement: interface, field: in_bps,"
            " above: -1, summary: '{device} {if_name} {value}'}\n"
        )
        config = write_config(
            tmp_path / "lanpulse.yaml",
            [device_line("sw1", agent.port)],
            extra="alerting:\n  rules_files: [rates.yaml]\n  state_file: null",
        )

        LANPULSE = [sys.executable, "-m", "lanpulse"]

        def alerts_test(*more: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*LANPULSE, "alerts", "test", "-c", str(config), "--device", "sw1", *more],
                capture_output=True,
                text=True,
                timeout=120,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            )

        once = alerts_test("--count", "1")
        assert once.returncode == 0, once.stderr
        assert "any_traffic" not in once.stdout
        twice = alerts_test("--count", "2", "--every", "1s")
        assert twice.returncode == 0, twice.stderr
        assert "any_traffic" in twice.stdout
