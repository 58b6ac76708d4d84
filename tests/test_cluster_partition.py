"""Rendezvous hashing: stable, moves ~1/N of the keys when a member joins, balanced, and a
parent always shares a member with its children (pure: no components needed)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.cluster.partition import owner, shard, topology_root, worker_names
from lanpulse.core.model import Device

names = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=12)
member_sets = st.lists(names, min_size=1, max_size=8, unique=True)


@given(member_sets, st.lists(names, min_size=1, max_size=50), st.randoms())
def test_owner_does_not_depend_on_member_order(members, keys, rnd):
    shuffled = list(members)
    rnd.shuffle(shuffled)
    assert [owner(k, members) for k in keys] == [owner(k, shuffled) for k in keys]


@given(member_sets, names, st.lists(names, min_size=1, max_size=50))
def test_a_new_member_only_takes_keys(members, new, keys):
    if new in members:
        return
    before = {k: owner(k, members) for k in keys}
    after = {k: owner(k, [*members, new]) for k in keys}
    moved = [k for k in keys if before[k] != after[k]]
    assert all(after[k] == new for k in moved)


@given(member_sets, st.lists(names, min_size=1, max_size=50))
def test_removing_a_member_only_moves_its_keys(members, keys):
    gone = members[0]
    rest = members[1:]
    if not rest:
        return
    for k in keys:
        if owner(k, members) != gone:
            assert owner(k, rest) == owner(k, members)


@settings(max_examples=7, deadline=None)
@given(st.integers(min_value=1, max_value=7))
def test_about_one_in_n_plus_one_moves_and_shares_are_balanced(n):
    keys = [f"dev-{i}" for i in range(4000)]
    members = worker_names(n)
    before = Counter(owner(k, members) for k in keys)
    grown = worker_names(n + 1)
    after = {k: owner(k, grown) for k in keys}
    moved = sum(1 for k in keys if after[k] != owner(k, members))
    expected = len(keys) / (n + 1)
    assert abs(moved - expected) < 0.15 * expected + 40
    share = len(keys) / n
    assert all(abs(count - share) < 0.15 * share + 40 for count in before.values())


def test_children_follow_their_topology_root():
    devices = [Device("core", "127.0.0.1")]
    for i in range(20):
        devices.append(Device(f"access-{i}", "127.0.0.1", parent="core"))
        devices += [Device(f"pc-{i}-{j}", "127.0.0.1", parent=f"access-{i}") for j in range(5)]
    devices += [Device(f"lonely-{i}", "127.0.0.1") for i in range(50)]
    parents = {d.name: d.parent for d in devices}
    assert topology_root("pc-3-2", parents) == "core"
    members = worker_names(3)
    shards = {m: {d.name for d in shard(devices, members, m)} for m in members}
    everything = [name for names_ in shards.values() for name in names_]
    assert sorted(everything) == sorted(d.name for d in devices)  # none lost, none twice
    holder = next(m for m, s in shards.items() if "core" in s)
    assert {f"pc-{i}-{j}" for i in range(20) for j in range(5)} <= shards[holder]
    assert shard(devices, members, "worker-9") == []


def test_capacity_of_the_met_estate_and_the_default_workers():
    from lanpulse.cluster.capacity import estimate
    from lanpulse.cluster.supervisor import resolve_workers
    from lanpulse.core.model import SnmpCredentials

    v2c = SnmpCredentials(version="2c")
    estate = [Device(f"sw{i}", "127.0.0.1", device_class="switch", snmp=v2c) for i in range(500)]
    estate += [Device(f"pr{i}", "127.0.0.1", device_class="printer", snmp=v2c) for i in range(5000)]
    estate += [
        Device(f"pc{i}", "127.0.0.1", device_class="desktop", snmp=v2c) for i in range(20000)
    ]
    cap = estimate(estate)
    assert round(cap.polls_per_s) == 425
    assert 0.99 < cap.cores < 1.0  # (500 x 5.4 + 5,000 x 3.0 + 20,000 x 2.1) ms / 60 s
    assert cap.workers == 2
    assert "425.0 polls/s" in cap.line(2)
    assert resolve_workers(None, estate[:10]) == 1  # a small estate stays one process
    assert resolve_workers(3, estate[:10]) == 3
