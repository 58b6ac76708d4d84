"""Named receivers and the routing tree (Alertmanager's semantics), through
`lanpulse alerts routes` as a person would ask, and the matcher text codec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.alerts.configsrc import load_alerting_config
from lanpulse.alerts.silences import Matcher, parse_matcher
from lanpulse.alerts.wiring import build_tree, receivers_for
from tests._daemon import ROOT

CONFIG = """\
alerting:
  receivers:
    - {name: am, alertmanager: {url: "http://127.0.0.1:9"}}
    - {name: service-desk, email: {host: 127.0.0.1, port: 9, from: a@b.c, to: [desk@b.c]}}
    - name: network-ops
      pagerduty: {routing_key: abc, url: "http://127.0.0.1:9/v2/enqueue"}
      slack: {url: "http://127.0.0.1:9/slack"}
    - {name: storage-team, webhook: {url: "http://127.0.0.1:9/hook"}}
    - {name: fallback, webhook: {url: "http://127.0.0.1:9/other"}}
  route:
    receiver: fallback
    group_by: [alertname, site]
    group_wait: 10s
    repeat_interval: 2h
    routes:
      - {matchers: [class=printer], receiver: service-desk, group_wait: 1m}
      - {matchers: [class=switch], receiver: network-ops, continue: true}
      - match_re: {site: "hq|branch"}
        receiver: storage-team
        routes:
          - {match: {severity: [critical, warning]}, repeat_interval: 30m}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("class=printer,site=hq", "am,service-desk"),
        ("class=switch,site=hq", "am,network-ops,storage-team"),
        ("class=switch,site=lab", "am,network-ops"),
        ("class=ups,site=branch", "am,storage-team"),
        ("class=ups,site=lab", "am,fallback"),
    ],
)
def test_alerts_routes_prints_the_receivers(config: Path, labels: str, expected: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lanpulse",
            "alerts",
            "routes",
            "-c",
            str(config),
            "--labels",
            labels,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_tree_inherits_timings_and_expands_multi_kind_receivers(config: Path) -> None:
    settings = load_alerting_config(config).settings
    tree = build_tree(settings)
    assert tree is not None
    printer, switch, storage = tree.children
    assert printer.route.group_wait_s == 60 and printer.route.repeat_interval_s == 7200
    assert printer.route.group_by == ("alertname", "site")
    assert sorted(switch.route.receivers) == ["network-ops/pagerduty", "network-ops/slack"]
    (severe,) = storage.children
    assert severe.route.receivers == ("storage-team",)  # inherited
    assert severe.route.repeat_interval_s == 1800 and severe.route.group_wait_s == 10
    # The deepest matching node handles the alert (with its own repeat interval).
    labels = {"site": "hq", "severity": "critical", "class": "ups"}
    assert [r.repeat_interval_s for r in tree.match(labels)] == [1800]
    assert receivers_for(settings, {"site": "hq", "class": "ups"}) == ["am", "storage-team"]


def test_a_route_naming_an_unknown_receiver_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CONFIG.replace("receiver: storage-team", "receiver: storage"))
    done = subprocess.run(
        [sys.executable, "-m", "lanpulse", "alerts", "check", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "route.routes[2].receiver: 'storage' is not configured" in line


_LABEL = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
_VALUE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",\"'"),
    max_size=20,
).map(str.strip)


@given(_LABEL, _VALUE, st.booleans())
def test_matcher_text_round_trips(name: str, value: str, equal: bool) -> None:
    matcher = Matcher("alertname" if name == "rule" else name, value, False, equal)
    assert parse_matcher(matcher.text()) == matcher
    labels = {matcher.name: value}
    assert matcher.matches(labels) is equal
