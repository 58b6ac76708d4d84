"""The InfluxDB 2.x DBRP mapping, created through influxdb-client's DBRPsService.

No InfluxDB 2.x server exists here, so this is the one place a small fake stands in for
it: an HTTP server on 127.0.0.1 answering the two documented 2.x endpoints the mapping
needs (`GET /api/v2/buckets`, `GET`/`POST /api/v2/dbrps`). The tests check the request
shapes influxdb-client sends, not InfluxDB's behaviour.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from lanpulse.config.grafana import DatasourceSettings, GrafanaSettings
from lanpulse.dashboards.dbrp import DbrpError, ensure_dbrp
from lanpulse.dashboards.publisher import publish_all
from lanpulse.sim.fake_grafana import FakeGrafana

TOKEN = "influx-token"


@dataclass
class FakeInflux2:
    """Stands in for InfluxDB 2.x's buckets and DBRP endpoints (request shapes only)."""

    buckets: dict[str, str] = field(default_factory=lambda: {"lanpulse": "b0001"})
    dbrps: list[dict[str, Any]] = field(default_factory=list)
    seen: list[tuple[str, str, dict[str, list[str]], Any]] = field(default_factory=list)
    url: str = ""

    def handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(req.path)
        query = parse_qs(parsed.query)
        length = int(req.headers.get("Content-Length") or 0)
        body = json.loads(req.rfile.read(length)) if length else None
        self.seen.append((method, parsed.path, query, body))
        status, answer = 404, {"code": "not found", "message": "path not found"}
        if req.headers.get("Authorization") != f"Token {TOKEN}":
            status, answer = 401, {"code": "unauthorized", "message": "unauthorized access"}
        elif method == "GET" and parsed.path == "/api/v2/buckets":
            name = query.get("name", [""])[0]
            found = [
                {"id": bid, "name": n, "orgID": "o1", "retentionRules": []}
                for n, bid in self.buckets.items()
                if n == name
            ]
            status, answer = 200, {"buckets": found}
        elif method == "GET" and parsed.path == "/api/v2/dbrps":
            db, rp = query.get("db", [""])[0], query.get("rp", [""])[0]
            hits = [d for d in self.dbrps if d["database"] == db and d["retention_policy"] == rp]
            status, answer = 200, {"content": hits}
        elif method == "POST" and parsed.path == "/api/v2/dbrps":
            created = {"id": f"m{len(self.dbrps) + 1}", "orgID": "o1", "virtual": False, **body}
            self.dbrps.append(created)
            status, answer = 201, created
        data = json.dumps(answer).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


@pytest.fixture
def influx2() -> Iterator[FakeInflux2]:
    fake = FakeInflux2()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.handle(self, "GET")

        def do_POST(self) -> None:
            fake.handle(self, "POST")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def datasource(url: str, token: str = TOKEN) -> DatasourceSettings:
    return DatasourceSettings.model_validate(
        {
            "url": url,
            "database": "lanpulse",
            "influxdb_version": 2,
            "v2": {"org": "acme", "bucket": "lanpulse", "token": token},
        }
    )


def test_creates_the_mapping_once(influx2: FakeInflux2) -> None:
    assert ensure_dbrp(datasource(influx2.url)) == "created"
    posts = [s for s in influx2.seen if s[0] == "POST"]
    assert [(p[1], p[3]) for p in posts] == [
        (
            "/api/v2/dbrps",
            {
                "org": "acme",
                "bucketID": "b0001",
                "database": "lanpulse",
                "retention_policy": "autogen",
                "default": True,
            },
        )
    ]
    lookups = {s[1]: s[2] for s in influx2.seen if s[0] == "GET"}
    assert lookups["/api/v2/buckets"] == {"name": ["lanpulse"], "org": ["acme"]}
    assert lookups["/api/v2/dbrps"] == {"org": ["acme"], "db": ["lanpulse"], "rp": ["autogen"]}
    influx2.seen.clear()
    assert ensure_dbrp(datasource(influx2.url)) == "unchanged"
    assert [s for s in influx2.seen if s[0] == "POST"] == []


def test_missing_bucket_and_bad_token_are_one_line(influx2: FakeInflux2) -> None:
    influx2.buckets.clear()
    with pytest.raises(DbrpError, match=r"bucket 'lanpulse' not found in org 'acme'$"):
        ensure_dbrp(datasource(influx2.url))
    with pytest.raises(DbrpError, match=r"answered 401 .*check datasource.v2.token"):
        ensure_dbrp(datasource(influx2.url, token="wrong"))


def test_publish_for_influxdb2_maps_and_configures_token_header(influx2: FakeInflux2) -> None:
    with FakeGrafana() as grafana:
        settings = GrafanaSettings(
            url=grafana.url, token="test-token", datasource=datasource(influx2.url)
        )
        report = publish_all(settings)
        assert report.dbrp == "created"
        ds = grafana.state.datasources["lanpulse-influxdb"]
        assert ds["jsonData"]["httpHeaderName1"] == "Authorization"
        assert ds["secureJsonData"] == {"httpHeaderValue1": f"Token {TOKEN}"}
        again = publish_all(settings)
        assert again.dbrp == "unchanged" and not again.changed
