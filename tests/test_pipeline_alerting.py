"""The alert engine fed the way the poller feeds it (injected clock, no I/O).

A device that is down when the daemon starts has no profile yet: its `device` samples say
`class=other` and carry no vendor or model. When it answers again they do. Its down alert
must still resolve: descriptive tags are not part of an alert's identity.
"""

from __future__ import annotations

from lanpulse.alerts.engine import FIRING, AlertEngine, EngineOptions
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.core.model import Sample

S = 1_000_000_000
T0 = 1_800_000_000 * S
RULES = """
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 30s, severity: critical}
"""


def device(up: int, t: int, **tags: str) -> Sample:
    return Sample("device", {"device": "nas", **tags}, {"up": up}, t)


def test_down_since_start_resolves_when_the_device_answers_with_its_profile_tags() -> None:
    engine = AlertEngine(
        load_rules(parse_yaml(RULES, "r.yaml")), options=EngineOptions(dependency_wait_s=0)
    )
    engine.observe([device(0, T0, **{"class": "other"})], T0)
    events = engine.observe([device(0, T0 + 31 * S, **{"class": "other"})], T0 + 31 * S)
    assert [e.state for e in events] == ["firing"]
    back = device(1, T0 + 60 * S, **{"class": "storage", "vendor": "Synology", "model": "DS214se"})
    events = engine.observe([back], T0 + 60 * S)
    assert [e.state for e in events] == ["resolved"]
    assert events[0].labels["device"] == "nas"
    assert not any(a.state == FIRING for a in engine.alerts.values())
