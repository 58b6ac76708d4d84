"""The publisher against a fake of Grafana's HTTP API (lanpulse.sim.fake_grafana).

The fake stands in for a real Grafana server, which cannot be installed here; it is a real
HTTP server on 127.0.0.1 enforcing what Grafana enforces (auth header, folder uid, dashboard
uid and version with 412 on a conflict, 404s).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from lanpulse.cli import main
from lanpulse.config.grafana import GrafanaSettings
from lanpulse.dashboards.catalog import HASH_KEY, RenderedDashboard, render_all
from lanpulse.dashboards.publisher import PublishError, publish_all, publish_on_start
from lanpulse.sim.fake_grafana import VIEWER, FakeGrafana
from lanpulse.sim.servers import free_tcp_port

TOKEN = "test-token"


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with FakeGrafana(tokens={TOKEN: "Admin", "viewer-token": VIEWER}) as fake:
        yield fake


def settings(url: str, **extra: Any) -> GrafanaSettings:
    base: dict[str, Any] = {
        "url": url,
        "token": TOKEN,
        "datasource": {"url": "http://127.0.0.1:8086", "user": "grafana", "password": "pw-1"},
    }
    base.update(extra)
    return GrafanaSettings.model_validate(base)


def config_file(tmp_path: Path, url: str, auth: str = f"token: {TOKEN}") -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(
        "influxdb: {url: http://127.0.0.1:8086}\n"
        "grafana:\n"
        f"  url: {url}\n"
        f"  {auth}\n"
        "  datasource:\n"
        "    url: http://127.0.0.1:8086\n"
        "    database: lanpulse\n"
    )
    return path


def test_first_publish_creates_folder_datasource_and_every_dashboard(grafana: FakeGrafana) -> None:
    report = publish_all(settings(grafana.url))
    assert report.folder == "created" and report.datasource == "created"
    assert [d.action for d in report.dashboards] == ["created"] * len(render_all())
    state = grafana.state
    assert set(state.folders) == {"lanpulse"}
    assert set(state.dashboards) == {d.uid for d in render_all()}
    assert all(e["folderUid"] == "lanpulse" for e in state.dashboards.values())
    ds = state.datasources["lanpulse-influxdb"]
    assert ds["type"] == "influxdb" and ds["jsonData"]["version"] == "InfluxQL"
    assert ds["jsonData"]["dbName"] == "lanpulse"
    assert ds["secureJsonData"] == {"password": "pw-1"}
    stored = state.dashboards["lanpulse-switches"]["dashboard"]
    assert stored[HASH_KEY].startswith("sha256:") and stored["version"] == 1


def test_publishing_twice_changes_nothing(grafana: FakeGrafana) -> None:
    publish_all(settings(grafana.url))
    writes = len(grafana.state.writes())
    report = publish_all(settings(grafana.url))
    assert len(grafana.state.writes()) == writes  # not one POST or PUT
    assert not report.changed
    assert {d.action for d in report.dashboards} == {"unchanged"}
    assert report.folder == report.datasource == "unchanged"


def test_a_code_change_updates_only_that_dashboard(grafana: FakeGrafana) -> None:
    publish_all(settings(grafana.url))
    rendered = render_all()
    changed = rendered[2]
    new_model = {**changed.model, "description": "new text from a lanpulse upgrade"}
    rendered[2] = RenderedDashboard(changed.uid, changed.title, new_model)
    report = publish_all(settings(grafana.url), dashboards=rendered)
    actions = {d.uid: d.action for d in report.dashboards}
    assert actions.pop(changed.uid) == "updated"
    assert set(actions.values()) == {"unchanged"}
    stored = grafana.state.dashboards[changed.uid]["dashboard"]
    assert stored["description"] == "new text from a lanpulse upgrade" and stored["version"] == 2


def test_edited_dashboard_is_refused_then_overwritten_with_force(
    grafana: FakeGrafana, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config_file(tmp_path, grafana.url)
    assert main(["dashboards", "publish", "-c", str(cfg)]) == 0
    grafana.edit_dashboard("lanpulse-printers", lambda d: d.update(title="Our printers"))
    capsys.readouterr()

    assert main(["dashboards", "publish", "-c", str(cfg)]) == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "refused: dashboard 'lanpulse: printers' (uid lanpulse-printers) was changed in "
        "Grafana since lanpulse published it; run with --force to overwrite it"
    ]
    assert grafana.state.dashboards["lanpulse-printers"]["dashboard"]["title"] == "Our printers"
    assert "Traceback" not in out + err

    assert main(["dashboards", "publish", "-c", str(cfg), "--force"]) == 0
    out, err = capsys.readouterr()
    assert "overwritten lanpulse: printers (lanpulse-printers) v3" in out
    stored = grafana.state.dashboards["lanpulse-printers"]["dashboard"]
    assert stored["title"] == "lanpulse: printers"
    assert main(["dashboards", "publish", "-c", str(cfg)]) == 0  # and settled again


def test_dashboard_without_our_hash_is_treated_as_edited(grafana: FakeGrafana) -> None:
    publish_all(settings(grafana.url))
    grafana.edit_dashboard("lanpulse-alerts", lambda d: d.pop(HASH_KEY))  # a UI save drops it
    report = publish_all(settings(grafana.url))
    assert [d.uid for d in report.refused] == ["lanpulse-alerts"]


def test_wrong_token_gives_one_line_without_the_token(
    grafana: FakeGrafana, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config_file(tmp_path, grafana.url, auth="token: not-the-token")
    assert main(["dashboards", "publish", "-c", str(cfg)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "refused the credentials (401)" in err and "not-the-token" not in err


def test_viewer_gets_a_clear_permission_line(grafana: FakeGrafana) -> None:
    with pytest.raises(PublishError, match=r"denied permission \(403\) to create folder"):
        publish_all(settings(grafana.url, token="viewer-token"))


def test_basic_auth_with_password_file(grafana: FakeGrafana, tmp_path: Path) -> None:
    secret = tmp_path / "grafana.pw"
    secret.write_text("admin-password\n")
    s = settings(grafana.url, token=None, user="admin", password_file=str(secret))
    assert publish_all(s).folder == "created"


def test_unreachable_and_wrong_path_give_one_line(
    tmp_path: Path, grafana: FakeGrafana, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{free_tcp_port()}"
    assert main(["dashboards", "publish", "-c", str(config_file(tmp_path, closed))]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: cannot reach Grafana at {closed}: connection refused"]
    with pytest.raises(PublishError, match=r"answered 404 while trying to check its health"):
        publish_all(settings(grafana.url + "/not-grafana"))


def test_timeout_gives_one_line() -> None:
    with (
        FakeGrafana(delay_seconds=1.0) as slow,
        pytest.raises(PublishError, match="did not answer in time"),
    ):
        publish_all(settings(slow.url, timeout_seconds=0.2))


def test_config_errors_name_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("grafana:\n  url: grafana.lan\n  token: x\n  datasource:\n    urll: http://i\n")
    assert main(["dashboards", "publish", "-c", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        f"{cfg}:2: grafana.url: bad URL 'grafana.lan', expected http://host:port or https://host:port"
        in err
    )
    assert f"{cfg}:5: grafana.datasource.urll: unknown key" in err
    assert f"{cfg}:4: grafana.datasource.url: required key is missing" in err
    cfg.write_text("influxdb: {}\n")
    assert main(["dashboards", "publish", "-c", str(cfg)]) == 2
    assert "grafana: no grafana: section" in capsys.readouterr().err


def test_publish_on_start_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    closed = f"http://127.0.0.1:{free_tcp_port()}"
    assert publish_on_start(None) is None
    assert publish_on_start(settings(closed)) is None  # publish_on_start is false
    with caplog.at_level(logging.WARNING):
        assert publish_on_start(settings(closed, publish_on_start=True)) is None
    assert "dashboards not published at start-up: cannot reach Grafana" in caplog.text


# --- the fake enforces what Grafana enforces (checked through grafana-client) --------------


def _api(fake: FakeGrafana) -> GrafanaApi:
    return GrafanaApi.from_url(fake.url, credential=TOKEN)


def test_fake_enforces_versions_names_folders_and_404s(grafana: FakeGrafana) -> None:
    api = _api(grafana)
    api.folder.create_folder("Net", uid="net")
    saved = api.dashboard.update_dashboard(
        {"dashboard": {"uid": "d1", "title": "One"}, "folderUid": "net"}
    )
    assert saved["version"] == 1 and saved["status"] == "success"
    stale = {"dashboard": {"uid": "d1", "title": "One", "version": 0}, "folderUid": "net"}
    with pytest.raises(GrafanaClientError) as err:
        api.dashboard.update_dashboard(stale)
    assert err.value.status_code == 412 and err.value.response["status"] == "version-mismatch"
    assert api.dashboard.update_dashboard({**stale, "overwrite": True})["version"] == 2
    with pytest.raises(GrafanaClientError) as err:
        api.dashboard.update_dashboard(
            {"dashboard": {"uid": "d2", "title": "One"}, "folderUid": "net"}
        )
    assert err.value.status_code == 412 and err.value.response["status"] == "name-exists"
    with pytest.raises(GrafanaClientError) as err:
        api.dashboard.update_dashboard(
            {"dashboard": {"uid": "d3", "title": "T"}, "folderUid": "nope"}
        )
    assert err.value.status_code == 404
    for call in (
        lambda: api.dashboard.get_dashboard("missing"),
        lambda: api.folder.get_folder("missing"),
        lambda: api.datasource.get_datasource_by_uid("missing"),
    ):
        with pytest.raises(GrafanaClientError) as err:
            call()
        assert err.value.status_code == 404
    got = api.dashboard.get_dashboard("d1")
    assert got["meta"]["folderUid"] == "net" and got["dashboard"]["version"] == 2
    hits = api.search.search_dashboards(query="One")
    assert [h["uid"] for h in hits] == ["d1"]
    added = api.annotations.add_annotation(
        dashboard_uid="d1", text="device down", tags=["lanpulse"]
    )
    assert added["message"] == "Annotation added"


def test_fake_never_returns_datasource_secrets(grafana: FakeGrafana) -> None:
    publish_all(settings(grafana.url))
    ds = _api(grafana).datasource.get_datasource_by_name("lanpulse InfluxDB")
    assert "secureJsonData" not in ds and ds["secureJsonFields"] == {"password": True}
