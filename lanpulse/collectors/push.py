"""The push receiver: InfluxDB-compatible HTTP endpoints for agents (I/O only).

Telegraf's `outputs.influxdb` (v1 `/write`, `/query` for its CREATE DATABASE, `/ping`),
`outputs.influxdb_v2` and influxdb-client (`/api/v2/write`, `/health`) point at it unchanged.
It listens on its own port, never on the admin server's: agent traffic is untrusted (as
Telegraf's own influxdb_listener keeps it apart). It authenticates, bounds and inflates the
body, asks the sink for room first (back-pressure: 429 / 503 with Retry-After, so agents keep
their buffer and retry: never a silent drop), and hands the text to the ingest callback,
which parses and maps it. Every refusal is counted by reason and logged (rate-limited).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import ssl
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from lanpulse.core.model import Secret

log = logging.getLogger("lanpulse.agents")

Api = Literal["v1", "v2"]
V1_PRECISIONS = frozenset({"n", "ns", "u", "ms", "s", "m", "h"})
V2_PRECISIONS = {"ns": "n", "us": "u", "ms": "ms", "s": "s"}
LOG_EVERY_S = 10.0  # one log line per refusal reason this often, with the count in between
VERSION = "1.8.10"  # what /ping claims: clients only check that it is a 1.x or 2.x


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """An accepted token: its name, and the hosts it may push (None: any)."""

    name: str
    hosts: re.Pattern[str] | None = None

    def allows(self, host: str) -> bool:
        """May this token speak for `host`?"""
        return self.hosts is None or self.hosts.fullmatch(host) is not None


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One authenticated, inflated write request."""

    text: str
    precision: str  # n, u, ms, s, m, h
    grant: TokenGrant
    api: Api
    received_ns: int
    peer: str


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What the ingest made of a request: accepted points, refused lines and why."""

    accepted: int
    refused: int = 0  # malformed lines
    host_refused: int = 0  # lines of a host the token may not push, or not listed
    first_error: str | None = None  # "line N: reason" of the first refused line
    retry_after_s: float | None = None  # set when the sinks refused the data (503)


@dataclass(slots=True)
class ReceiverStats:
    """Counters for self-monitoring: requests, lines, and refusals by reason."""

    requests: int = 0
    lines_accepted: int = 0
    lines_refused: int = 0
    bytes_received: int = 0
    refusals: Counter[str] = field(default_factory=Counter)

    def as_fields(self) -> dict[str, int | float]:
        """Counter name -> value (`push_refused_<reason>` per reason)."""
        out: dict[str, int | float] = {
            "push_requests": self.requests,
            "push_lines_accepted": self.lines_accepted,
            "push_lines_refused": self.lines_refused,
            "push_bytes": self.bytes_received,
        }
        out.update({f"push_refused_{k}": v for k, v in self.refusals.items()})
        return out


class TokenTable:
    """Tokens by their SHA-256: one lookup per request whatever the number of agents."""

    def __init__(self, tokens: Sequence[tuple[str, Secret, Sequence[str]]]) -> None:
        self._by_digest: dict[bytes, TokenGrant] = {}
        for name, secret, hosts in tokens:
            pattern = re.compile("|".join(f"(?:{h})" for h in hosts)) if hosts else None
            self._by_digest[_digest(secret.reveal())] = TokenGrant(name, pattern)

    def grant(self, token: str | None) -> TokenGrant | None:
        """The grant of `token`, None when it is unknown or missing."""
        return self._by_digest.get(_digest(token)) if token else None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class PushReceiver:
    """The aiohttp application and its listener."""

    def __init__(
        self,
        tokens: TokenTable,
        ingest: Callable[[PushRequest], PushOutcome],
        *,
        backlog: Callable[[], float | None],
        max_body: int,
        max_inflight: int,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.tokens = tokens
        self.ingest = ingest
        self.backlog = backlog  # None: room; a number: seconds the agent should wait
        self.max_body = max_body
        self.max_inflight = max_inflight
        self.clock_ns = clock_ns
        self.stats = ReceiverStats()
        self._inflight = 0
        self._logged_at: dict[str, float] = {}
        self._unlogged: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = web.Application(client_max_size=max_body + 1)
        self.app.router.add_post("/write", self._v1_write)
        self.app.router.add_post("/api/v2/write", self._v2_write)
        self.app.router.add_route("*", "/query", self._v1_query)
        self.app.router.add_route("*", "/ping", self._ping)
        self.app.router.add_get("/health", self._health)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        """Listen on host:port (port 0: a free one, then in `self.port`)."""
        # Inflated here, not by aiohttp, so that the size limit bounds the inflated body.
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, auto_decompress=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=tls, backlog=1024)
        await site.start()
        server = site._server  # aiohttp keeps the bound sockets there
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("agents push receiver on %s:%s%s", host, self.port, " (TLS)" if tls else "")

    async def stop(self) -> None:
        """Stop listening; requests in progress finish."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- endpoints ------------------------------------------------------------------------

    async def _v1_write(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("p") or _header_token(request, basic=True)
        precision = request.query.get("precision", "n")
        if precision not in V1_PRECISIONS:
            return self._refuse("bad_request", request, 400, f"invalid precision {precision!r}")
        return await self._write(request, "v1", token, "n" if precision == "ns" else precision)

    async def _v2_write(self, request: web.Request) -> web.StreamResponse:
        token = _header_token(request, basic=False)
        precision = V2_PRECISIONS.get(request.query.get("precision", "ns"))
        if precision is None:
            return self._refuse("bad_request", request, 400, "invalid precision", api="v2")
        return await self._write(request, "v2", token, precision)

    async def _v1_query(self, request: web.Request) -> web.StreamResponse:
        # Telegraf sends `CREATE DATABASE` at start (unless skip_database_creation): say
        # yes, so it does not log an error per agent; any other query is not served here.
        token = request.query.get("p") or _header_token(request, basic=True)
        if self.tokens.grant(token) is None:
            return self._refuse("unauthorized", request, 401, "authorization failed")
        query = request.query.get("q", "")
        if request.method == "POST" and not query:
            query = (await request.post()).get("q", "")  # type: ignore[assignment]
        if str(query).strip().upper().startswith("CREATE DATABASE"):
            return web.json_response({"results": [{"statement_id": 0}]})
        return self._refuse("bad_request", request, 400, "only CREATE DATABASE is served")

    async def _ping(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(status=204, headers={"X-Influxdb-Version": VERSION})

    async def _health(self, _request: web.Request) -> web.StreamResponse:
        return web.json_response({"name": "lanpulse", "status": "pass", "version": VERSION})

    async def _write(
        self, request: web.Request, api: Api, token: str | None, precision: str
    ) -> web.StreamResponse:
        self.stats.requests += 1
        grant = self.tokens.grant(token)
        if grant is None:
            return self._refuse("unauthorized", request, 401, "authorization failed", api=api)
        if self._inflight >= self.max_inflight:
            return self._refuse(
                "busy", request, 429, "too many requests at once", api=api, retry_after=1.0
            )
        wait = self.backlog()
        if wait is not None:
            return self._refuse(
                "backlog", request, 503, "lanpulse cannot keep up", api=api, retry_after=wait
            )
        self._inflight += 1
        try:
            return await self._read_and_ingest(request, api, grant, precision)
        finally:
            self._inflight -= 1

    async def _read_and_ingest(
        self, request: web.Request, api: Api, grant: TokenGrant, precision: str
    ) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > self.max_body:
            return self._refuse("too_large", request, 413, "request entity too large", api=api)
        body = await _read_limited(request, self.max_body)
        if body is None:
            return self._refuse("too_large", request, 413, "request entity too large", api=api)
        self.stats.bytes_received += len(body)
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            body = _gunzip(body, self.max_body)
            if body is None:
                return self._refuse("bad_gzip", request, 400, "body is not gzip", api=api)
            if len(body) > self.max_body:
                return self._refuse("too_large", request, 413, "request entity too large", api=api)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse("malformed", request, 400, "body is not UTF-8", api=api)
        peer = request.remote or "?"
        try:
            outcome = self.ingest(PushRequest(text, precision, grant, api, self.clock_ns(), peer))
        except Exception as exc:
            # The request boundary, as a poll is the device's: a bug in mapping one agent's
            # data answers 500 (the agent retries) and the daemon goes on.
            log.exception("push from %s (token %s) failed", peer, grant.name)
            return self._refuse(
                "internal", request, 500, f"internal error ({type(exc).__name__})", api=api
            )
        self.stats.lines_accepted += outcome.accepted
        self.stats.lines_refused += outcome.refused + outcome.host_refused
        if outcome.retry_after_s is not None:
            return self._refuse(
                "backlog",
                request,
                503,
                "lanpulse cannot keep up",
                api=api,
                retry_after=outcome.retry_after_s,
            )
        refused = outcome.refused + outcome.host_refused
        if refused:
            reason = outcome.first_error or "malformed line"
            message = f"partial write: {reason} dropped={refused}" if outcome.accepted else reason
            if outcome.host_refused:
                self.stats.refusals["host_refused"] += outcome.host_refused
            kind = "malformed" if outcome.refused else "host_refused"
            return self._refuse(kind, request, 400, message, api=api, count=outcome.refused)
        return web.Response(status=204)

    # --- refusals -------------------------------------------------------------------------

    def _refuse(
        self,
        reason: str,
        request: web.Request,
        status: int,
        message: str,
        *,
        api: Api = "v1",
        retry_after: float | None = None,
        count: int = 1,
    ) -> web.Response:
        self.stats.refusals[reason] += count
        self._log(reason, f"{request.method} {request.path} from {request.remote}: {message}")
        headers = {"X-Influxdb-Version": VERSION}
        if retry_after is not None:
            headers["Retry-After"] = str(max(int(retry_after + 0.999), 1))
        if api == "v2":
            code = {401: "unauthorized", 413: "request too large", 429: "too many requests"}
            body = {"code": code.get(status, "invalid"), "message": message}
        else:
            body = {"error": message}
        return web.json_response(body, status=status, headers=headers)

    def _log(self, reason: str, message: str) -> None:
        now = time.monotonic()
        if now - self._logged_at.get(reason, -LOG_EVERY_S) < LOG_EVERY_S:
            self._unlogged[reason] += 1
            return
        more = self._unlogged.pop(reason, 0)
        suffix = f" ({more} more '{reason}' since the last line)" if more else ""
        log.warning("push refused (%s): %s%s", reason, message, suffix)
        self._logged_at[reason] = now


def _header_token(request: web.Request, *, basic: bool) -> str | None:
    """The token of `Authorization: Token X` (or Bearer), or a Basic password for v1."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value.strip() or None
    if basic and scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than `limit` (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes, limit: int) -> bytes | None:
    """Inflated gzip, at most `limit` + 1 bytes of it (a bomb stops there); None if corrupt."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    return out


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 at least) from PEM files; OSError/SSLError if bad."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context
