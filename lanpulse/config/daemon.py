"""The `daemon:` section: scheduling limits, two-speed polling and self-monitoring."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from lanpulse.config.durations import PositiveDuration
from lanpulse.config.network import ListenAddress


class DaemonSettings(BaseModel):
    """How the daemon schedules polls and exposes its own health."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent_polls: Annotated[int, Field(ge=1, le=100_000)] = 256
    http_listen: ListenAddress | None = "127.0.0.1:9108"
    # Label columns (ifName, ifAlias, supply descriptions, ...) are walked every N polls.
    label_refresh_polls: Annotated[int, Field(ge=1, le=1_000_000)] = 10
    # How often the `lanpulse` self-monitoring measurement is written.
    selfmon_interval: PositiveDuration = 60.0
    # /healthz answers 503 when the oldest unsent data in the spool is older than this.
    unhealthy_after: PositiveDuration = 600.0
    # SIGTERM: how long in-flight polls and the final flush may take before exit.
    shutdown_deadline: PositiveDuration = 20.0
    # Poller processes under one supervisor (docs/scaling.md); None: the number of cores,
    # capped by the estate's size. 1 is the single process exactly as before.
    workers: Annotated[int, Field(ge=1, le=256)] | None = None
