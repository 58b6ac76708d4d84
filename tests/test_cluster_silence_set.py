"""The poller group's silence set: merges by id in any order, any number of times."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.alerts.silences import Ack, Matcher, Silence, SilenceBook
from lanpulse.cluster.silence_set import (
    SilenceSet,
    changes,
    decode,
    into_book,
    merge,
    pruned,
)

DAY = 86400 * 10**9
IDS = st.sampled_from(["s1", "s2", "s3"])
ALERTS = st.sampled_from(["a1", "a2", "a3"])
TIMES = st.integers(0, 10)


@st.composite
def silences(draw: st.DrawFn) -> Silence:
    sid = draw(IDS)
    # Copies of one silence share everything but their end and mirror state (as members'
    # copies do); the strategy also makes conflicting copies, which must merge the same.
    return Silence(
        sid,
        (Matcher("device", draw(st.sampled_from(["x", "y"]))),),
        starts_ns=draw(st.sampled_from([0, 1])),
        ends_ns=draw(st.integers(2, 20)),
        created_by=draw(st.sampled_from(["alice", "bob"])),
        alertmanager_id=draw(st.sampled_from([None, "", "am-1", "am-2"])),
    )


@st.composite
def sets(draw: st.DrawFn) -> SilenceSet:
    return SilenceSet(
        {s.id: s for s in draw(st.lists(silences(), max_size=3))},
        {
            a: Ack(a, draw(st.sampled_from(["alice", "bob"])), draw(TIMES))
            for a in draw(st.lists(ALERTS, max_size=3))
        },
        {a: (draw(TIMES), draw(TIMES)) for a in draw(st.lists(ALERTS, max_size=2))},
    )


@settings(max_examples=150, deadline=None)
@given(sets(), sets(), sets())
def test_merge_is_commutative_associative_and_idempotent(
    a: SilenceSet, b: SilenceSet, c: SilenceSet
) -> None:
    assert merge(a, b) == merge(b, a)
    assert merge(merge(a, b), c) == merge(a, merge(b, c))
    ab = merge(a, b)
    assert merge(ab, ab) == ab
    assert merge(ab, a) == ab  # a member writing the same change twice changes nothing


@settings(max_examples=100, deadline=None)
@given(sets())
def test_the_znode_bytes_round_trip(s: SilenceSet) -> None:
    s = merge(s, SilenceSet())  # as written: acks released already dropped
    assert decode(s.encode()) == s


def test_an_expiry_and_a_mirror_id_made_on_two_members_both_stand() -> None:
    made = Silence("s1", (Matcher("device", "x"),), 0, 100, "alice")
    expired = SilenceSet({"s1": Silence("s1", made.matchers, 0, 50, "alice")})
    mirrored = SilenceSet({"s1": Silence("s1", made.matchers, 0, 100, "alice", "", "am-7")})
    both = merge(expired, mirrored).silences["s1"]
    assert (both.ends_ns, both.alertmanager_id) == (50, "am-7")


def test_a_released_ack_stays_released_but_a_newer_one_stands() -> None:
    group = SilenceSet(acks={"a1": Ack("a1", "alice", 5)})
    book = SilenceBook(acks={"a1": Ack("a1", "alice", 5)})
    into_book(book, group)
    book.release("a1")  # the alert resolved on the member polling it
    release = changes(book, group, now_ns=9)
    assert release.released == {"a1": (5, 9)}
    after = merge(group, release)
    assert "a1" not in after.acks
    assert merge(after, SilenceSet(acks={"a1": Ack("a1", "bob", 5)})).acks == {}  # stale copy
    newer = merge(after, SilenceSet(acks={"a1": Ack("a1", "bob", 12)}))  # fired again
    assert newer.acks["a1"].by == "bob"


def test_pruned_forgets_what_ended_a_day_ago() -> None:
    old = Silence("old", (Matcher("device", "x"),), 0, 10, "alice")
    new = Silence("new", (Matcher("device", "x"),), 0, DAY + 10, "alice")
    s = SilenceSet({"old": old, "new": new}, {}, {"a1": (1, 5), "a2": (1, DAY + 5)})
    left = pruned(s, now_ns=DAY + 20)
    assert set(left.silences) == {"new"} and set(left.released) == {"a2"}


def test_an_unreadable_znode_is_an_empty_set() -> None:
    assert decode(b"not json").empty() and decode(None).empty() and decode(b"[1]").empty()
    bad = decode(b'{"silences": [{"id": 1}], "released": {"a1": "x"}}')
    assert bad.empty()
