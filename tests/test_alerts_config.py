"""The `alerting:` section, rule files and packs, and `lanpulse alerts check|test`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lanpulse.alerts.configsrc import load_alerting_config
from lanpulse.alerts.maintenance import MaintenanceWindow, windows_from_settings
from lanpulse.alerts.packs import pack_names
from lanpulse.alerts.rules import parse_duration
from lanpulse.alerts.template import render
from lanpulse.cli import main
from lanpulse.config.alerting import AlertingSettings

CONFIG = """\
alerting:
  rules_files: [rules/office.yaml]        # in addition to the shipped default packs
  alertmanager: {url: "http://127.0.0.1:9093"}
  email: {host: 127.0.0.1, port: 2525, from: lanpulse@example.org, to: [oncall@example.org]}
"""
OFFICE = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 30s, severity: critical,
     summary: "{device} does not answer"}
  - {name: toner_low, measurement: printer_supply, field: level_pct, below: 10, clear_above: 15,
     match: {supply_type: toner}, severity: warning}
"""


def write(tmp: Path, config: str = CONFIG, rules: str = OFFICE) -> Path:
    (tmp / "rules").mkdir(exist_ok=True)
    (tmp / "rules" / "office.yaml").write_text(rules)
    (tmp / "lanpulse.yaml").write_text(config)
    return tmp / "lanpulse.yaml"


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(["alerts", "check", "-c", str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_issue_example_is_accepted_as_is(tmp_path: Path) -> None:
    cfg = load_alerting_config(write(tmp_path))
    assert cfg.settings.alertmanager is not None
    assert cfg.settings.alertmanager.url == "http://127.0.0.1:9093"
    assert cfg.settings.email is not None and cfg.settings.email.from_ == "lanpulse@example.org"
    names = [r.name for r in cfg.rules.rules]
    assert len(names) == len(set(names))
    assert set(cfg.rules.packs) == set(pack_names())
    down = cfg.rules.by_name("device_down")
    assert down is not None and down.for_s == 30 and down.summary == "{device} does not answer"
    toner = cfg.rules.by_name("toner_low")
    assert (
        toner is not None
        and toner.clear == 15
        and toner.match == (("supply_type", frozenset({"toner"})),)
    )


def test_every_shipped_pack_is_present() -> None:
    assert pack_names() == [
        *("desktop", "device", "discovery", "event", "interface", "printer", "sensor"),
        *("storage", "ups", "wireless"),
    ]


def test_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = check(write(tmp_path), capsys)
    assert rc == 0 and "rules OK" in out and err == ""


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            "rules:\n  - {name: x, measurement: printers, field: up, below: 1}\n",
            "rules/office.yaml:2: rules[0].measurement: unknown measurement 'printers'",
        ),
        (
            "rules:\n  - name: x\n    measurement: device\n    field: upp\n    below: 1\n",
            "rules/office.yaml:4: rules[0].field: unknown field 'upp' of device",
        ),
        (
            "rules:\n  - {name: x, measurement: device, field: up}\n",
            "rules/office.yaml:2: rules[0]: expected exactly one condition",
        ),
        (
            "rules:\n  - name: x\n    measurement: host\n    field: cpu_pct\n    above: 90\n"
            "    for: soon\n",
            "rules/office.yaml:6: rules[0].for: bad duration 'soon', expected a number",
        ),
        (
            "rules:\n  - {name: x, measurement: host, field: cpu_pct, below: 9, clear_below: 5}\n",
            "rules[0].clear_below: clear_below only goes with `above`",
        ),
        (
            "rules:\n  - {name: x, measurement: host, field: cpu_pct, above: 9, severity: page}\n",
            "rules[0].severity: expected one of",
        ),
        (
            "rules:\n  - {name: x, measurement: host, field: cpu_pct, above: 9,\n"
            "     match_re: {device: '(['}}\n",
            "rules/office.yaml:3: rules[0].match_re.device: invalid regex",
        ),
        ("rules: [\n", "rules/office.yaml:2: invalid YAML"),
    ],
)
def test_rule_errors_name_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: str, expected: str
) -> None:
    rc, out, err = check(write(tmp_path, rules=rules), capsys)
    assert rc == 2 and out == ""
    assert expected in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (CONFIG.replace("port: 2525", "port: many"), "lanpulse.yaml:4: alerting.email.port:"),
        (CONFIG + "  sms: {to: x}\n", "lanpulse.yaml:5: alerting.sms: unknown key"),
        (
            CONFIG + "  disabled_packs: [toner]\n",
            "lanpulse.yaml:5: alerting.disabled_packs[0]: unknown pack 'toner'",
        ),
        (
            CONFIG.replace("rules/office.yaml", "rules/nope.yaml"),
            "lanpulse.yaml:2: alerting.rules_files[0]: rules file",
        ),
        (
            CONFIG + "  routes: [{receivers: [pager]}]\n",
            "'pager' is not configured",
        ),
        (
            CONFIG + "  email: {host: x}\n",
            "lanpulse.yaml:5: alerting.email: duplicate key 'email'",
        ),
        (
            CONFIG + "  maintenance:\n    - name: w\n      devices: [sw1]\n"
            "      every: {at: '22:00', duration: 2h, timezone: Mars/Olympus}\n",
            "lanpulse.yaml:8: alerting.maintenance[0].every.timezone: unknown time zone",
        ),
        (
            CONFIG + "  maintenance: [{name: w, start: 2026-01-01T00:00:00Z,"
            " end: 2026-01-02T00:00:00Z}]\n",
            "lanpulse.yaml:5: alerting.maintenance[0]: name at least one of devices",
        ),
        (
            CONFIG.replace("to: [oncall@example.org]}", "to: [o@x.org], password_file: pw}"),
            # relative to the config's folder, so the line names the file it looked for
            "/pw' does not exist",
        ),
    ],
)
def test_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, expected: str
) -> None:
    rc, _, err = check(write(tmp_path, config=config), capsys)
    assert rc == 2 and expected in err, err
    assert "Traceback" not in err


