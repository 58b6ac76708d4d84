"""The Notifier protocol and what notifiers share: HTTP POST of JSON, message text."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent


class Notifier(Protocol):
    """Delivers batches of alert events somewhere people (or Alertmanager) see them.

    A Grafana-annotation notifier fits this protocol too: `send` posts one annotation per
    event.
    """

    name: str

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """Deliver `events` (one group); raise SinkError when that failed."""
        ...


def rfc3339(ns: int) -> str:
    """Nanoseconds since the epoch as RFC 3339 UTC with milliseconds."""
    dt = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float, what: str) -> None:
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("User-Agent", "lanpulse")
    for key, value in headers.items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        # Never echo the URL: for Slack and Teams the URL is the credential.
        retryable = exc.code >= 500 or exc.code in (408, 429)
        after = exc.headers.get("Retry-After") if exc.headers else None
        raise SinkError(
            f"{what}: HTTP {exc.code} {exc.reason}",
            retryable=retryable,
            retry_after=float(after) if after and after.isdigit() else None,
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(f"{what}: cannot connect ({reason})", retryable=True) from None


async def post_json(
    url: str,
    payload: object,
    *,
    what: str,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> None:
    """POST `payload` as JSON without blocking the event loop; SinkError on failure."""
    body = json.dumps(payload).encode("utf-8")
    await asyncio.to_thread(_post, url, body, headers or {}, timeout, what)


def status_of(event: AlertEvent) -> str:
    """`firing` or `resolved` (a flapping alert is shown as firing, and says so)."""
    return "resolved" if event.state in ("resolved", "inactive") else "firing"


def title(events: Sequence[AlertEvent]) -> str:
    """A one-line title for a group: `[FIRING:2] device_down sw1, sw2`."""
    firing = [e for e in events if status_of(e) == "firing"]
    resolved = len(events) - len(firing)
    parts = []
    if firing:
        parts.append(f"[FIRING:{len(firing)}]")
    if resolved:
        parts.append(f"[RESOLVED:{resolved}]")
    rules = sorted({e.rule for e in events})
    devices = sorted({e.labels.get("device", "") for e in events} - {""})
    shown = ", ".join(devices[:3]) + (f" (+{len(devices) - 3})" if len(devices) > 3 else "")
    return f"{' '.join(parts)} {', '.join(rules)} {shown}".strip()


# The facts shown with every alert, in this order (labels first, then the page's notes).
FACT_KEYS = (
    "device",
    "address",
    "class",
    "model",
    "location",
    "contact",
    "site",
    "group",
    "value",
    "threshold",
    "began",
    "duration",
    "ended",
)
LINK_KEYS = (("grafana_url", "Grafana"), ("status_url", "Status page"), ("runbook_url", "Runbook"))


def facts(event: AlertEvent) -> list[tuple[str, str]]:
    """(name, value) of what a person needs to act, present ones only, in FACT_KEYS order."""
    known = {**{k: v for k, v in event.labels.items() if v}, **event.annotations}
    return [(key, known[key]) for key in FACT_KEYS if known.get(key)]


def fields(event: AlertEvent) -> list[tuple[str, str]]:
    """The facts, then every other label (supply, if_name, ...): what chat cards show."""
    rest = [
        (k, v)
        for k, v in sorted(event.labels.items())
        if v and k not in FACT_KEYS and k not in ("alertname", "severity")
    ]
    return facts(event) + rest


def links(event: AlertEvent) -> list[tuple[str, str]]:
    """(text, url) of the event's links."""
    return [(text, event.annotations[k]) for k, text in LINK_KEYS if event.annotations.get(k)]


def generator_url(event: AlertEvent) -> str:
    """Where the alert comes from, for Alertmanager's `generatorURL`: the device's Grafana
    dashboard at that time, else the daemon's status page ('' when neither is configured)."""
    return event.annotations.get("grafana_url") or event.annotations.get("status_url", "")


def line(event: AlertEvent) -> str:
    """One line per alert: state, severity, summary, and since when (or how long it lasted)."""
    notes = event.annotations
    if status_of(event) == "resolved":
        # Not the firing summary again ("... does not answer" in a RESOLVED mail).
        lasted = f" after {notes['duration']}" if notes.get("duration") else ""
        device = event.labels.get("device")
        text = f"RESOLVED{lasted}: {event.rule}" + (f" on {device}" if device else "")
        if notes.get("value") and notes.get("field"):
            text += f" ({notes['field']} now {notes['value']})"
        return text
    state = "FLAPPING" if event.state == "flapping" else "FIRING"
    since = notes.get("began") or rfc3339(event.started_ns)
    text = f"{state} {event.severity}: {event.summary} (since {since}"
    if notes.get("duration"):
        text += f", {notes['duration']}"
    return text + ")"


def body_text(events: Sequence[AlertEvent]) -> str:
    """A plain-text body: one block per alert with summary, description, facts and links."""
    blocks = []
    for e in events:
        block = line(e)
        if e.description and status_of(e) == "firing":
            block += f"\n  {e.description}"
        block += "".join(f"\n  {name}: {value}" for name, value in facts(e))
        block += "".join(f"\n  {text}: {url}" for text, url in links(e))
        others = ", ".join(
            f"{k}={v}" for k, v in sorted(e.labels.items()) if k not in FACT_KEYS and v
        )
        block += f"\n  labels: {others}"
        blocks.append(block)
    return "\n\n".join(blocks) + "\n"
