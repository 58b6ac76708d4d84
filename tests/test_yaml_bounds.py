"""YAML bombs and other hostile YAML: refused in one line by every reader, quickly.

Issue 20: nine levels of nine nested aliases made `lanpulse check` grow to 842 MB and never
finish, and hung the running daemon on SIGHUP.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanpulse.config.profiles import load_profiles
from lanpulse.core import yaml_bounds
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.daemon import Daemon
from lanpulse.dashboards.settings_file import load_grafana_settings
from lanpulse.parsers.cli.profile import load_cli_profile_file

ROOT = Path(__file__).resolve().parent.parent


def bomb(key: str = "lol") -> str:
    """Nine levels of nine aliases: 9**9 = 387 million strings once expanded."""
    lines = [f'a0: &a0 ["{key}", "{key}", "{key}", "{key}", "{key}", "{key}", "{key}", "{key}"]']
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def one_line(exc: ConfigError | ConfigErrors) -> str:
    errors = exc.errors if isinstance(exc, ConfigErrors) else [exc]
    assert len(errors) == 1
    text = errors[0].one_line()
    assert "\n" not in text
    return text


def test_check_refuses_a_bomb_in_one_line_and_quickly(tmp_path: Path) -> None:
    config = tmp_path / "lanpulse.yaml"
    config.write_text("devices: []\n" + bomb())
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lanpulse", "check", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{config}:" in done.stderr and "aliases expand to more than" in done.stderr


def test_every_reader_refuses_a_bomb(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "evil.yaml").write_text("name: evil\n" + bomb())
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_profiles((profiles,))
    assert "evil.yaml:" in one_line(caught.value)

    cli = tmp_path / "cli.yaml"
    cli.write_text("platform: x\n" + bomb())
    with pytest.raises(ConfigError, match="aliases expand"):
        load_cli_profile_file(cli)

    grafana = tmp_path / "grafana.yaml"
    grafana.write_text("grafana: {url: http://127.0.0.1:1}\n" + bomb())
    with pytest.raises(ConfigError, match="aliases expand"):
        load_grafana_settings(grafana)

    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: []\n" + bomb())
    config = tmp_path / "lanpulse.yaml"
    config.write_text(
        f"spool: {{directory: {tmp_path / 'spool'}}}\nalerting:\n  rules_files: [{rules}]\n"
    )
    from lanpulse.alerts.configsrc import load_alerting_config

    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_alerting_config(str(config))
    assert "rules.yaml:" in one_line(caught.value)


def test_recursive_deep_and_oversized_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="recursive YAML alias"):
        yaml_bounds.load_plain_yaml("a: &x [1, *x]\n", "f.yaml")
    with pytest.raises(ConfigError, match="nest"):
        yaml_bounds.load_plain_yaml("[" * 1000 + "]" * 1000, "f.yaml")
    monkeypatch.setattr(yaml_bounds, "MAX_YAML_BYTES", 100)
    with pytest.raises(ConfigError, match="expected at most 100"):
        yaml_bounds.load_plain_yaml("a: " + "x" * 200, "f.yaml")


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    text = "base: &base {a: 1, b: [1, 2]}\n" + "".join(
        f"d{i}: {{<<: *base, c: {i}}}\n" for i in range(500)
    )
    data = yaml_bounds.load_plain_yaml(text, "f.yaml")
    assert isinstance(data, dict) and data["d499"] == {"a": 1, "b": [1, 2], "c": 499}


async def test_sighup_with_a_bomb_is_rejected_and_the_daemon_keeps_its_config(
    tmp_path: Path,
) -> None:
    config = tmp_path / "lanpulse.yaml"
    good = f"spool: {{directory: {tmp_path / 'spool'}, fsync: never}}\ndevices: []\n"
    config.write_text(good)
    daemon = Daemon(str(config))
    before = daemon.loaded
    config.write_text(good + bomb())
    started = time.monotonic()
    assert await daemon.reload() is False
    assert time.monotonic() - started < 10
    assert daemon.loaded is before and daemon.stats.reload_failures == 1
    await daemon.sinks[0].stop(1)
