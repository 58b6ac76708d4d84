"""The `grafana:` section (owned by the dashboards publisher).

    grafana:
      url: http://grafana.example:3000
      token_file: /etc/lanpulse/grafana.token     # or token, or user + password(_file)
      org_id: 1
      folder: {uid: lanpulse, title: lanpulse}
      datasource:
        uid: lanpulse-influxdb
        name: lanpulse InfluxDB
        url: http://influxdb.example:8086          # InfluxDB as Grafana sees it
        database: lanpulse
        influxdb_version: 1                       # 2: InfluxQL through a DBRP mapping
      publish_on_start: false
      verify_tls: true

Secrets are pydantic `SecretStr` (never shown in repr or errors); a `*_file` key names a file
holding the secret, read only when publishing. `${ENV}` references are expanded by the
configuration loader before this model sees the values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from lanpulse.config.network import check_http_url
from lanpulse.config.paths import ConfigPath
from lanpulse.core.errors import ConfigError
from lanpulse.core.model import Secret

# Grafana's rule for uids: at most 40 characters of letters, digits, `-` and `_`.
_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _check_uid(value: str) -> str:
    if not _UID.match(value):
        raise ValueError("expected a Grafana uid: 1-40 letters, digits, '-' or '_'")
    return value


def _check_url(value: str) -> str:
    check_http_url(value)
    if "@" in value.split("//", 1)[1].split("/", 1)[0]:
        # Credentials in a URL end up in logs and error messages.
        raise ValueError("expected no credentials in the URL; use token or user/password")
    return value.rstrip("/")


Uid = Annotated[str, AfterValidator(_check_uid)]
Url = Annotated[str, AfterValidator(_check_url)]


def read_secret(inline: SecretStr | None, path: str | None, key: str) -> Secret | None:
    """The secret given inline or in the file at `path` (first line, stripped)."""
    if inline is not None:
        return Secret(inline.get_secret_value())
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or exc}", key=f"grafana.{key}_file"
        ) from None
    if not text:
        raise ConfigError(f"{path} is empty, expected the secret in it", key=f"grafana.{key}_file")
    return Secret(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderSettings(_Strict):
    """The Grafana folder holding the lanpulse dashboards."""

    uid: Uid = "lanpulse"
    title: str = "lanpulse"


class InfluxDB2Mapping(_Strict):
    """For InfluxDB 2.x/3.x: the bucket behind the InfluxQL database, and how to map it.

    Grafana's InfluxQL mode on 2.x needs a database/retention-policy (DBRP) mapping to a
    bucket; lanpulse creates it through influxdb-client when it is missing.
    """

    url: Url | None = None  # the 2.x API as lanpulse reaches it; default: datasource.url
    org: str
    bucket: str
    token: SecretStr | None = None
    token_file: ConfigPath | None = None
    create_dbrp: bool = True

    @model_validator(mode="after")
    def _one_token(self) -> InfluxDB2Mapping:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("expected exactly one of token or token_file")
        return self


class DatasourceSettings(_Strict):
    """The InfluxDB data source every dashboard queries (InfluxQL mode)."""

    uid: Uid = "lanpulse-influxdb"
    name: str = "lanpulse InfluxDB"
    url: Url
    database: str = "lanpulse"
    retention_policy: str = "autogen"
    influxdb_version: Literal[1, 2] = 1
    user: str | None = None  # InfluxDB 1.x authentication, when enabled
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
    v2: InfluxDB2Mapping | None = None
    http_method: Literal["GET", "POST"] = "POST"
    time_interval: str = Field(default="1m", description="Grafana's minimum $__interval")

    @model_validator(mode="after")
    def _version_needs(self) -> DatasourceSettings:
        if self.influxdb_version == 2 and self.v2 is None:
            raise ValueError("influxdb_version 2 needs a v2 section (org, bucket, token)")
        if self.password is not None and self.password_file is not None:
            raise ValueError("expected password or password_file, not both")
        return self


class GrafanaSettings(_Strict):
    """Where and how dashboards are published."""

    url: Url
    token: SecretStr | None = None
    token_file: ConfigPath | None = None
    user: str | None = None
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
    org_id: int = Field(default=1, ge=1)
    folder: FolderSettings = FolderSettings()
    datasource: DatasourceSettings
    publish_on_start: bool = False
    verify_tls: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _one_auth(self) -> GrafanaSettings:
        has_token = self.token is not None or self.token_file is not None
        has_password = self.password is not None or self.password_file is not None
        if self.token is not None and self.token_file is not None:
            raise ValueError("expected token or token_file, not both")
        if self.password is not None and self.password_file is not None:
            raise ValueError("expected password or password_file, not both")
        if has_token and (self.user or has_password):
            raise ValueError("expected a token or user + password, not both")
        if not has_token and not (self.user and has_password):
            raise ValueError(
                "expected credentials: token (or token_file), or user and password "
                "(or password_file)"
            )
        return self

    def grafana_token(self) -> Secret | None:
        """The service-account token, when token auth is configured."""
        return read_secret(self.token, self.token_file, "token")

    def grafana_password(self) -> Secret | None:
        """The basic-auth password, when user + password auth is configured."""
        return read_secret(self.password, self.password_file, "password")
