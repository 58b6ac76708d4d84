"""Export dashboards and Grafana provisioning files for file-based provisioning.

    DIR/<uid>.json                                  one file per dashboard
    DIR/provisioning/datasources/lanpulse.yaml      the InfluxDB data source (InfluxQL)
    DIR/provisioning/dashboards/lanpulse.yaml       a file provider for the JSON files

Secrets never go into these files: the data source refers to environment variables that
Grafana expands when it reads provisioning files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lanpulse.config.grafana import DatasourceSettings, FolderSettings
from lanpulse.dashboards.catalog import RenderedDashboard, render_all

DEFAULT_DASHBOARDS_PATH = "/var/lib/grafana/dashboards/lanpulse"
# Used when exporting without a configuration (the checked-in `dashboards/` directory).
DEFAULT_DATASOURCE = DatasourceSettings(url="http://localhost:8086")
PASSWORD_ENV = "LANPULSE_INFLUXDB_PASSWORD"
TOKEN_ENV = "LANPULSE_INFLUXDB_TOKEN"


def dashboard_text(dashboard: RenderedDashboard) -> str:
    """The file content of one dashboard: stable, indented JSON with a final newline."""
    return json.dumps(dashboard.stamped(), indent=2, ensure_ascii=False) + "\n"


def datasource_provisioning(ds: DatasourceSettings) -> dict[str, Any]:
    """Grafana's datasource provisioning document for the lanpulse InfluxDB."""
    json_data: dict[str, Any] = {
        "version": "InfluxQL",
        "dbName": ds.database,
        "httpMode": ds.http_method,
        "timeInterval": ds.time_interval,
    }
    entry: dict[str, Any] = {
        "name": ds.name,
        "uid": ds.uid,
        "type": "influxdb",
        "access": "proxy",
        "url": ds.url,
        "isDefault": False,
        "editable": False,
        "jsonData": json_data,
    }
    if ds.influxdb_version == 2:
        json_data["httpHeaderName1"] = "Authorization"
        entry["secureJsonData"] = {"httpHeaderValue1": f"Token ${{{TOKEN_ENV}}}"}
    elif ds.user or ds.password or ds.password_file:
        entry["user"] = ds.user or ""
        entry["secureJsonData"] = {"password": f"${{{PASSWORD_ENV}}}"}
    return {"apiVersion": 1, "datasources": [entry]}


def dashboard_provider(folder: FolderSettings, path: str) -> dict[str, Any]:
    """Grafana's dashboard provider document: the lanpulse folder, read from `path`."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "lanpulse",
                "orgId": 1,
                "folder": folder.title,
                "folderUid": folder.uid,
                "type": "file",
                "disableDeletion": False,
                # lanpulse owns these dashboards; edits belong in code, not in the UI.
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": path, "foldersFromFilesStructure": False},
            }
        ],
    }


def export_files(
    datasource: DatasourceSettings = DEFAULT_DATASOURCE,
    folder: FolderSettings | None = None,
    dashboards_path: str = DEFAULT_DASHBOARDS_PATH,
) -> dict[str, str]:
    """Relative path -> content of every exported file."""
    folder = folder or FolderSettings()
    files = {f"{d.uid}.json": dashboard_text(d) for d in render_all(datasource.uid)}
    dump = yaml.safe_dump
    files["provisioning/datasources/lanpulse.yaml"] = dump(
        datasource_provisioning(datasource), sort_keys=False
    )
    files["provisioning/dashboards/lanpulse.yaml"] = dump(
        dashboard_provider(folder, dashboards_path), sort_keys=False
    )
    return files


def write_export(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` under `out_dir`, creating folders; returns the paths written."""
    written: list[Path] = []
    for rel, text in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
