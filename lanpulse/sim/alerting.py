"""Real alert receivers on 127.0.0.1 for tests and demos: Debian's prometheus-alertmanager
and an aiosmtpd SMTP server that keeps every message it accepts.

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
from typing import Any

from lanpulse.sim.process import Service
from lanpulse.sim.servers import _Server


class Alertmanager(_Server):
    """Prometheus Alertmanager (v2 API) with a receiver that delivers nowhere."""

    binary = "prometheus-alertmanager"
    name = "alertmanager"

    def _command(self) -> list[str]:
        conf = self.workdir / "alertmanager.yml"
        conf.write_text(
            "route: {receiver: blackhole, group_wait: 1h}\nreceivers: [{name: blackhole}]\n"
        )
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
