"""A fake of Grafana's HTTP API, on 127.0.0.1, for testing the publisher and annotations.

It stands in for a real Grafana server, which cannot be installed here. It is a real HTTP
server (http.server in a thread) implementing the documented endpoints lanpulse uses, and
enforcing what Grafana enforces on them: the Authorization header (Bearer token or basic
auth; 401 otherwise, 403 for a Viewer on writes), folder uids (404), data source uid and
name (404, 409 on a duplicate), dashboard uid and version (412 `version-mismatch` when the
body's version differs from the stored one without `overwrite`, 412 `name-exists` for a
second dashboard with the same title in a folder), and assigning ids and versions.

Shapes follow the Grafana HTTP API documentation (folders, data sources, dashboards,
search, annotations); only the fields lanpulse reads or writes are modelled.

(~460 lines: one HTTP handler over one in-memory store, endpoint by endpoint as Grafana
documents them; a test double is easier to check against the docs in one file.)
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from lanpulse.sim.process import Service

Json = dict[str, Any]
ADMIN = "Admin"
VIEWER = "Viewer"


class ApiError(Exception):
    """An HTTP error answer: status and Grafana's JSON body."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.body: Json = {"message": message, **extra}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass
class GrafanaState:
    """Everything the fake stores, inspectable by tests."""

    folders: dict[str, Json] = field(default_factory=dict)
    datasources: dict[str, Json] = field(default_factory=dict)
    dashboards: dict[str, Json] = field(default_factory=dict)  # uid -> {dashboard, folderUid}
    annotations: list[Json] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    next_id: int = 1

    def new_id(self) -> int:
        """The next numeric id, as Grafana's database assigns them."""
        self.next_id += 1
        return self.next_id

    def writes(self) -> list[tuple[str, str]]:
        """Every request that could change something (POST, PUT, DELETE)."""
        return [r for r in self.requests if r[0] != "GET"]


