"""What makes an alert itself: its rule and the tags that name its series."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

SeriesKey = tuple[tuple[str, str], ...]
# Tags that describe a device rather than name a series. They appear or change between polls
# of the same device (`vendor` and `model` once it answered, `class` once its profile is
# known: a device down since the daemon started has neither), so they are not part of an
# alert's identity; otherwise its down alert would never see the `up=1` that resolves it.
# The fit and its quality of a predictive rule's samples describe it too (they change with
# every evaluation).
DESCRIPTIVE_TAGS = frozenset({"class", "vendor", "model", "fit", "fit_r2"})


def alert_id(labels: Mapping[str, str]) -> str:
    """A short stable id of an alert (rule + series) from its labels, for people and APIs
    (the `alert_id` tag, silences' acks, PagerDuty's dedup_key)."""
    key = "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in DESCRIPTIVE_TAGS)
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]


def series_key(tags: Mapping[str, str]) -> SeriesKey:
    """The identity of a series within a rule: its tags minus the descriptive ones."""
    return tuple(sorted((k, v) for k, v in tags.items() if k not in DESCRIPTIVE_TAGS))
