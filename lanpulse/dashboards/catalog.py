"""Every lanpulse dashboard, rendered to Grafana JSON, with the content hash publishing uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from lanpulse.dashboards import (
    alerts,
    device,
    hosts,
    overview,
    printers,
    selfmon,
    storage,
    switches,
    wireless,
)
from lanpulse.dashboards.query import DEFAULT_DATASOURCE_UID

# Order is the order of export files and of publishing.
BUILDERS: tuple[Callable[[], dash.Dashboard], ...] = (
    overview.build,
    switches.build,
    printers.build,
    storage.build,
    hosts.build,
    wireless.build,
    device.build,
    alerts.build,
    selfmon.build,
)

# Top-level key lanpulse adds to each dashboard: the hash of the content it published.
# Grafana keeps unknown top-level keys of a dashboard saved through the API; if a person's
# save drops or changes it, the publisher treats the dashboard as edited (the safe side).
HASH_KEY = "lanpulse_hash"
# Keys Grafana itself sets or bumps on every save: never part of the content hash.
VOLATILE_KEYS = frozenset({"id", "version", "iteration", HASH_KEY})


@dataclass(frozen=True, slots=True)
class RenderedDashboard:
    """One dashboard as Grafana JSON, ready to export or publish."""

    uid: str
    title: str
    model: Mapping[str, Any]

    @property
    def content_hash(self) -> str:
        """The hash stored in `lanpulse_hash` when lanpulse publishes this content."""
        return content_hash(self.model)

    def stamped(self) -> dict[str, Any]:
        """The JSON with its content hash in `lanpulse_hash`."""
        return {**json.loads(json.dumps(self.model)), HASH_KEY: self.content_hash}


def content_hash(model: Mapping[str, Any]) -> str:
    """sha256 of the dashboard's canonical JSON, without the keys Grafana manages."""
    body = {k: v for k, v in model.items() if k not in VOLATILE_KEYS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _with_datasource(node: Any, uid: str) -> Any:
    """Point every reference to the default InfluxDB data source at `uid`."""
    if isinstance(node, dict):
        if node.get("type") == "influxdb" and node.get("uid") == DEFAULT_DATASOURCE_UID:
            return {**node, "uid": uid}
        return {k: _with_datasource(v, uid) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_datasource(v, uid) for v in node]
    return node


def to_json(builder: dash.Dashboard) -> dict[str, Any]:
    """The builder's dashboard as plain JSON data, panels numbered 1, 2, ... in order.

    Stable panel ids keep `viewPanel` links and annotations' `panelId` valid across publishes.
    """
    data: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    next_id = 1
    for panel in data.get("panels") or []:
        for p in [panel, *(panel.get("panels") or [])]:
            p["id"] = next_id
            next_id += 1
    return data


def render_all(datasource_uid: str = DEFAULT_DATASOURCE_UID) -> list[RenderedDashboard]:
    """Every dashboard, its panels and variables bound to the data source `datasource_uid`."""
    out: list[RenderedDashboard] = []
    for build in BUILDERS:
        data = _with_datasource(to_json(build()), datasource_uid)
        out.append(RenderedDashboard(str(data["uid"]), str(data["title"]), data))
    return out
