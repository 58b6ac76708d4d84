"""Real alert receivers on 127.0.0.1 for tests and demos: Debian's prometheus-alertmanager,
an aiosmtpd SMTP server that keeps every message it accepts, and an HTTP sink that keeps
every JSON body posted to it (standing in for Slack, Teams, PagerDuty and webhook services,
which cannot be reached from here).

Each runs on a free port with its own temporary directory; only what is started here is
ever stopped.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from lanpulse.sim.process import Service
from lanpulse.sim.servers import _Server


class Alertmanager(_Server):
    """Prometheus Alertmanager (v2 API); by default with a receiver that delivers nowhere."""

    binary = "prometheus-alertmanager"
    name = "alertmanager"
    config = "route: {receiver: blackhole, group_wait: 1h}\nreceivers: [{name: blackhole}]\n"

    def __init__(self, workdir: Path | None = None, config: str | None = None) -> None:
        super().__init__(workdir)
        if config is not None:
            self.config = config

    def _command(self) -> list[str]:
        conf = self.workdir / "alertmanager.yml"
        conf.write_text(self.config)
        return [
            self.binary,
            f"--config.file={conf}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]

    def _ready_path(self) -> str:
        return "/-/ready"

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts Alertmanager holds as not resolved (`/api/v2/alerts`)."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as resp:
            alerts: list[dict[str, Any]] = json.load(resp)
        return alerts


@dataclass(frozen=True)
class Mail:
    """One message the SMTP sink accepted."""

    sender: str
    recipients: tuple[str, ...]
    message: Message

    @property
    def subject(self) -> str:
        """The Subject header."""
        return str(self.message.get("Subject", ""))

    def text(self) -> str:
        """Subject and every text part, for searching."""
        parts = [self.subject]
        for part in self.message.walk():
            if part.get_content_type().startswith("text/"):
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    parts.append(payload.decode(errors="replace"))
        return "\n".join(parts)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd calls this for every message: keep it, accept it."""
        mail = Mail(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            message_from_bytes(envelope.original_content or envelope.content),
        )
        with self.sink.lock:
            self.sink.messages.append(mail)
        return "250 OK"


class SmtpSink(Service):
    """An aiosmtpd SMTP server (in a thread) keeping every accepted message."""

    def __init__(self, **controller_kw: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.messages: list[Mail] = []
        self.lock = threading.Lock()
        self._kw = controller_kw
        self._controller: Any = None

    def start(self) -> SmtpSink:
        """Start listening."""
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **self._kw
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails(self) -> list[Mail]:
        """A copy of the messages accepted so far."""
        with self.lock:
            return list(self.messages)


class Posted(NamedTuple):
    """One JSON body the HTTP sink received."""

    path: str
    headers: dict[str, str]
    body: Any


class HttpSink(Service):
    """A threaded HTTP server on 127.0.0.1 keeping every JSON POST. It answers 200 (202 on
    `/enqueue`, as PagerDuty does), or the next of `statuses` while any are left."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[Posted] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpSink:
        """Start serving in a thread."""
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.lock:
                    sink.posts.append(Posted(self.path, dict(self.headers), json.loads(body)))
                    ok = 202 if self.path.endswith("/enqueue") else 200
                    status = sink.statuses.pop(0) if sink.statuses else ok
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self, path: str) -> list[Any]:
        """The bodies posted to `path`, in order."""
        with self.lock:
            return [p.body for p in self.posts if p.path == path]
