"""What people change at run time (silences, acknowledgements) and what they look at (the
active alerts), as JSON-ready data for the daemon's `/api/v1` and the status page.

Every change is logged with who made it (the API token's name) and what it was; the
`alert` measurement is re-marked at once (`muted`, `acked`), and a configured Alertmanager
gets the same silence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple

from lanpulse.alerts.engine import FIRING, PENDING, AlertEngine
from lanpulse.alerts.identity import alert_id
from lanpulse.alerts.mirror import AlertmanagerSilences, mirror_book
from lanpulse.alerts.notifiers.base import rfc3339
from lanpulse.alerts.service import AlertingService
from lanpulse.alerts.silences import Matcher, Silence, SilenceBook
from lanpulse.alerts.template import format_value
from lanpulse.core.model import Sample, now_ns

log = logging.getLogger(__name__)


class FiringAlert(NamedTuple):
    """What an acknowledgement's reference is matched against: one firing alert."""

    id: str
    rule: str
    device: str | None


class ElsewhereUnavailable(Exception):
    """The alerts held elsewhere (a poller group's other members) cannot be read now."""


def names(ref: str, alert: FiringAlert) -> bool:
    """Whether an acknowledgement's `ref` names `alert`: its alert id or a prefix of it, or
    `RULE/DEVICE` (every firing series of that rule on that device)."""
    rule, _, device = ref.partition("/")
    named = bool(device) and alert.rule == rule and alert.device == device
    return named or alert.id.startswith(ref)


def firing(engine: AlertEngine) -> list[FiringAlert]:
    """The firing alerts of `engine`."""
    out = []
    for st in engine.alerts.values():
        if st.state == FIRING:
            labels = engine.labels(st)
            out.append(FiringAlert(alert_id(labels), st.cr.name, labels.get("device")))
    return out


def silence_json(s: Silence, now: int) -> dict[str, Any]:
    """A silence for the API (Alertmanager's field names where they exist)."""
    state = "active" if s.active(now) else ("pending" if now < s.starts_ns else "expired")
    return {
        "id": s.id,
        "matchers": [m.to_api() for m in s.matchers],
        "matchersText": ",".join(m.text() for m in s.matchers),
        "startsAt": rfc3339(s.starts_ns),
        "endsAt": rfc3339(s.ends_ns),
        "createdBy": s.created_by,
        "comment": s.comment,
        "status": {"state": state},
        "alertmanagerId": s.alertmanager_id,
    }


