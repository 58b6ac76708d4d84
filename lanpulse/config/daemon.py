"""The `daemon:` section: scheduling limits and the self-monitoring endpoint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DaemonSettings(BaseModel):
    """How the daemon schedules polls and exposes its own health."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent_polls: int = 256
    http_listen: str | None = "127.0.0.1:9108"
    label_refresh_polls: int = 10
