"""`/api/v1` reads behind the status page (the same `StatusSource` the HTML renders).

GET /api/v1/summary              the estate summary
GET /api/v1/devices?class=&site=&group=&status=&profile=&q=&sort=   the devices table
GET /api/v1/devices/{name}       one device: sections, alerts, events, last-hour series
GET /api/v1/self                 the counters and the workers (one process: none)
"""

from __future__ import annotations

import json

from aiohttp import web

from lanpulse.web.pages import FILTERS, SOURCE


async def get_summary(request: web.Request) -> web.Response:
    """GET /api/v1/summary."""
    return web.json_response(await request.app[SOURCE].summary())


async def get_devices(request: web.Request) -> web.Response:
    """GET /api/v1/devices."""
    filters = {k: request.query.get(k, "") for k in FILTERS}
    rows = await request.app[SOURCE].rows(filters, request.query.get("sort", "name"))
    return web.json_response(rows)


async def get_device(request: web.Request) -> web.Response:
    """GET /api/v1/devices/{name}."""
    name = request.match_info["name"]
    detail = await request.app[SOURCE].device(name)
    if detail is None:
        return web.json_response({"error": f"no device named {name!r}"}, status=404)
    return web.json_response(detail)


async def get_self(request: web.Request) -> web.Response:
    """GET /api/v1/self."""
    source = request.app[SOURCE]
    stats = {k: v for k, v in source.stats().items() if k != "notifiers"}
    return web.json_response({**source.workers(), "stats": stats}, dumps=_dumps)


def _dumps(data: object) -> str:
    return json.dumps(data, default=str)


def add_status_api_routes(app: web.Application) -> None:
    """Mount the reads (after `add_page_routes`, which holds the source)."""
    app.router.add_get("/api/v1/summary", get_summary)
    app.router.add_get("/api/v1/devices", get_devices)
    app.router.add_get("/api/v1/devices/{name}", get_device)
    app.router.add_get("/api/v1/self", get_self)
