"""The status page's HTML views (Jinja2 templates in `templates/`, autoescaped).

Each page reads the same functions as its `/api/v1` twin (`status.StatusSource`), so the page and
`lanpulse status` can never disagree. Forms post to the page's own paths; `session` checks
sign-in, origin and the CSRF token before any handler here runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from lanpulse.alerts.control import ElsewhereUnavailable
from lanpulse.alerts.rules import parse_duration
from lanpulse.alerts.silences import parse_matchers
from lanpulse.web.api import MAX_SILENCE_S
from lanpulse.web.auth import caller_of
from lanpulse.web.charts import human, sparkline
from lanpulse.web.estate import filter_rows, sort_rows
from lanpulse.web.session import SESSION, Sessions
from lanpulse.web.status import AlertControl, StatusSource

TEMPLATES = Path(__file__).parent / "templates"
FILTERS = ("class", "site", "group", "status", "profile", "q")
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)
_env.filters["human"] = human
_env.filters["sparkline"] = sparkline


SOURCE = web.AppKey("status_source", StatusSource)
SESSIONS = web.AppKey("sessions", Sessions)


def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    sid = request.get(SESSION)
    sessions = request.app[SESSIONS]
    html = _env.get_template(template).render(
        user=caller_of(request) if sid else None,
        csrf=sessions.csrf_token(sid) if sid else "",
        path=request.path,
        **context,
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


async def summary_page(request: web.Request) -> web.Response:
    """GET /: the estate at a glance."""
    source = request.app[SOURCE]
    return _render(request, "summary.html", s=await source.summary(), alerts=await source.alerts())


async def devices_page(request: web.Request) -> web.Response:
    """GET /devices: the filterable, sortable table."""
    filters = {k: request.query.get(k, "") for k in FILTERS}
    sort = request.query.get("sort", "name")
    everything = await request.app[SOURCE].rows({}, "name")
    choices = {
        k: sorted({str(r[k]) for r in everything if r[k]})
        for k in ("class", "site", "group", "status", "profile")
    }
    rows = sort_rows(filter_rows(everything, filters), sort)
    return _render(request, "devices.html", rows=rows, filters=filters, sort=sort, choices=choices)


async def device_page(request: web.Request) -> web.Response:
    """GET /devices/{name}."""
    name = request.match_info["name"]
    detail = await request.app[SOURCE].device(name)
    if detail is None:
        raise web.HTTPNotFound(text=f"no device named {name!r}")
    return _render(request, "device.html", d=detail)


async def alerts_page(request: web.Request) -> web.Response:
    """GET /alerts: firing and pending, by severity, with silence and ack forms."""
    alerts = await request.app[SOURCE].alerts()
    alerts.sort(key=lambda a: (SEVERITY_ORDER.get(a["severity"], 9), a["state"] != "firing"))
    message = request.query.get("done", "")
    return _render(request, "alerts.html", alerts=alerts, message=message)


async def silences_page(request: web.Request) -> web.Response:
    """GET /silences."""
    control = request.app[SOURCE].control
    silences = await control.silences() if control is not None else []
    return _render(request, "silences.html", silences=silences[::-1])


async def self_page(request: web.Request) -> web.Response:
    """GET /self: scheduler, workers, spool, writers, receivers."""
    source = request.app[SOURCE]
    stats = {k: v for k, v in source.stats().items() if k != "notifiers"}
    summary = await source.summary()
    return _render(request, "self.html", s=summary, stats=stats, workers=source.workers())


def _control(request: web.Request) -> AlertControl:
    control = request.app[SOURCE].control
    if control is None:
        raise web.HTTPConflict(text="alerting is not configured")
    return control


def _back(done: str) -> web.HTTPSeeOther:
    from urllib.parse import quote

    return web.HTTPSeeOther(f"/alerts?done={quote(done)}")


async def silence_form(request: web.Request) -> web.Response:
    """POST /alerts/silence: matchers, duration, comment."""
    control = _control(request)
    form = await request.post()
    try:
        matchers = parse_matchers([str(form.get("matchers", ""))])
        duration = parse_duration(str(form.get("duration", "1h")))
        if not 0 < duration <= MAX_SILENCE_S:
            raise ValueError("duration: expected more than 0s and at most 366d")
    except ValueError as exc:
        raise _back(f"not silenced: {exc}") from None
    comment = str(form.get("comment", ""))[:1000]
    made = await control.add_silence(matchers, duration, comment, caller_of(request))
    raise _back(f"silence {made['id']} added")


async def ack_form(request: web.Request) -> web.Response:
    """POST /alerts/ack."""
    form = await request.post()
    ref = str(form.get("alert", "")).strip()
    try:
        acked = await _control(request).ack(
            ref, str(form.get("comment", ""))[:1000], caller_of(request)
        )
    except ElsewhereUnavailable as exc:
        done = f"nothing matches {ref!r} here; the group's alerts cannot be read ({exc})"
        raise _back(done) from None
    raise _back(f"acknowledged {len(acked)} alert(s)" if acked else f"nothing matches {ref!r}")


async def expire_form(request: web.Request) -> web.Response:
    """POST /silences/{id}/expire."""
    await _control(request).expire_silence(request.match_info["id"], caller_of(request))
    raise web.HTTPSeeOther("/silences")


async def login_page(request: web.Request) -> web.Response:
    """GET /login: the token form; POST: sign in with it."""
    if request.method == "GET":
        return _render(request, "login.html", error="", next=request.query.get("next", "/"))
    form = await request.post()
    target = str(form.get("next", "/"))
    target = target if target.startswith("/") and not target.startswith("//") else "/"
    response = web.HTTPSeeOther(target)
    if request.app[SESSIONS].sign_in(str(form.get("token", "")), response) is None:
        return _render(request, "login.html", error="unknown token", next=target)
    raise response


async def logout_form(request: web.Request) -> web.Response:
    """POST /logout."""
    response = web.HTTPSeeOther("/")
    request.app[SESSIONS].sign_out(request, response)
    raise response


def add_page_routes(app: web.Application, source: StatusSource, sessions: Sessions) -> None:
    """Mount the HTML pages on `app`."""
    app[SOURCE] = source
    app[SESSIONS] = sessions
    app.router.add_get("/", summary_page)
    app.router.add_get("/devices", devices_page)
    app.router.add_get("/devices/{name}", device_page)
    app.router.add_get("/alerts", alerts_page)
    app.router.add_post("/alerts/silence", silence_form)
    app.router.add_post("/alerts/ack", ack_form)
    app.router.add_get("/silences", silences_page)
    app.router.add_post("/silences/{id}/expire", expire_form)
    app.router.add_get("/self", self_page)
    app.router.add_route("*", "/login", login_page)
    app.router.add_post("/logout", logout_form)
