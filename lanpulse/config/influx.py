"""The `influxdb:` and `spool:` sections (owned by the time-series writer)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class InfluxSettings(BaseModel):
    """Where samples go. v1: InfluxDB 1.x /write; v2: influxdb-client (2.x, 3.x, Cloud)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    api: Literal["v1", "v2"] = "v2"
    database: str | None = None
    retention_policy: str | None = None
    username: str | None = None
    password: str | None = None
    password_file: str | None = None
    org: str | None = None
    bucket: str | None = None
    token: str | None = None
    token_file: str | None = None


class SpoolSettings(BaseModel):
    """The durable on-disk spool in front of every writer (and the embedded default store)."""

    model_config = ConfigDict(extra="forbid")

    directory: str = "var/spool"
    max_bytes: int = 1024 * 1024 * 1024
    max_age: str = "7d"
