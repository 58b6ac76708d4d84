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
