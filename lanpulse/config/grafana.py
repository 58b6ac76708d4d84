"""The `grafana:` section (owned by the dashboards publisher)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GrafanaSettings(BaseModel):
    """Where and how dashboards are published."""

    model_config = ConfigDict(extra="allow")

    url: str
