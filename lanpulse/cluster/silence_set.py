"""A poller group's silences and acknowledgements as one mergeable set (the znode's content).

Members change the set concurrently and some of them while ZooKeeper is away, so two sets
are merged entry by entry, by id, with a rule that gives the same result in any order and
any number of times (commutative, associative, idempotent):

- a silence keeps its id for life; only its end can move, and only earlier (expire), so
  the earliest end wins; its Alertmanager id goes from none to an id to "" (expired
  there), and the furthest state wins;
- an acknowledgement is per alert id, the newest wins; one that ended (its alert resolved)
  leaves a `released` mark with the time of the acknowledgement it ended and when, so a
  member that still holds that acknowledgement cannot bring it back, while a newer one (the
  alert fired again and someone acknowledged it) stands.

Nothing else is ever removed by a merge; `pruned` forgets what ended more than a day ago
(silences are listed for a day; release marks are kept as long).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lanpulse.alerts.silences import Ack, Silence, SilenceBook

KEEP_S = 86400.0


@dataclass(frozen=True, slots=True)
class SilenceSet:
    """Silences by id, acknowledgements by alert id, and release marks by alert id
    (alert id -> (at_ns of the acknowledgement released, when it was released))."""

    silences: Mapping[str, Silence] = field(default_factory=dict)
    acks: Mapping[str, Ack] = field(default_factory=dict)
    released: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def empty(self) -> bool:
        """Nothing in it (a member with no change to write)."""
        return not (self.silences or self.acks or self.released)

    def encode(self) -> bytes:
        """The znode's bytes (sorted: equal sets give equal bytes)."""
        book = SilenceBook(dict(self.silences), dict(self.acks))
        data: dict[str, Any] = book.snapshot()
        data["silences"].sort(key=lambda s: s["id"])
        data["acks"].sort(key=lambda a: a["alert_id"])
        data["released"] = {k: list(v) for k, v in sorted(self.released.items())}
        return json.dumps(data, sort_keys=True).encode()


def decode(raw: bytes | None) -> SilenceSet:
    """A znode's bytes as a set; entries that do not parse are skipped (an empty or
    unreadable znode is an empty set, never an error)."""
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return SilenceSet()
    if not isinstance(data, dict):
        return SilenceSet()
    book = SilenceBook()
    book.restore(data)
    released: dict[str, tuple[int, int]] = {}
    marks = data.get("released")
    for aid, mark in (marks if isinstance(marks, dict) else {}).items():
        try:
            released[str(aid)] = (int(mark[0]), int(mark[1]))
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return SilenceSet(book.silences, book.acks, released)


def _am_rank(am_id: str | None) -> tuple[int, str]:
    # None (not mirrored) < an id (mirrored) < "" (expired there); two ids: the larger.
    if am_id is None:
        return (0, "")
    return (2, "") if am_id == "" else (1, am_id)


def _identity(s: Silence) -> tuple[Any, ...]:
    # Equal for copies of one silence; a total order otherwise, so a pick is the same
    # whichever member merges (ids are uuid4s: different silences never share one).
    matchers = tuple((m.name, m.value, m.is_regex, m.is_equal) for m in s.matchers)
    return (s.starts_ns, s.created_by, s.comment, matchers)


def join_silence(a: Silence, b: Silence) -> Silence:
    """Two copies of one silence: the earliest end, the furthest Alertmanager state."""
    if a == b:
        return a
    base = max(a, b, key=_identity)
    am = max(a.alertmanager_id, b.alertmanager_id, key=_am_rank)
    return replace(base, ends_ns=min(a.ends_ns, b.ends_ns), alertmanager_id=am)


def _ack_order(a: Ack) -> tuple[int, str, str]:
    return (a.at_ns, a.by, a.comment)


def merge(a: SilenceSet, b: SilenceSet) -> SilenceSet:
    """Both sets' entries, joined by id (see the module's rules)."""
    silences = dict(a.silences)
    for sid, s in b.silences.items():
        silences[sid] = join_silence(silences[sid], s) if sid in silences else s
    released = dict(a.released)
    for aid, mark in b.released.items():
        released[aid] = max(released.get(aid, mark), mark)
    acks = dict(a.acks)
    for aid, ack in b.acks.items():
        acks[aid] = max(acks.get(aid, ack), ack, key=_ack_order)
    acks = {k: v for k, v in acks.items() if k not in released or v.at_ns > released[k][0]}
    return SilenceSet(silences, acks, released)


def pruned(s: SilenceSet, now_ns: int, keep_s: float = KEEP_S) -> SilenceSet:
    """Without silences that ended, and release marks made, more than `keep_s` ago."""
    cutoff = now_ns - int(keep_s * 1e9)
    return SilenceSet(
        {k: v for k, v in s.silences.items() if v.ends_ns >= cutoff},
        dict(s.acks),
        {k: v for k, v in s.released.items() if v[1] >= cutoff},
    )


def of_book(book: SilenceBook) -> SilenceSet:
    """A member's book as a set (no release marks: a book forgets released acks)."""
    return SilenceSet(dict(book.silences), dict(book.acks))


def changes(book: SilenceBook, base: SilenceSet, now_ns: int) -> SilenceSet:
    """What `book` changed since it held `base` (the group's set it last adopted): new or
    changed silences and acknowledgements, and a release mark for each acknowledgement of
    `base` the book no longer has. A silence the book pruned is not a change."""
    silences = {k: v for k, v in book.silences.items() if base.silences.get(k) != v}
    acks = {k: v for k, v in book.acks.items() if base.acks.get(k) != v}
    released = {k: (v.at_ns, now_ns) for k, v in base.acks.items() if k not in book.acks}
    return SilenceSet(silences, acks, released)


def into_book(book: SilenceBook, s: SilenceSet) -> bool:
    """Make `book` hold exactly the set's silences and acknowledgements; True if it changed."""
    if book.silences == dict(s.silences) and book.acks == dict(s.acks):
        return False
    book.silences = dict(s.silences)
    book.acks = dict(s.acks)
    return True
