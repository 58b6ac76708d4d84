"""A device whose SSH connection fails is logged (issue 20: only a counter moved), once
while it stays down, not on every poll. Real TCP: a free 127.0.0.1 port refuses."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lanpulse.sim.servers import free_tcp_port
from tests._daemon import running, until, write_config


async def test_failing_ssh_device_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    device = (
        f"  - {{name: ssh-dev, address: 127.0.0.1, interval: 1s, ssh: {{port: {free_tcp_port()},"
        " platform: linux, user: admin, password: x, host_key_check: false, timeout: 2s}}"
    )
    config = write_config(tmp_path / "lanpulse.yaml", [device])
    with caplog.at_level(logging.WARNING, logger="lanpulse"):
        async with running(config) as run:
            await until(lambda: run.polled.get("ssh-dev", 0) >= 3, 30)
    failed = [r.getMessage() for r in caplog.records if "ssh poll ssh-dev failed" in r.getMessage()]
    assert len(failed) == 1, failed
    assert "refused" in failed[0] or "unreachable" in failed[0] or "connect" in failed[0], failed
