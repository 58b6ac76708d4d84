"""The `influxdb:` and `spool:` sections (owned by the time-series writer).

Durations follow the one grammar of `lanpulse.config.durations` (`30`, `500ms`, `5m`, `1h30m`,
`7d`, `1w`); sizes accept bytes or a unit (`64MiB`, `1GiB`, `500MB`). Both are stored as numbers
(seconds as float, bytes as int).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator

# parse_duration is re-exported for the callers that read it from here.
from lanpulse.config.durations import Duration
from lanpulse.config.durations import parse_duration as parse_duration
from lanpulse.config.network import HttpUrl
from lanpulse.config.paths import ConfigPath
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Secret

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
MAX_SIZE = 1024**5
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(value: object) -> int:
    """Bytes from `1048576`, `64MiB`, `500MB`, `1GiB` (KiB/MiB/GiB/TiB are powers of 1024)."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 64MiB or 1GiB")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        if value > MAX_SIZE:
            raise ValueError(f"size {value} is too large, expected at most 1 PiB")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            unit = (match.group(2) or "").lower()
            base = _SIZE_UNITS[unit[:1] if unit != "b" else "b"]
            if "i" in unit:
                base = 1024 ** "bkmgt".index(unit[0])
            size = int(float(match.group(1)) * base)
            if size > MAX_SIZE:
                raise ValueError(f"size {value!r} is too large, expected at most 1 PiB")
            return size
    raise ValueError(f"expected a size such as 64MiB or 1GiB, got {value!r}")


Size = Annotated[int, BeforeValidator(parse_size)]

# The writer kinds (`api:`); each is a module `lanpulse/timeseries/writer_<kind>.py` with
# `build(settings, retention_policies)`, found by name (`lanpulse.timeseries.writers`).
WriterKind = Literal["v1", "v2"]
WRITER_KINDS: tuple[str, ...] = get_args(WriterKind)


def _read_secret(file: str | None, env: str | None, what: str) -> str | None:
    if file:
        try:
            return Path(file).expanduser().read_text().strip()
        except OSError as exc:
            raise ValueError(f"cannot read {what} file {file}: {exc.strerror}") from None
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ValueError(f"environment variable {env} (for the {what}) is not set")
        return value
    return None


class InfluxSettings(BaseModel):
    """Where samples go. v1: InfluxDB 1.x /write; v2: influxdb-client (2.x, 3.x, Cloud, 1.8+)."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    api: WriterKind = "v2"
    # v1
    database: str | None = None
    retention_policy: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
    password_env: str | None = None
    # v2
    org: str | None = None
    bucket: str | None = None
    token: SecretStr | None = None
    token_file: ConfigPath | None = None
    token_env: str | None = None
    # both
    gzip: bool = False
    # v1: create the database on the first "database not found", as Telegraf does.
    create_database: bool = True
    batch_size: int = Field(5000, ge=1, le=1_000_000)
    flush_interval: Duration = 1.0
    timeout: Duration = 10.0
    # 0: retry forever; N: quarantine a batch after N failures
    max_retries: int = Field(0, ge=0, le=1_000_000)
    backoff: Duration = 1.0
    max_backoff: Duration = 60.0

    @model_validator(mode="after")
    def _check_api_keys(self) -> InfluxSettings:
        if self.api == "v1" and not self.database:
            raise ValueError("api v1 needs `database`")
        if self.api == "v2" and not self.bucket:
            raise ValueError("api v2 needs `bucket` (and `org` for InfluxDB 2.x/Cloud)")
        if sum(x is not None for x in (self.password, self.password_file, self.password_env)) > 1:
            raise ValueError("give only one of password, password_file, password_env")
        if sum(x is not None for x in (self.token, self.token_file, self.token_env)) > 1:
            raise ValueError("give only one of token, token_file, token_env")
        return self

    def resolved_password(self) -> str | None:
        """The v1 password from `password`, `password_file` or `password_env`."""
        if self.password is not None:
            return self.password.get_secret_value()
        return _read_secret(self.password_file, self.password_env, "password")

    def resolved_token(self) -> str | None:
        """The v2 token from `token`, `token_file` or `token_env`."""
        if self.token is not None:
            return self.token.get_secret_value()
        return _read_secret(self.token_file, self.token_env, "token")

    def secret(self, which: Literal["password", "token"]) -> Secret | None:
        """The password or token for a writer; ConfigError (naming the key) when its file
        or variable cannot be read."""
        try:
            value = self.resolved_password() if which == "password" else self.resolved_token()
        except ValueError as exc:
            raise ConfigError(str(exc), key=f"influxdb.{which}") from None
        return Secret(value) if value is not None else None


class SpoolSettings(BaseModel):
    """The durable on-disk spool in front of every writer (and the embedded default store)."""

    model_config = ConfigDict(extra="forbid")

    directory: ConfigPath = Field(default="var/spool", validate_default=True)
    max_bytes: Size = 1024 * 1024 * 1024
    max_age: Duration = 7 * 86400.0
    segment_bytes: Size = 16 * 1024 * 1024
    segment_age: Duration = 300.0
    fsync: Literal["always", "interval", "never"] = "always"
    fsync_interval: Duration = 1.0
    rejected_max_bytes: Size = 100 * 1024 * 1024
    queue_max: int = Field(default=10_000, ge=1, le=10_000_000)