class AlertController:
    """Silences, acknowledgements and the alert list over the current alerting service."""

    def __init__(
        self,
        current: Callable[[], AlertingService],
        forward: Callable[[Sequence[Sample]], None],
        mirror: Callable[[], AlertmanagerSilences | None] = lambda: None,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.current = current
        self.forward = forward
        self.mirror = mirror
        self.clock = clock
        # The firing alerts other processes hold, for an acknowledgement that names none
        # here: a poller group's other members (cluster/zk.py sets it). Raises
        # ElsewhereUnavailable when they cannot be read.
        self.elsewhere: Callable[[], Awaitable[list[FiringAlert]]] | None = None

    async def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts, with who muted or acknowledged them."""
        service = self.current()
        engine = service.engine
        now = self.clock()
        out = []
        for st in engine.alerts.values():
            if st.state not in (PENDING, FIRING):
                continue
            labels = engine.labels(st)
            aid = alert_id(labels)
            ack = service.book.acks.get(aid)
            silence = service.book.silencing(labels, now)
            out.append(
                {
                    "id": aid,
                    "rule": st.cr.name,
                    "severity": st.cr.rule.severity,
                    "state": "firing" if st.state == FIRING else "pending",
                    "labels": labels,
                    "value": format_value(st.value),
                    "condition": st.cr.rule.describe_condition(),
                    "since": rfc3339(st.since_ns),
                    "flapping": st.flapping,
                    "notified": st.notified_as is not None,
                    "mutedBy": silence.id if silence else None,
                    "ackedBy": ack.by if ack else None,
                }
            )
        return sorted(out, key=alert_order)

    async def silences(self) -> list[dict[str, Any]]:
        """Every silence in force, to come, or ended within the last day."""
        now = self.clock()
        book = self.current().book
        return [silence_json(s, now) for s in sorted(book.silences.values(), key=silence_order)]

    async def add_silence(
        self, matchers: tuple[Matcher, ...], duration_s: float, comment: str, by: str
    ) -> dict[str, Any]:
        """Silence `matchers` from now for `duration_s`; the new silence."""
        now = self.clock()
        service = self.current()
        silence = service.book.add_from_now(matchers, now, duration_s, by, comment)
        self._changed(service, now)
        await self.sync()
        return silence_json(service.book.silences[silence.id], now)

    async def expire_silence(self, silence_id: str, by: str) -> dict[str, Any] | None:
        """End a silence now; None when no silence has that id (or id prefix)."""
        now = self.clock()
        service = self.current()
        ended = service.book.expire(silence_id, now)
        if ended is None:
            return None
        log.info("api: %s expired silence %s", by, ended.id)
        self._changed(service, now)
        await self.sync()
        return silence_json(ended, now)

    async def ack(self, ref: str, comment: str, by: str) -> list[str]:
        """Acknowledge the firing alerts `ref` names (see `names`); their ids. When none is
        here, the ones held elsewhere (`elsewhere`): the acknowledgement goes into this
        book, which a poller group shares, and the member holding the alert adopts it."""
        service = self.current()
        hits = [a.id for a in firing(service.engine) if names(ref, a)]
        where = ""
        if not hits and self.elsewhere is not None:
            hits = sorted({a.id for a in await self.elsewhere() if names(ref, a)})
            where = " held by another member"
        if not hits:
            return []
        service = self.current()  # the same book, also if a reload came during the await
        now = self.clock()
        for aid in hits:
            service.book.ack(aid, by, now, comment)
        log.info(
            "api: %s acknowledged %s (%s)%s: %s",
            by,
            ref,
            ", ".join(hits),
            where,
            comment or "no comment",
        )
        self._changed(service, now)
        return hits

    async def retry_dead_letters(self, by: str) -> int:
        """Queue every dead-lettered notification again (`lanpulse alerts retry`)."""
        count = self.current().dispatcher.retry_dead()
        log.info("api: %s queued %d dead-lettered notification(s) again", by, count)
        return count

    def _changed(self, service: AlertingService, now: int) -> None:
        self.forward(service.remark(now))
        try:
            service.save_state()
        except OSError as exc:
            log.error("cannot save alert state: %s", exc)

    def book_changed(self) -> None:
        """The book was changed from outside the API (a poller group's shared set,
        `cluster/group_silences.py`): end the acknowledgements of alerts here that are not
        firing, re-mark the alerts and save the state file."""
        service = self.current()
        service.release_unfiring_acks()
        self._changed(service, self.clock())

    async def sync(self) -> None:
        """Mirror new silences to Alertmanager and expire ended ones there (best effort)."""
        mirror = self.mirror()
        if mirror is not None:
            await mirror_book(self.current().book, mirror, self.clock())

    async def adopt_silences(self, snapshot: Mapping[str, Any]) -> int:
        """Replace every silence with `snapshot`'s (`SilenceBook.snapshot`'s shape): a
        supervisor's workers follow the supervisor's book. Acknowledgements stay."""
        service = self.current()
        fresh = SilenceBook()
        fresh.restore({"silences": snapshot.get("silences", [])})
        service.book.silences = fresh.silences
        self._changed(service, self.clock())
        return len(fresh.silences)


def alert_order(alert: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """How alert lists are sorted: by rule, then labels."""
    return (alert["rule"], sorted(alert["labels"].items()))


def silence_order(s: Silence) -> int:
    """How silence lists are sorted: by end, the one ending last at the bottom."""
    return s.ends_ns
