"""The status page's sign-in and its protection against cross-site requests.

A browser cannot send the API's bearer header from a form, so the page signs in once with
one of `web.tokens` (pasted into `/login`) and gets a session cookie (HttpOnly,
SameSite=Strict, Secure under TLS) naming that token; changes made through the page are
recorded under the token's name, as through the API. Every form carries a CSRF token (an
HMAC of the session id with a per-process secret) and a POST without the matching token, or
from another Origin, is refused. Reads follow the API's rule: open on loopback, signed in
beyond it. Sessions live in memory: a restart signs everyone out, which is the safe side.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from hashlib import sha256

from aiohttp import web

from lanpulse.web.auth import CALLER, Handler, TokenAuth

log = logging.getLogger(__name__)
COOKIE = "lanpulse_session"
SESSION_S = 12 * 3600.0
OPEN_PATHS = ("/login", "/healthz", "/metrics")
SESSION = web.RequestKey("session", str)


@dataclass(slots=True)
class _Session:
    name: str
    token: bytes  # the token signed in with: revoking it (SIGHUP) ends the session
    expires: float


class Sessions:
    """Signed-in browsers, by random session id."""

    def __init__(self, auth: TokenAuth, *, secure: bool) -> None:
        self.auth = auth
        self.secure = secure
        self._secret = secrets.token_bytes(32)
        self._by_id: dict[str, _Session] = {}

    def sign_in(self, presented: str, response: web.StreamResponse) -> str | None:
        """The token's name and a cookie on `response`, or None for an unknown token."""
        name = self.auth.name_of(presented)
        if name is None:
            return None
        now = time.monotonic()
        self._by_id = {k: s for k, s in self._by_id.items() if s.expires > now}
        sid = secrets.token_urlsafe(24)
        self._by_id[sid] = _Session(name, presented.strip().encode(), now + SESSION_S)
        response.set_cookie(
            COOKIE,
            sid,
            httponly=True,
            samesite="Strict",
            secure=self.secure,
            path="/",
            max_age=int(SESSION_S),
        )
        return name

    def sign_out(self, request: web.Request, response: web.StreamResponse) -> None:
        """Forget the session and its cookie."""
        self._by_id.pop(request.cookies.get(COOKIE, ""), None)
        response.del_cookie(COOKIE, path="/")

    def of(self, request: web.Request) -> tuple[str, str] | None:
        """(session id, token name) of a live session whose token is still configured."""
        sid = request.cookies.get(COOKIE, "")
        session = self._by_id.get(sid)
        if session is None or session.expires <= time.monotonic():
            return None
        if self.auth.name_of(session.token.decode()) != session.name:
            return None
        return sid, session.name

    def csrf_token(self, sid: str) -> str:
        """The value every form of session `sid` must post back."""
        return hmac.new(self._secret, sid.encode(), sha256).hexdigest()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Pages: reads as the API's; every POST signed in, same origin, with its CSRF token."""
        path = request.path
        if path.startswith("/api/"):
            return await handler(request)
        origin = request.headers.get("Origin")
        if request.method not in ("GET", "HEAD") and not _same_origin(origin, request.host):
            log.warning("page: %s %s refused: cross-site origin", request.method, path)
            raise web.HTTPForbidden(text="cross-site request refused")
        if path in OPEN_PATHS:
            return await handler(request)
        found = self.of(request)
        if found is not None:
            request[SESSION] = found[0]
            request[CALLER] = found[1]
        if request.method in ("GET", "HEAD"):
            if found is None and self.auth.reads_need_token:
                raise web.HTTPSeeOther(f"/login?next={path}")
            return await handler(request)
        if found is None:
            raise web.HTTPSeeOther("/login")
        form = await request.post()
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given, self.csrf_token(found[0])):
            log.warning("page: %s %s refused: missing or wrong CSRF token", request.method, path)
            raise web.HTTPForbidden(text="the form has expired: reload the page and try again")
        return await handler(request)


def _same_origin(origin: str | None, host: str) -> bool:
    """No Origin header (not a browser, or an old one: the CSRF token still guards), or ours."""
    return origin is None or origin.split("://", 1)[-1] == host
