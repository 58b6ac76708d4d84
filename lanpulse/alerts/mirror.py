"""lanpulse's silences mirrored to Alertmanager (API v2), so both agree on what is muted.

Best effort and never blocking: a silence set while Alertmanager is down is mirrored on the
next attempt (every state checkpoint and every change); lanpulse's own silence is in force
meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request

from lanpulse.alerts.notifiers.alertmanager import label_name
from lanpulse.alerts.notifiers.base import rfc3339
from lanpulse.alerts.silences import Silence, SilenceBook
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.errors import SinkError

log = logging.getLogger(__name__)


class AlertmanagerSilences:
    """Creates and expires silences at one Alertmanager."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.base = url.rstrip("/") + "/api/v2"
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: object | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                text = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode(errors="replace").strip()
            raise SinkError(
                f"alertmanager silences: HTTP {exc.code} {detail}", retryable=exc.code >= 500
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SinkError(
                f"alertmanager silences: cannot connect ({reason})", retryable=True
            ) from None
        return json.loads(text) if text else None

    async def create(self, silence: Silence) -> str:
        """Post `silence`; Alertmanager's id of it."""
        body = {
            "matchers": [{**m.to_api(), "name": label_name(m.name)} for m in silence.matchers],
            "startsAt": rfc3339(silence.starts_ns),
            "endsAt": rfc3339(silence.ends_ns),
            "createdBy": f"lanpulse:{silence.created_by}",
            "comment": silence.comment or f"lanpulse silence {silence.id}",
        }
        answer = await asyncio.to_thread(self._call, "POST", "/silences", body)
        if not isinstance(answer, dict) or not isinstance(answer.get("silenceID"), str):
            raise SinkError(
                "alertmanager silences: unexpected answer to POST /silences", retryable=True
            )
        return str(answer["silenceID"])

    async def expire(self, alertmanager_id: str) -> None:
        """Expire a mirrored silence (already gone counts as done)."""
        try:
            await asyncio.to_thread(self._call, "DELETE", f"/silence/{alertmanager_id}")
        except SinkError as exc:
            if "HTTP 404" not in str(exc):
                raise


def silence_mirror(settings: AlertingSettings) -> AlertmanagerSilences | None:
    """The first Alertmanager receiver holds the mirrored silences (None: no mirror)."""
    ams = [r.alertmanager for r in settings.named() if r.alertmanager is not None]
    return AlertmanagerSilences(ams[0].url, ams[0].timeout) if ams else None


async def mirror_book(book: SilenceBook, mirror: AlertmanagerSilences, now_ns: int) -> None:
    """Mirror `book`'s new silences to Alertmanager and expire its ended ones there (best
    effort: what fails is tried again at the next call)."""
    for s in list(book.silences.values()):
        try:
            if s.alertmanager_id is None and s.active(now_ns):
                book.mirrored(s.id, await mirror.create(s))
            elif s.alertmanager_id and not s.active(now_ns):
                await mirror.expire(s.alertmanager_id)
                book.mirrored(s.id, "")
        except SinkError as exc:
            log.warning("silence %s not mirrored yet: %s", s.id, exc)
            return
