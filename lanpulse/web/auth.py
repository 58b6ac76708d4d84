"""Who is calling: named bearer tokens, checked at this edge only.

Reads are open on loopback; every state-changing call (anything but GET/HEAD) needs
`Authorization: Bearer <token>` matching one of `web.tokens`, and its JSON body. Beyond
loopback every `/api/v1` call needs a token. A browser cannot forge either (a cross-site form
can neither set the header nor send `application/json` without a CORS preflight, which this
server never grants), so there is no cookie and nothing for a CSRF token to protect.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from lanpulse.config.web import ApiToken

log = logging.getLogger(__name__)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CALLER = web.RequestKey("caller", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TokenAuth:
    """Maps a presented bearer token to its name (constant-time comparison)."""

    def __init__(self, tokens: Sequence[ApiToken], *, reads_need_token: bool) -> None:
        self.reads_need_token = reads_need_token
        self.set_tokens(tokens)

    def set_tokens(self, tokens: Sequence[ApiToken]) -> None:
        """Use `tokens` from now on (SIGHUP: a revoked token stops working at once)."""
        self._tokens = [(t.name, t.token_file.reveal().encode()) for t in tokens]

    def caller(self, request: web.Request) -> str | None:
        """The token's name, or None when no configured token was presented."""
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return None
        return self.name_of(presented)

    def name_of(self, presented: str) -> str | None:
        """The name of the configured token `presented` is, or None."""
        given = presented.strip().encode()
        if not given:
            return None
        found = None
        for name, token in self._tokens:  # no early exit: timing says nothing about which
            if hmac.compare_digest(given, token):
                found = name
        return found

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse state changes (and, beyond loopback, API reads) without a valid token."""
        changes = request.method not in READ_METHODS
        if not request.path.startswith("/api/") or not (changes or self.reads_need_token):
            return await handler(request)
        if not self._tokens:
            return _refuse(403, "no API tokens are configured (web.tokens)")
        name = self.caller(request)
        if name is None:
            log.warning("api: %s %s refused: no valid token", request.method, request.path)
            return _refuse(401, "a valid bearer token is required")
        if changes and request.can_read_body and request.content_type != "application/json":
            return _refuse(415, "expected a JSON body (Content-Type: application/json)")
        request[CALLER] = name
        return await handler(request)


def _refuse(status: int, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="lanpulse"'} if status == 401 else None
    return web.json_response({"error": message}, status=status, headers=headers)


def caller_of(request: web.Request) -> str:
    """The authenticated token name of a request (`anonymous` for open reads)."""
    return request.get(CALLER, "anonymous")