class FakeGrafana(Service):
    """The fake server. `tokens` maps a bearer token to a role; `users` user -> (password, role)."""

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        users: dict[str, tuple[str, str]] | None = None,
        delay_seconds: float = 0.0,
        version: str = "11.6.0",
    ) -> None:
        self.tokens = tokens if tokens is not None else {"test-token": ADMIN}
        self.users = users if users is not None else {"admin": ("admin-password", ADMIN)}
        self.delay_seconds = delay_seconds
        self.version = version
        self.state = GrafanaState()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:41234."""
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGrafana:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- what a person does in the UI ---------------------------------------------------------

    def edit_dashboard(self, uid: str, change: Callable[[Json], None]) -> None:
        """Change a stored dashboard the way a UI save does: new content, version + 1."""
        with self._lock:
            stored = self.state.dashboards[uid]["dashboard"]
            change(stored)
            stored["version"] = int(stored["version"]) + 1

    # --- HTTP plumbing -------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        parsed = urlparse(req.path)
        path = parsed.path
        query = {k: v for k, v in parse_qs(parsed.query).items()}
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        try:
            with self._lock:
                self.state.requests.append((method, path))
                if path == "/api/health":
                    status, body = 200, {"database": "ok", "version": self.version}
                else:
                    role = self._authenticate(req.headers.get("Authorization"))
                    if method != "GET" and role == VIEWER:
                        raise ApiError(403, "Access denied")
                    payload = json.loads(raw) if raw else {}
                    if not isinstance(payload, dict):
                        raise ApiError(400, "bad request data")
                    status, body = self._route(method, path, query, payload)
        except ApiError as err:
            status, body = err.code, err.body
        except json.JSONDecodeError:
            status, body = 400, {"message": "bad request data"}
        except Exception as exc:  # a bug in the fake must not hang the client
            status, body = 500, {"message": f"fake grafana: {type(exc).__name__}: {exc}"}
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _authenticate(self, header: str | None) -> str:
        if not header:
            raise ApiError(401, "Unauthorized")
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer" and value in self.tokens:
            return self.tokens[value]
        if scheme == "Basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise ApiError(401, "Unauthorized") from None
            known = self.users.get(user)
            if known and known[0] == password:
                return known[1]
            raise ApiError(401, "invalid username or password")
        raise ApiError(401, "invalid API key")

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("GET", r"/api/folders", self._list_folders),
            ("POST", r"/api/folders", self._create_folder),
            ("GET", r"/api/folders/([^/]+)", self._get_folder),
            ("GET", r"/api/datasources/uid/([^/]+)", self._get_datasource_by_uid),
            ("GET", r"/api/datasources/name/([^/]+)", self._get_datasource_by_name),
            ("POST", r"/api/datasources", self._create_datasource),
            ("PUT", r"/api/datasources/uid/([^/]+)", self._update_datasource),
            ("POST", r"/api/dashboards/db", self._save_dashboard),
            ("GET", r"/api/dashboards/uid/([^/]+)", self._get_dashboard),
            ("GET", r"/api/search", self._search),
            ("POST", r"/api/annotations", self._create_annotation),
            ("GET", r"/api/annotations", self._list_annotations),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                args = [unquote(g) for g in match.groups()]
                return handler(*args, query=query, body=body)
        raise ApiError(404, "Not found")

    # --- folders -------------------------------------------------------------------------------

    def _list_folders(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        return 200, [
            {"id": f["id"], "uid": f["uid"], "title": f["title"]}
            for f in self.state.folders.values()
        ]

    def _create_folder(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        title = body.get("title")
        if not title:
            raise ApiError(400, "folder title cannot be empty")
        uid = body.get("uid") or f"f{self.state.next_id + 1}"
        if uid in self.state.folders:
            raise ApiError(409, "a folder with the same uid already exists")
        if any(f["title"] == title for f in self.state.folders.values()):
            raise ApiError(409, "a folder with the same name already exists")
        folder = {
            "id": self.state.new_id(),
            "uid": uid,
            "title": title,
            "url": f"/dashboards/f/{uid}/{_slug(title)}",
            "version": 1,
        }
        self.state.folders[uid] = folder
        return 200, folder

    def _get_folder(self, uid: str, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        if uid not in self.state.folders:
            raise ApiError(404, "folder not found", status="not-found")
        return 200, self.state.folders[uid]

    # --- data sources --------------------------------------------------------------------------

    @staticmethod
    def _public(ds: Json) -> Json:
        """A data source as GET returns it: secrets replaced by `secureJsonFields`."""
        out = {k: v for k, v in ds.items() if k != "secureJsonData"}
        out["secureJsonFields"] = {k: True for k in ds.get("secureJsonData") or {}}
        return out

    def _get_datasource_by_uid(
        self, uid: str, *, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Any]:
        if uid not in self.state.datasources:
            raise ApiError(404, "Data source not found")
        return 200, self._public(self.state.datasources[uid])

    def _get_datasource_by_name(
        self, name: str, *, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Any]:
        for ds in self.state.datasources.values():
            if ds["name"] == name:
                return 200, self._public(ds)
        raise ApiError(404, "Data source not found")

    def _create_datasource(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        if not body.get("name") or not body.get("type"):
            raise ApiError(400, "name and type are required")
        if any(d["name"] == body["name"] for d in self.state.datasources.values()):
            raise ApiError(409, "data source with the same name already exists")
        uid = body.get("uid") or f"ds{self.state.next_id + 1}"
        if uid in self.state.datasources:
            raise ApiError(409, "data source with the same uid already exists")
        ds = {**body, "uid": uid, "id": self.state.new_id(), "version": 1, "orgId": 1}
        self.state.datasources[uid] = ds
        public = self._public(ds)
        return 200, {
            "datasource": public,
            "id": ds["id"],
            "message": "Datasource added",
            "name": ds["name"],
        }

    def _update_datasource(
        self, uid: str, *, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Any]:
        existing = self.state.datasources.get(uid)
        if existing is None:
            raise ApiError(404, "Data source not found")
        name = body.get("name", existing["name"])
        if any(d["name"] == name and u != uid for u, d in self.state.datasources.items()):
            raise ApiError(409, "data source with the same name already exists")
        secure = {**(existing.get("secureJsonData") or {}), **(body.get("secureJsonData") or {})}
        ds = {
            **body,
            "uid": uid,
            "id": existing["id"],
            "version": existing["version"] + 1,
            "orgId": 1,
            "secureJsonData": secure,
        }
        self.state.datasources[uid] = ds
        public = self._public(ds)
        return 200, {
            "datasource": public,
            "id": ds["id"],
            "message": "Datasource updated",
            "name": name,
        }

    # --- dashboards ----------------------------------------------------------------------------

    def _save_dashboard(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        dash = body.get("dashboard")
        if not isinstance(dash, dict):
            raise ApiError(400, "bad request data")
        title = str(dash.get("title") or "").strip()
        if not title:
            raise ApiError(400, "Dashboard title cannot be empty")
        uid = str(dash.get("uid") or f"d{self.state.next_id + 1}")
        if len(uid) > 40:
            raise ApiError(400, "uid too long, max 40 characters")
        folder_uid = str(body.get("folderUid") or "")
        if folder_uid and folder_uid not in self.state.folders:
            raise ApiError(404, "folder not found", status="not-found")
        overwrite = bool(body.get("overwrite"))
        existing = self.state.dashboards.get(uid)
        if existing is None and dash.get("id"):
            raise ApiError(404, "Dashboard not found", status="not-found")
        # Grafana: somebody saved in between (or the body was never read from here).
        stale = existing is not None and dash.get("version") != existing["dashboard"]["version"]
        if stale and not overwrite:
            raise ApiError(
                412, "The dashboard has been changed by someone else", status="version-mismatch"
            )
        for other_uid, other in list(self.state.dashboards.items()):
            same_place = other["folderUid"] == folder_uid and other["dashboard"]["title"] == title
            if other_uid != uid and same_place:
                if not overwrite:
                    raise ApiError(
                        412,
                        "A dashboard with the same name in the folder already exists",
                        status="name-exists",
                    )
                del self.state.dashboards[other_uid]
        version = existing["dashboard"]["version"] + 1 if existing else 1
        dash_id = existing["dashboard"]["id"] if existing else self.state.new_id()
        stored = {
            **json.loads(json.dumps(dash)),
            "id": dash_id,
            "uid": uid,
            "version": version,
            "title": title,
        }
        self.state.dashboards[uid] = {
            "dashboard": stored,
            "folderUid": folder_uid,
            "message": body.get("message", ""),
        }
        slug = _slug(title)
        return 200, {
            "id": dash_id,
            "uid": uid,
            "url": f"/d/{uid}/{slug}",
            "status": "success",
            "version": version,
            "slug": slug,
            "folderUid": folder_uid,
        }

    def _get_dashboard(
        self, uid: str, *, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Any]:
        entry = self.state.dashboards.get(uid)
        if entry is None:
            raise ApiError(404, "Dashboard not found", status="not-found")
        dash = json.loads(json.dumps(entry["dashboard"]))
        folder = self.state.folders.get(entry["folderUid"])
        meta = {
            "type": "db",
            "slug": _slug(dash["title"]),
            "url": f"/d/{uid}/{_slug(dash['title'])}",
            "version": dash["version"],
            "folderUid": entry["folderUid"],
            "folderTitle": folder["title"] if folder else "Dashboards",
            "folderId": folder["id"] if folder else 0,
            "provisioned": False,
            "canSave": True,
        }
        return 200, {"dashboard": dash, "meta": meta}

    def _search(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        text = (query.get("query") or [""])[0].lower()
        kind = (query.get("type") or [""])[0]
        folder_uids = set(query.get("folderUIDs") or [])
        tags = set(query.get("tag") or [])
        hits: list[Json] = []
        if kind in ("", "dash-folder"):
            for f in self.state.folders.values():
                if text in f["title"].lower() and not tags:
                    hits.append(
                        {
                            "id": f["id"],
                            "uid": f["uid"],
                            "title": f["title"],
                            "type": "dash-folder",
                            "url": f["url"],
                            "tags": [],
                        }
                    )
        if kind in ("", "dash-db"):
            for uid, entry in self.state.dashboards.items():
                d = entry["dashboard"]
                if text not in d["title"].lower():
                    continue
                if folder_uids and entry["folderUid"] not in folder_uids:
                    continue
                if tags and not tags <= set(d.get("tags") or []):
                    continue
                hits.append(
                    {
                        "id": d["id"],
                        "uid": uid,
                        "title": d["title"],
                        "type": "dash-db",
                        "url": f"/d/{uid}/{_slug(d['title'])}",
                        "tags": d.get("tags") or [],
                        "folderUid": entry["folderUid"],
                    }
                )
        return 200, hits

    # --- annotations ---------------------------------------------------------------------------

    def _create_annotation(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        if not body.get("text"):
            raise ApiError(400, "text field should not be empty")
        dash_uid = body.get("dashboardUID")
        if dash_uid and dash_uid not in self.state.dashboards:
            raise ApiError(404, "Dashboard not found", status="not-found")
        ann_id = self.state.new_id()
        now_ms = int(time.time() * 1000)
        stored = {
            "id": ann_id,
            "time": body.get("time", now_ms),
            "timeEnd": body.get("timeEnd", body.get("time", now_ms)),
            **body,
        }
        self.state.annotations.append(stored)
        return 200, {"message": "Annotation added", "id": ann_id}

    def _list_annotations(self, *, query: dict[str, list[str]], body: Json) -> tuple[int, Any]:
        tags = set(query.get("tags") or [])
        return 200, [a for a in self.state.annotations if tags <= set(a.get("tags") or [])]