def test_secrets_never_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = CONFIG.replace("to: [oncall@example.org]}", "to: [o@example.org], password: hunter2}")
    config += '  slack: {url: "https://hooks.example/T/B/topsecret"}\n'
    cfg = load_alerting_config(write(tmp_path, config=config))
    text = repr(cfg.settings) + str(cfg.settings)
    assert "hunter2" not in text and "topsecret" not in text


def test_packs_can_be_switched_off_and_rules_overridden(tmp_path: Path) -> None:
    config = CONFIG + "  disabled_packs: [desktop]\n  disabled_rules: [paper_jam]\n"
    rules = OFFICE + "  - {name: volume_nearly_full, above: 80, clear_below: 75}\n"
    rules += "  - {name: sensor_critical, enabled: false}\n"
    cfg = load_alerting_config(write(tmp_path, config=config, rules=rules))
    names = {r.name for r in cfg.rules.rules}
    assert "desktop_cpu_saturated" not in names and "paper_jam" not in names
    assert "sensor_critical" not in names
    vol = cfg.rules.by_name("volume_nearly_full")
    assert vol is not None and (vol.threshold, vol.clear, vol.for_s) == (80, 75, 600)
    assert vol.pack == "storage" and "office.yaml" in vol.source


def test_durations() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("1h30m") == 5400
    assert parse_duration(90) == 90
    assert parse_duration("2d") == 172800
    with pytest.raises(ValueError):
        parse_duration("5 minutes")


def test_templates_are_safe_against_missing_keys_and_attribute_access() -> None:
    variables = {"device": "sw1", "value": 7.25, "if_name": "ge-0/0/1"}
    assert render("{device} {if_name} at {value}%", variables) == "sw1 ge-0/0/1 at 7.25%"
    # An optional value the series lacks renders empty, never as `{if_alias}` (issue 16);
    # a name no series can have is refused when the rule loads (below).
    assert render("{if_alias} {{literal}}", variables) == " {literal}"
    assert render("{device.__class__} {value[0]}", variables) == "{device.__class__} {value[0]}"


def test_check_lists_every_bad_rule_and_refuses_unknown_template_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = """\
rules:
  - {name: a_down, measurement: device, field: up, below: 1, summary: "{devise} is down"}
  - {name: b_bad, measurement: device, field: nope, below: 1}
  - {name: c_ok, measurement: interface, field: in_errors_ps, above: 1,
     summary: "{device} {if_name} {if_alias} {site}"}
  - {name: d_bad, measurement: nope, field: up, below: 1}
"""
    config = CONFIG + "devices:\n  - {name: x, address: 127.0.0.1, labels: {site: hq}}\n"
    rc, _, err = check(write(tmp_path, config=config, rules=rules), capsys)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 3, err
    assert "office.yaml:2: rules[0].summary: unknown template field {devise}" in lines[0]
    assert "rules[1].field: unknown field 'nope'" in lines[1]
    assert "rules[3].measurement: unknown measurement 'nope'" in lines[2]


def test_recurring_and_one_off_maintenance_windows() -> None:
    settings = AlertingSettings.model_validate(
        {
            "maintenance": [
                {
                    "name": "sat",
                    "groups": ["core"],
                    "every": {
                        "days": ["sat"],
                        "at": "22:00",
                        "duration": "4h",
                        "timezone": "Europe/Berlin",
                    },
                },
                {
                    "name": "once",
                    "labels": {"site": "hq"},
                    "start": "2026-12-01T10:00:00Z",
                    "end": "2026-12-01T11:00:00Z",
                },
            ]
        }
    )
    sat, once = windows_from_settings(settings.maintenance)

    def ns(text: str) -> int:
        return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 10**9

    # 2026-12-05 is a Saturday; 22:00 Berlin is 21:00 UTC; the window runs past midnight.
    assert not sat.active(ns("2026-12-05T20:59:00"))
    assert sat.active(ns("2026-12-05T21:00:00"))
    assert sat.active(ns("2026-12-06T00:30:00"))
    assert not sat.active(ns("2026-12-06T01:00:00"))
    assert sat.covers({"device": "x"}, "core") and not sat.covers({"device": "x"}, "edge")
    assert once.active(ns("2026-12-01T10:30:00")) and not once.active(ns("2026-12-01T11:00:00"))
    assert once.covers({"device": "p", "site": "hq"}, None)
    assert isinstance(once, MaintenanceWindow)


