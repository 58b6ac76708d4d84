"""The alert state that moves with a device between members (pure: an engine in memory;
the ZooKeeper side is tested against a real server in test_cluster_zookeeper.py)."""

from __future__ import annotations

from lanpulse.alerts.engine import FIRING, AlertEngine
from lanpulse.alerts.records import notifiable
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.cluster.state import active_alerts, adopt, forget
from lanpulse.core.model import Sample

RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 0s, severity: critical}
"""
S = 1_000_000_000


def engine() -> AlertEngine:
    return AlertEngine(load_rules(parse_yaml(RULES, "rules.yaml")))


def down(device: str, t: int) -> Sample:
    return Sample("device", {"device": device}, {"up": 0}, t)


def test_a_firing_alert_moves_without_a_second_page() -> None:
    giver, taker = engine(), engine()
    events = giver.observe([down("sw1", 1 * S), down("sw2", 1 * S)], 1 * S)
    assert len(notifiable(events)) == 2
    entries = active_alerts(giver, {"sw1"})
    assert [e["tags"]["device"] for e in entries] == ["sw1"]
    assert entries[0]["notified_as"] == "firing"
    assert forget(giver, {"sw1"}) == 1
    assert {st.tags["device"] for st in giver.alerts.values()} == {"sw2"}
    assert adopt(taker, entries, {"sw1"}, 2 * S) == 1
    later = taker.observe([down("sw1", 3 * S)], 3 * S) + taker.tick(4 * S)
    assert notifiable(later) == []
    assert next(iter(taker.alerts.values())).state == FIRING


def test_the_newest_entry_of_a_device_wins_and_others_are_ignored() -> None:
    giver = engine()
    giver.observe([down("sw1", 1 * S)], 1 * S)
    (entry,) = active_alerts(giver, {"sw1"})
    stale = {**entry, "notified_as": None, "last_seen_ns": 0}
    taker = engine()
    assert adopt(taker, [stale, entry], {"sw1"}, 2 * S) == 1
    assert next(iter(taker.alerts.values())).notified_as == "firing"
    assert adopt(engine(), [entry], {"other"}, 2 * S) == 0


def test_published_entries_name_their_firing_alerts_by_id() -> None:
    from lanpulse.alerts.control import FiringAlert, firing
    from lanpulse.alerts.store import restore, snapshot
    from lanpulse.cluster.state import AlertIds, firing_alerts

    member = engine()
    member.observe([down("sw1", 1 * S), down("sw2", 1 * S)], 1 * S)
    ids = AlertIds()
    entries = active_alerts(member, {"sw1", "sw2"}, ids)
    # What another member matches an acknowledgement against: the owner's own view.
    assert sorted(firing_alerts([*entries, *entries])) == sorted(firing(member))
    assert {a.device for a in firing_alerts(entries)} == {"sw1", "sw2"}
    assert active_alerts(member, {"sw1", "sw2"}, ids) == entries  # remembered: the same
    # A reload (new rules, new states) with a label added changes the id; it is recomputed.
    relabelled = AlertEngine(
        load_rules(parse_yaml(RULES.replace("for: 0s,", "for: 0s, labels: {team: net},"), "r"))
    )
    restore(relabelled, snapshot(member), 2 * S)
    after = firing_alerts(active_alerts(relabelled, {"sw1"}, ids))
    assert after == [a for a in firing(relabelled) if a.device == "sw1"]
    assert after != [a for a in firing(member) if a.device == "sw1"]
    assert firing_alerts([{**entries[0], "state": "pending"}]) == []
    assert isinstance(after[0], FiringAlert)
