"""`/metrics` of a running daemon passes `promtool check metrics` (Debian's prometheus):
HELP and TYPE for every metric, counters ending in `_total`, and `lanpulse_build_info`."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from lanpulse import __version__
from lanpulse.pipeline.selfmon import _family, _split_key, describe
from lanpulse.sim.servers import free_tcp_port
from tests._daemon import listening, running, until, write_config


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return str(resp.read().decode())


def assert_promtool_clean(text: str) -> None:
    """`promtool check metrics` (Debian's prometheus) finds nothing wrong in `text`."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    lint = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr


async def test_metrics_pass_promtool_and_every_value_has_help(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    http = f"127.0.0.1:{free_tcp_port()}"
    config = write_config(tmp_path / "lanpulse.yaml", [], http_listen=http)
    async with running(config) as run:
        await until(lambda: listening(http))
        text = await asyncio.to_thread(get, f"http://{http}/metrics")
        stats = run.daemon.all_stats()
    assert_promtool_clean(text)
    assert f'version="{__version__}"' in text and "lanpulse_build_info{" in text
    assert "# TYPE lanpulse_polls_total counter" in text
    assert "# TYPE lanpulse_spool_age_seconds gauge" in text
    families = {_family(_split_key(key)[0]) for key in stats}
    unexplained = {family for family in families if describe(family) is None}
    assert not unexplained, sorted(unexplained)  # every value has its own HELP text
