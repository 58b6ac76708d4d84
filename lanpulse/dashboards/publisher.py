"""Publish the dashboards to Grafana through its HTTP API (grafana-client), idempotently.

Order: folder, InfluxDB data source (and, for InfluxDB 2.x, the DBRP mapping), then each
dashboard by its stable uid. A dashboard is sent only when its content differs from what
lanpulse published last; one a person changed in Grafana since is refused unless `force`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaServerError,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)
from niquests.exceptions import RequestException

from lanpulse.config.grafana import DatasourceSettings, GrafanaSettings, read_secret
from lanpulse.core.errors import LanpulseError
from lanpulse.dashboards.catalog import HASH_KEY, RenderedDashboard, content_hash, render_all

log = logging.getLogger(__name__)

Action = Literal["created", "updated", "unchanged", "refused", "overwritten"]


class PublishError(LanpulseError):
    """Grafana could not be reached or refused a request; the message is one clear line."""


@dataclass(frozen=True, slots=True)
class DashboardOutcome:
    """What happened to one dashboard."""

    uid: str
    title: str
    action: Action
    version: int | None = None
    detail: str = ""

    def line(self) -> str:
        """One human line: `created  lanpulse: switches (lanpulse-switches) v1`."""
        version = f" v{self.version}" if self.version is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.action:<11} {self.title} ({self.uid}){version}{detail}"


@dataclass(frozen=True, slots=True)
class PublishReport:
    """The outcome of one publish: folder, data source, DBRP mapping and every dashboard."""

    grafana_url: str
    folder: str
    datasource: str
    dbrp: str | None = None
    dashboards: tuple[DashboardOutcome, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> tuple[DashboardOutcome, ...]:
        """Dashboards left alone because a person edited them."""
        return tuple(d for d in self.dashboards if d.action == "refused")

    @property
    def changed(self) -> bool:
        """True when anything in Grafana was created or changed."""
        return (
            self.folder == "created"
            or self.datasource in ("created", "updated")
            or self.dbrp == "created"
            or any(d.action in ("created", "updated", "overwritten") for d in self.dashboards)
        )

    def lines(self) -> list[str]:
        """The report as lines for the CLI."""
        out = [f"grafana     {self.grafana_url}", f"folder      {self.folder}"]
        out.append(f"datasource  {self.datasource}")
        if self.dbrp is not None:
            out.append(f"dbrp        {self.dbrp}")
        out.extend(d.line() for d in self.dashboards)
        return out


def connect(settings: GrafanaSettings) -> GrafanaApi:
    """A GrafanaApi for the settings' URL, credentials, organisation, TLS and timeout."""
    url = urlparse(settings.url)
    prefix = url.path.strip("/")
    token = settings.grafana_token()
    auth: Any
    if token is not None:
        auth = token.reveal()
    else:
        password = settings.grafana_password()
        auth = (settings.user or "", password.reveal() if password else "")
    return GrafanaApi(
        auth=auth,
        host=url.hostname or "localhost",
        port=url.port,
        url_path_prefix=f"{prefix}/" if prefix else "",
        protocol=url.scheme,
        verify=settings.verify_tls,
        timeout=settings.timeout_seconds,
        organization_id=settings.org_id,
        user_agent="lanpulse",
    )


def datasource_body(ds: DatasourceSettings) -> dict[str, Any]:
    """The data source as Grafana's API takes it: InfluxDB, InfluxQL mode, proxy access."""
    json_data: dict[str, Any] = {
        "version": "InfluxQL",
        "dbName": ds.database,
        "httpMode": ds.http_method,
        "timeInterval": ds.time_interval,
    }
    secure: dict[str, str] = {}
    body: dict[str, Any] = {
        "uid": ds.uid,
        "name": ds.name,
        "type": "influxdb",
        "access": "proxy",
        "url": ds.url,
        "basicAuth": False,
        "isDefault": False,
        "jsonData": json_data,
    }
    if ds.influxdb_version == 2 and ds.v2 is not None:
        # InfluxQL on 2.x authenticates with the token in an Authorization header.
        token = read_secret(ds.v2.token, ds.v2.token_file, "datasource.v2.token")
        json_data["httpHeaderName1"] = "Authorization"
        if token is not None:
            secure["httpHeaderValue1"] = f"Token {token.reveal()}"
    else:
        password = read_secret(ds.password, ds.password_file, "datasource.password")
        if ds.user:
            body["user"] = ds.user
        if password is not None:
            secure["password"] = password.reveal()
    if secure:
        body["secureJsonData"] = secure
    return body


# Keys compared to decide whether the data source in Grafana matches the settings.
_DATASOURCE_KEYS = ("name", "type", "access", "url", "user", "basicAuth", "jsonData")


def _same_datasource(want: dict[str, Any], have: dict[str, Any]) -> bool:
    """Grafana never returns secrets: compare the rest, and that each secret is set."""
    for key in _DATASOURCE_KEYS:
        if (want.get(key) or None) != (have.get(key) or None):
            return False
    have_secrets = set((have.get("secureJsonFields") or {}).keys())
    return set((want.get("secureJsonData") or {}).keys()) <= have_secrets


