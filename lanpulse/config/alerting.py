"""The `alerting:` section (owned by the alert engine)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AlertingSettings(BaseModel):
    """Rule files and notifiers."""

    model_config = ConfigDict(extra="allow")

    rules_files: list[str] = []
