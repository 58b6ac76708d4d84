"""Silences and acknowledgements, set at run time through the daemon's API.

A silence is Alertmanager's: label matchers (`=`, `!=`, `=~`, `!~`, regexes anchored) and a
time range; a matching alert is evaluated and recorded (`muted` in the `alert` measurement)
but nothing is sent for it. An acknowledgement names one alert: it was notified, a person is
on it, so no repeats until it resolves. Both are kept with the alert state (they survive a
restart) and carry who set them (the API token's name).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# The matcher grammar is core's (config validates routes with it too); re-exported here.
from lanpulse.core.matchers import (
    LABEL_ALIASES as LABEL_ALIASES,
)
from lanpulse.core.matchers import Matcher as Matcher
from lanpulse.core.matchers import matcher_from_api as matcher_from_api
from lanpulse.core.matchers import parse_matcher as parse_matcher
from lanpulse.core.matchers import parse_matchers as parse_matchers

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Silence:
    """Matchers muted from `starts_ns` until `ends_ns`."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_ns: int
    ends_ns: int
    created_by: str
    comment: str = ""
    alertmanager_id: str | None = None  # the mirror's id, once Alertmanager took it

    def active(self, now_ns: int) -> bool:
        """Whether it mutes alerts at `now_ns`."""
        return self.starts_ns <= now_ns < self.ends_ns

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher matches `labels`."""
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Ack:
    """Someone is on this alert: no repeats until it resolves."""

    alert_id: str
    by: str
    at_ns: int
    comment: str = ""


@dataclass(slots=True)
class SilenceBook:
    """The silences and acknowledgements in force; saved with the alert state."""

    silences: dict[str, Silence] = field(default_factory=dict)
    acks: dict[str, Ack] = field(default_factory=dict)

    def add(
        self,
        matchers: tuple[Matcher, ...],
        *,
        starts_ns: int,
        ends_ns: int,
        created_by: str,
        comment: str = "",
    ) -> Silence:
        """A new silence (a fresh id)."""
        if ends_ns <= starts_ns:
            raise ValueError("a silence must end after it starts")
        silence = Silence(
            str(uuid.uuid4()), tuple(matchers), starts_ns, ends_ns, created_by, comment
        )
        self.silences[silence.id] = silence
        return silence

    def add_from_now(
        self, matchers: tuple[Matcher, ...], now_ns: int, duration_s: float, by: str, comment: str
    ) -> Silence:
        """A silence made through the API (one process or a supervisor): from now for
        `duration_s`, logged with the name of the token that made it."""
        silence = self.add(
            matchers,
            starts_ns=now_ns,
            ends_ns=now_ns + int(duration_s * 1_000_000_000),
            created_by=by,
            comment=comment,
        )
        log.info(
            "api: %s added silence %s (%s) for %gs: %s",
            by,
            silence.id,
            ",".join(m.text() for m in matchers),
            duration_s,
            comment or "no comment",
        )
        return silence

    def expire(self, silence_id: str, now_ns: int) -> Silence | None:
        """End a silence now; the expired silence, or None when the id is unknown."""
        silence = self.silences.get(silence_id)
        if silence is None:
            matches = [s for s in self.silences.values() if s.id.startswith(silence_id)]
            if len(matches) != 1:
                return None
            silence = matches[0]
        ended = replace(silence, ends_ns=min(silence.ends_ns, now_ns))
        self.silences[silence.id] = ended
        return ended

    def mirrored(self, silence_id: str, alertmanager_id: str) -> None:
        """Note Alertmanager's id of a mirrored silence."""
        silence = self.silences.get(silence_id)
        if silence is not None:
            self.silences[silence_id] = replace(silence, alertmanager_id=alertmanager_id)

    def silencing(self, labels: Mapping[str, str], now_ns: int) -> Silence | None:
        """The first active silence matching `labels`, if any."""
        for silence in self.silences.values():
            if silence.active(now_ns) and silence.matches(labels):
                return silence
        return None

    def prune(self, now_ns: int, keep_s: float = 86400.0) -> None:
        """Forget silences that ended more than `keep_s` ago (`silence list` shows a day)."""
        cutoff = now_ns - int(keep_s * 1e9)
        for sid in [s.id for s in self.silences.values() if s.ends_ns < cutoff]:
            del self.silences[sid]

    def ack(self, alert_id: str, by: str, now_ns: int, comment: str = "") -> Ack:
        """Acknowledge one alert."""
        ack = self.acks[alert_id] = Ack(alert_id, by, now_ns, comment)
        return ack

    def release(self, alert_id: str) -> None:
        """The alert resolved: its acknowledgement ends with it."""
        self.acks.pop(alert_id, None)

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready data for the state file."""
        return {
            "silences": [
                {
                    "id": s.id,
                    "matchers": [m.to_api() for m in s.matchers],
                    "starts_ns": s.starts_ns,
                    "ends_ns": s.ends_ns,
                    "created_by": s.created_by,
                    "comment": s.comment,
                    "alertmanager_id": s.alertmanager_id,
                }
                for s in self.silences.values()
            ],
            "acks": [
                {"alert_id": a.alert_id, "by": a.by, "at_ns": a.at_ns, "comment": a.comment}
                for a in self.acks.values()
            ],
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load a snapshot (entries that do not parse are skipped)."""
        for item in data.get("silences", []):
            try:
                matchers = tuple(matcher_from_api(m) for m in item["matchers"])
                silence = Silence(
                    str(item["id"]),
                    matchers,
                    int(item["starts_ns"]),
                    int(item["ends_ns"]),
                    str(item.get("created_by", "")),
                    str(item.get("comment", "")),
                    item.get("alertmanager_id"),
                )
            except (KeyError, TypeError, ValueError):
                continue
            self.silences[silence.id] = silence
        for item in data.get("acks", []):
            try:
                ack = Ack(str(item["alert_id"]), str(item["by"]), int(item["at_ns"]))
            except (KeyError, TypeError, ValueError):
                continue
            self.acks[ack.alert_id] = replace(ack, comment=str(item.get("comment", "")))
