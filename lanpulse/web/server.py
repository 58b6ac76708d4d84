"""The daemon's HTTP endpoint on aiohttp: `/healthz`, `/metrics`, `/api/v1`, `/` (status).

A port that cannot be bound fails the daemon's start with one line (`WebStartError`):
another process answering `/healthz` on our port would be worse than no daemon at all.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from lanpulse.config.web import WebSettings, is_loopback, parse_listen
from lanpulse.core.errors import LanpulseError
from lanpulse.web.api import add_api_routes
from lanpulse.web.auth import TokenAuth
from lanpulse.web.estate import EstateView
from lanpulse.web.pages import add_page_routes
from lanpulse.web.session import Sessions
from lanpulse.web.status import AlertControl, LocalStatus, StatusSource
from lanpulse.web.status_api import add_status_api_routes

log = logging.getLogger(__name__)


class WebStartError(LanpulseError):
    """The HTTP endpoint cannot start (port busy, bad certificate): the daemon must not run."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    """What the daemon exposes: numbers, a health verdict, metrics text, alert control."""

    stats: Callable[[], Mapping[str, object]]
    healthy: Callable[[], bool]
    metrics_text: Callable[[], str]
    control: AlertControl | None = None
    # What the status page and its API read (None: the counters and no devices).
    status: StatusSource | None = None


class WebServer:
    """Serves `Endpoints` on `daemon.http_listen`, with the `web:` section's TLS and tokens."""

    def __init__(
        self, listen: str, endpoints: Endpoints, settings: WebSettings, base_dir: Path
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.endpoints = endpoints
        self.settings = settings
        self.base_dir = base_dir
        self.auth = TokenAuth(settings.tokens, reads_need_token=not is_loopback(self.host))
        self.sessions = Sessions(self.auth, secure=settings.tls is not None)
        self.app = web.Application(
            middlewares=[self.auth.middleware, self.sessions.middleware],
            client_max_size=64 * 1024,
        )
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics)
        source = endpoints.status or LocalStatus(
            EstateView(), endpoints.stats, endpoints.healthy, endpoints.control
        )
        add_page_routes(self.app, source, self.sessions)
        add_status_api_routes(self.app)
        if endpoints.control is not None:
            add_api_routes(self.app, endpoints.control)
        self._runner: web.AppRunner | None = None

    @property
    def listening(self) -> bool:
        """Whether `start` succeeded and `stop` has not run."""
        return self._runner is not None

    @property
    def scheme(self) -> str:
        """`https` with TLS, else `http`."""
        return "https" if self.settings.tls is not None else "http"

    def _ssl(self) -> ssl.SSLContext | None:
        if self.settings.tls is None:
            return None
        cert, key = self.settings.tls.cert_file, self.settings.tls.key_file
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(self.base_dir / cert, self.base_dir / key)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "invalid"
            raise WebStartError(f"web.tls: cannot load {cert!r} with {key!r}: {reason}") from None
        return ctx

    async def start(self) -> None:
        """Listen; WebStartError (one line) when the address cannot be used."""
        ssl_context = self._ssl()
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=ssl_context)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise WebStartError(
                f"daemon.http_listen: cannot listen on {self.host}:{self.port}: "
                f"{exc.strerror or exc}; stop the other process, choose another address, "
                "or start with --no-http"
            ) from None
        self._runner = runner
        for address in runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        log.info("HTTP endpoint on %s://%s:%d", self.scheme, self.host, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        ok = self.endpoints.healthy()
        body = {"status": "ok" if ok else "degraded", **self.endpoints.stats()}
        return web.Response(
            text=json.dumps(body, default=str),
            status=200 if ok else 503,
            content_type="application/json",
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.endpoints.metrics_text().encode(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