class _Calls:
    """grafana-client calls with every failure turned into one clear PublishError line."""

    def __init__(self, api: GrafanaApi, url: str) -> None:
        self.api = api
        self.url = url

    def run(self, what: str, call: Callable[[], Any], missing_ok: bool = False) -> Any:
        """Run `call`; None for a 404 when `missing_ok`; else PublishError naming `what`."""
        where = f"Grafana at {self.url}"
        try:
            return call()
        except GrafanaUnauthorizedError:
            raise PublishError(
                f"{where} refused the credentials (401) while trying to {what}: check "
                "grafana.token / token_file, or user and password"
            ) from None
        except GrafanaTimeoutError:
            raise PublishError(f"{where} did not answer in time while trying to {what}") from None
        except GrafanaClientError as exc:
            if exc.status_code == 404 and missing_ok:
                return None
            if exc.status_code == 403:
                raise PublishError(
                    f"{where} denied permission (403) to {what}: the token or user needs the "
                    "Editor role (Admin for data sources)"
                ) from None
            raise PublishError(
                f"{where} answered {exc.status_code} while trying to {what}: {_message(exc)}"
            ) from None
        except GrafanaServerError as exc:
            raise PublishError(
                f"{where} failed ({exc.status_code}) while trying to {what}: {_message(exc)}"
            ) from None
        except (GrafanaException, RequestException, OSError) as exc:
            raise PublishError(f"cannot reach {where}: {_reason(exc)}") from None


def _message(exc: GrafanaException) -> str:
    body = exc.response
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(exc.message)


def _reason(exc: BaseException) -> str:
    """A short reason without URLs' credentials or a traceback."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text[:200]


def publish_all(
    settings: GrafanaSettings,
    *,
    force: bool = False,
    dashboards: Sequence[RenderedDashboard] | None = None,
    api: GrafanaApi | None = None,
) -> PublishReport:
    """Ensure folder and data source, then upsert every dashboard; see the module docstring."""
    calls = _Calls(api or connect(settings), settings.url)
    health = calls.run("check its health", lambda: calls.api.health.check())
    if not isinstance(health, dict) or "database" not in health:
        raise PublishError(f"{settings.url} does not look like Grafana (/api/health)")
    folder = _ensure_folder(calls, settings)
    dbrp: str | None = None
    if settings.datasource.influxdb_version == 2:
        from lanpulse.dashboards.dbrp import DbrpError, ensure_dbrp

        try:
            dbrp = ensure_dbrp(settings.datasource, settings.timeout_seconds)
        except DbrpError as exc:
            raise PublishError(str(exc)) from None
    datasource = _ensure_datasource(calls, settings.datasource, force)
    rendered = dashboards if dashboards is not None else render_all(settings.datasource.uid)
    outcomes = tuple(_upsert(calls, settings, d, force) for d in rendered)
    return PublishReport(settings.url, folder, datasource, dbrp, outcomes)


def _ensure_folder(calls: _Calls, settings: GrafanaSettings) -> str:
    uid, title = settings.folder.uid, settings.folder.title
    found = calls.run(f"read folder {uid}", lambda: calls.api.folder.get_folder(uid), True)
    if found is not None:
        return "unchanged"
    calls.run(f"create folder {uid}", lambda: calls.api.folder.create_folder(title, uid=uid))
    return "created"


def _ensure_datasource(calls: _Calls, ds: DatasourceSettings, force: bool) -> str:
    want = datasource_body(ds)
    api = calls.api.datasource
    have = calls.run(f"read data source {ds.uid}", lambda: api.get_datasource_by_uid(ds.uid), True)
    if have is None:
        calls.run(f"create data source {ds.name}", lambda: api.create_datasource(want))
        return "created"
    if not force and _same_datasource(want, have):
        return "unchanged"
    calls.run(f"update data source {ds.uid}", lambda: api.update_datasource_by_uid(ds.uid, want))
    return "updated"


def _upsert(
    calls: _Calls, settings: GrafanaSettings, dashboard: RenderedDashboard, force: bool
) -> DashboardOutcome:
    uid, title = dashboard.uid, dashboard.title
    folder_uid = settings.folder.uid
    api = calls.api.dashboard
    want = dashboard.stamped()
    current = calls.run(f"read dashboard {uid}", lambda: api.get_dashboard(uid), True)
    body: dict[str, Any] = {
        "folderUid": folder_uid,
        "overwrite": False,
        "message": "published by lanpulse",
    }
    action: Action = "created"
    if current is not None:
        have = current.get("dashboard") or {}
        meta = current.get("meta") or {}
        version = have.get("version")
        edited = have.get(HASH_KEY) != content_hash(have)
        if edited and not force:
            return DashboardOutcome(
                uid,
                title,
                "refused",
                version,
                "changed in Grafana since lanpulse published it; not overwritten "
                "(use --force to replace it)",
            )
        same_place = meta.get("folderUid", folder_uid) == folder_uid
        if not edited and have.get(HASH_KEY) == want[HASH_KEY] and same_place:
            return DashboardOutcome(uid, title, "unchanged", version)
        want["id"] = have.get("id")
        want["version"] = version
        body["overwrite"] = force
        action = "overwritten" if edited else "updated"
    body["dashboard"] = want
    try:
        saved = calls.run(f"save dashboard {uid}", lambda: api.update_dashboard(body))
    except PublishError as exc:
        if "412" in str(exc):
            # Somebody saved between our read and our write: their change wins until --force.
            return DashboardOutcome(uid, title, "refused", None, f"{exc} (use --force)")
        raise
    log.info("dashboard %s %s", uid, action)
    return DashboardOutcome(uid, title, action, saved.get("version") if saved else None)


def publish_on_start(settings: GrafanaSettings | None) -> PublishReport | None:
    """For the daemon at start-up: publish when `grafana.publish_on_start` is set.

    Grafana being away must not stop polling, so failures are logged as one warning line
    and None is returned; refused (person-edited) dashboards are logged too.
    """
    if settings is None or not settings.publish_on_start:
        return None
    try:
        report = publish_all(settings)
    except (PublishError, LanpulseError) as exc:
        log.warning("dashboards not published at start-up: %s", exc)
        return None
    for refused in report.refused:
        log.warning("dashboard %s not published: %s", refused.uid, refused.detail)
    return report
