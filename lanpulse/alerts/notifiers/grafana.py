"""Alerts as Grafana annotations: a point when an alert fires, a region when it resolves.

Operators see on every time-series panel when a device went down and for how long. The
Grafana client is built by the caller (`lanpulse.alerts.service`) from the `grafana:`
section, the same connection the dashboard publisher uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from lanpulse.alerts.notifiers.base import line
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent


class AnnotationsApi(Protocol):
    """The part of grafana-client's `GrafanaApi.annotations` this notifier uses."""

    def add_annotation(self, **kwargs: Any) -> Any:
        """POST /api/annotations."""
        ...


def annotation_for(event: AlertEvent) -> dict[str, Any] | None:
    """The annotation of one event, or None for states not worth drawing."""
    tags = ["lanpulse", f"rule:{event.rule}", f"severity:{event.severity}", event.state]
    if device := event.labels.get("device"):
        tags.append(f"device:{device}")
    start_ms = event.started_ns // 1_000_000
    if event.state == "firing" or event.state == "flapping":
        return {"time_from": start_ms, "tags": tags, "text": line(event)}
    if event.state == "resolved":
        end_ms = (event.ended_ns or event.time_ns or event.started_ns) // 1_000_000
        return {"time_from": start_ms, "time_to": end_ms, "tags": tags, "text": line(event)}
    return None


class GrafanaAnnotationNotifier:
    """Posts one annotation per firing, flapping or resolved event."""

    name = "grafana"

    def __init__(self, annotations: AnnotationsApi) -> None:
        self.annotations = annotations

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """Post the events' annotations; SinkError (retryable) when Grafana fails."""
        for event in events:
            body = annotation_for(event)
            if body is None:
                continue
            try:
                await asyncio.to_thread(self.annotations.add_annotation, **body)
            except Exception as exc:  # grafana-client raises many types; all mean "retry"
                raise SinkError(
                    f"grafana annotations: {type(exc).__name__}: {str(exc)[:200]}",
                    retryable=True,
                ) from None
