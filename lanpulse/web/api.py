"""`/api/v1`: the active alerts, silences and acknowledgements, as JSON.

    GET    /api/v1/alerts              pending and firing alerts (id, labels, muted/acked by)
    GET    /api/v1/silences            silences in force, to come, or ended within a day
    POST   /api/v1/silences            {"matchers": "device=x,rule=y" or [{name, value,
                                        isRegex, isEqual}], "duration": "1h", "comment": ...}
    DELETE /api/v1/silences/{id}       expire a silence now (an id prefix will do)
    POST   /api/v1/acks                {"alert": "ID" or "RULE/DEVICE", "comment": ...}
    POST   /api/v1/dead-letters/retry  queue notifications a receiver refused for good again

Changes need a token (see `auth`); the token's name is who made the change.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from lanpulse.alerts.control import ElsewhereUnavailable
from lanpulse.alerts.rules import parse_duration
from lanpulse.alerts.silences import Matcher, matcher_from_api, parse_matchers
from lanpulse.web.auth import caller_of
from lanpulse.web.status import AlertControl

MAX_SILENCE_S = 366 * 86400.0


CONTROL = web.AppKey("control", AlertControl)


class BadRequest(ValueError):
    """A request body that cannot be used; the message is the one line the caller sees."""


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object")
    return data


def _matchers(raw: object) -> tuple[Matcher, ...]:
    if isinstance(raw, str):
        return parse_matchers([raw])
    if isinstance(raw, list) and raw and all(isinstance(m, dict) for m in raw):
        return tuple(matcher_from_api(m) for m in raw)
    raise BadRequest('matchers: expected "label=value,..." or a list of {name, value}')


def _comment(data: dict[str, Any]) -> str:
    comment = data.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 1000:
        raise BadRequest("comment: expected a text of at most 1000 characters")
    return comment


async def get_alerts(request: web.Request) -> web.Response:
    """GET /api/v1/alerts."""
    return web.json_response(await request.app[CONTROL].alerts())


async def get_silences(request: web.Request) -> web.Response:
    """GET /api/v1/silences."""
    return web.json_response(await request.app[CONTROL].silences())


async def post_silence(request: web.Request) -> web.Response:
    """POST /api/v1/silences."""
    try:
        data = await _body(request)
        matchers = _matchers(data.get("matchers"))
        try:
            duration = parse_duration(data.get("duration", "1h"))
        except ValueError as exc:
            raise BadRequest(f"duration: {exc}") from None
        if not 0 < duration <= MAX_SILENCE_S:
            raise BadRequest("duration: expected more than 0s and at most 366d")
        comment = _comment(data)
    except (BadRequest, ValueError) as exc:
        return _bad(str(exc))
    control = request.app[CONTROL]
    silence = await control.add_silence(matchers, duration, comment, caller_of(request))
    return web.json_response(silence, status=201)


async def delete_silence(request: web.Request) -> web.Response:
    """DELETE /api/v1/silences/{id}."""
    sid = request.match_info["id"]
    ended = await request.app[CONTROL].expire_silence(sid, caller_of(request))
    if ended is None:
        return _bad(f"no silence with id {sid!r}", 404)
    return web.json_response(ended)


async def post_ack(request: web.Request) -> web.Response:
    """POST /api/v1/acks."""
    try:
        data = await _body(request)
        ref = data.get("alert")
        if not isinstance(ref, str) or not ref.strip():
            raise BadRequest("alert: expected an alert id or RULE/DEVICE")
        comment = _comment(data)
    except BadRequest as exc:
        return _bad(str(exc))
    try:
        acked = await request.app[CONTROL].ack(ref.strip(), comment, caller_of(request))
    except ElsewhereUnavailable as exc:  # a poller group's member without zookeeper
        message = f"no firing alert matches {ref!r} here; the group's cannot be read ({exc})"
        return _bad(message, 503)
    if not acked:
        return _bad(f"no firing alert matches {ref!r}", 404)
    return web.json_response({"acked": acked})


async def post_retry(request: web.Request) -> web.Response:
    """POST /api/v1/dead-letters/retry."""
    count = await request.app[CONTROL].retry_dead_letters(caller_of(request))
    return web.json_response({"queued": count})


def add_api_routes(app: web.Application, control: AlertControl) -> None:
    """Mount `/api/v1` on `app`."""
    app[CONTROL] = control
    app.router.add_get("/api/v1/alerts", get_alerts)
    app.router.add_get("/api/v1/silences", get_silences)
    app.router.add_post("/api/v1/silences", post_silence)
    app.router.add_delete("/api/v1/silences/{id}", delete_silence)
    app.router.add_post("/api/v1/acks", post_ack)
    app.router.add_post("/api/v1/dead-letters/retry", post_retry)
