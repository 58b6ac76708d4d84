"""docs/lanpulse.service passes `systemd-analyze verify` for the documented install path
(/opt/lanpulse/bin/lanpulse, stood in for by an executable in a temp dir, since this machine
has no /opt/lanpulse) and scores better than MEDIUM on `systemd-analyze security`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "docs" / "lanpulse.service"
INSTALLED = "/opt/lanpulse/bin/lanpulse"

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze missing"
)


def _unit(tmp_path: Path) -> Path:
    binary = tmp_path / "lanpulse"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} " in text and f"ExecStartPre={INSTALLED} check" in text
    unit = tmp_path / "lanpulse.service"
    unit.write_text(text.replace(INSTALLED, str(binary)))
    return unit


def test_the_unit_verifies(tmp_path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_unit_scores_better_than_medium(tmp_path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(_unit(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) < 4.0 and found.group(2) in ("SAFE", "OK"), found.group(0)
