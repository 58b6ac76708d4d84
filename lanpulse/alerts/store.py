"""Persisted alert state, so a restart neither re-notifies firing alerts nor forgets timers.

One JSON file, written atomically (temp file in the same directory, fsync, rename), so a
crash mid-write leaves the previous state intact.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from lanpulse.alerts.engine import (
    FIRING,
    INACTIVE,
    PENDING,
    AlertEngine,
    AlertState,
    series_key,
)

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
_STATES = {INACTIVE: "inactive", PENDING: "pending", FIRING: "firing"}
_CODES = {v: k for k, v in _STATES.items()}


def alert_item(st: AlertState) -> dict[str, Any]:
    """One alert as JSON-ready data (what `restore` reads back)."""
    return {
        "rule": st.cr.name,
        "tags": st.tags,
        "state": _STATES[st.state],
        "since_ns": st.since_ns,
        "fired_ns": st.fired_ns,
        "last_seen_ns": st.last_seen_ns,
        "value": st.value,
        "notified_as": st.notified_as,
        "flapping": st.flapping,
        "transitions": st.transitions,
    }


def snapshot(engine: AlertEngine) -> dict[str, Any]:
    """The engine's state as JSON-ready data."""
    alerts = [alert_item(st) for st in engine.alerts.values()]
    absent = [
        {"rule": key[0], "tags": tags, "last_ns": last}
        for key, (last, tags) in engine._absent_seen.items()
    ]
    # Tens of thousands of entries: kept as [rule, [[tag, value], ...]] (tuples encode as is).
    ok = list(engine._ok)
    return {"version": FORMAT_VERSION, "alerts": alerts, "absent": absent, "ok": ok}


def restore(engine: AlertEngine, data: dict[str, Any], now_ns: int) -> int:
    """Load a snapshot into a fresh engine; returns how many alerts were restored.

    Alerts of rules that no longer exist are dropped. Silent series get one fresh `for`
    period: the daemon being down is not the device's absence.
    """
    if data.get("version") != FORMAT_VERSION:
        log.warning(
            "alert state has format %r, expected %r: starting empty",
            data.get("version"),
            FORMAT_VERSION,
        )
        return 0
    compiled = engine._compiled
    restored = 0
    for item in data.get("alerts", []):
        cr = compiled.get(item["rule"])
        if cr is None:
            continue
        tags = {str(k): str(v) for k, v in item["tags"].items()}
        key = (cr.name, series_key(tags))
        st = AlertState(cr, key, tags)
        st.state = _CODES.get(item["state"], INACTIVE)
        st.since_ns = int(item["since_ns"])
        st.fired_ns = int(item["fired_ns"])
        st.last_seen_ns = max(int(item["last_seen_ns"]), now_ns)
        st.value = item.get("value")
        st.notified_as = item.get("notified_as")
        st.flapping = bool(item.get("flapping"))
        st.transitions = [int(t) for t in item.get("transitions", [])]
        engine.alerts[key] = st
        if st.state == PENDING:
            engine._pending.add(key)
        if (st.state == FIRING and st.notified_as != "firing") or st.flapping:
            engine._attention.add(key)
        if st.state != INACTIVE and cr.name == engine.options.down_rule:
            engine._down.add(tags.get("device", ""))
        restored += 1
    for item in data.get("absent", []):
        cr = compiled.get(item["rule"])
        if cr is not None:
            tags = {str(k): str(v) for k, v in item["tags"].items()}
            key = (cr.name, series_key(tags))
            engine._absent_seen[key] = (max(int(item["last_ns"]), now_ns), tags)
    for rule, pairs in data.get("ok", []):
        if rule in compiled:
            engine._ok.add((rule, series_key({str(k): str(v) for k, v in pairs})))
    return restored


class StateStore:
    """The JSON state file of the engine (and of the dispatcher's undelivered queue)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none; a corrupt file is set aside."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            aside = self.path.with_suffix(self.path.suffix + ".corrupt")
            os.replace(self.path, aside)
            log.warning("alert state %s is unreadable (%s); moved to %s", self.path, exc, aside)
            return None
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Write `data` atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".alerts-", suffix=".tmp", dir=self.path.parent)
        try:
            # json.dumps (one C-encoded string) is many times faster than json.dump's
            # chunked pure-Python encoder for a state of tens of thousands of series.
            text = json.dumps(data, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