def test_alerts_test_shows_pending_and_firing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    lines = [
        {
            "measurement": "device",
            "tags": {"device": "sw1", "class": "switch"},
            "fields": {"up": 0},
            "time": "2026-11-26T10:00:00Z",
        },
        {
            "measurement": "device",
            "tags": {"device": "sw1", "class": "switch"},
            "fields": {"up": 0},
            "time": "2026-11-26T10:01:00Z",
        },
        {
            "measurement": "device",
            "tags": {"device": "sw2", "class": "switch"},
            "fields": {"up": 0},
            "time": "2026-11-26T10:01:00Z",
        },
        {
            "measurement": "printer_supply",
            "tags": {
                "device": "p1",
                "class": "printer",
                "supply": "Black",
                "supply_index": "1",
                "supply_type": "toner",
            },
            "fields": {"level_pct": 12},
            "time": "2026-11-26T10:00:00Z",
        },
    ]
    samples = tmp_path / "s.jsonl"
    samples.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    rc = main(["alerts", "test", "-c", str(path), "--samples", str(samples), "--format", "json"])
    out, _ = capsys.readouterr()
    assert rc == 0
    got = [json.loads(x) for x in out.splitlines()]
    assert [(g["rule"], g["state"], g["series"]) for g in got] == [
        ("device_down", "firing", "class=switch,device=sw1"),
        ("device_down", "pending", "class=switch,device=sw2"),
    ]
    assert got[0]["why"] == "device.up below 1 for 30s"


def test_alerts_test_bad_samples_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"measurement": "device", "tags": {}, "fields": {}, "time": "x"}\n{\n')
    rc = main(["alerts", "test", "-c", str(path), "--samples", str(samples)])
    _, err = capsys.readouterr()
    assert rc == 2 and f"{samples}:1: time: expected RFC 3339" in err


def test_alerts_test_device_must_be_in_the_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --device polls the named inventory device live (tests/test_scenario_* cover a real
    # poll); a name that is not in the inventory is a one-line config error.
    rc = main(["alerts", "test", "-c", str(write(tmp_path)), "--device", "sw1"])
    _, err = capsys.readouterr()
    assert rc == 2 and "sw1" in err and "Traceback" not in err


def test_alerting_secrets_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alerting section is read like the rest of the config: `${ENV}` is expanded."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "alerting:\n  email: {host: 127.0.0.1, port: 2525, from: a@example.org,"
        ' to: [b@example.org], user: lp, password: "${SMTP_PASS}"}\n'
    )
    monkeypatch.setenv("SMTP_PASS", "s3cret-value")
    email = load_alerting_config(cfg).settings.email
    assert email is not None and email.password is not None
    assert email.password.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(email)
    monkeypatch.delenv("SMTP_PASS")
    with pytest.raises(Exception) as err:
        load_alerting_config(cfg)
    assert "SMTP_PASS" in str(err.value) and "c.yaml:2" in str(err.value)


def test_the_daemon_takes_the_section_the_loader_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One parse: the loaded config's `alerting:` gives the same rules as reading the section
    alone, its errors keep their file:line, and the file is not read a second time."""
    from lanpulse.alerts import configsrc
    from lanpulse.config.loader import load_config
    from lanpulse.core.errors import ConfigError

    path = write(tmp_path, config=CONFIG + "devices: []\n", rules=OFFICE.replace("30s", "45s"))
    loaded = load_config(path)
    monkeypatch.setattr(configsrc, "load_yaml", None)  # a second read of the file would fail
    cfg = configsrc.alerting_config_of(loaded)
    monkeypatch.undo()
    alone = load_alerting_config(path)
    assert cfg.settings == alone.settings == loaded.settings.alerting
    assert [r.name for r in cfg.rules.rules] == [r.name for r in alone.rules.rules]
    down = cfg.rules.by_name("device_down")
    assert down is not None and down.for_s == 45

    missing = CONFIG.replace("rules/office.yaml", "rules/nope.yaml") + "devices: []\n"
    (tmp_path / "lanpulse.yaml").write_text(missing)
    with pytest.raises(ConfigError) as caught:
        configsrc.alerting_config_of(load_config(path))
    assert caught.value.one_line().startswith(f"{path}:2: alerting.rules_files[0]:")
