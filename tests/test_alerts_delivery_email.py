"""E-mail delivery to a REAL SMTP server: aiosmtpd started here on a free 127.0.0.1 port,
plain, STARTTLS, implicit TLS and AUTH (self-signed certificate made in the test)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lanpulse.alerts.dispatcher import Dispatcher
from lanpulse.alerts.engine import AlertEngine, EngineOptions
from lanpulse.alerts.notifiers.email import EmailNotifier
from lanpulse.alerts.rules import load_rules
from lanpulse.alerts.service import AlertingService, build_notifiers, build_routes
from lanpulse.alerts.yamlsrc import parse_yaml
from lanpulse.config.alerting import AlertingSettings
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent, Sample, Secret
from lanpulse.sim.alerting import HttpSink
from tests._tls import self_signed

S = 1_000_000_000
T0 = 1_800_000_000 * S


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    return self_signed(tmp_path_factory.mktemp("tls"))


def server_tls(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"lanpulse", b"s3cret")
    return AuthResult(success=ok, handled=False)


def start(sink: Sink, **kw: Any) -> Controller:
    ctl = Controller(sink, hostname="127.0.0.1", port=free_port(), **kw)
    ctl.start()
    return ctl


@pytest.fixture
def plain_smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    ctl = start(sink)
    yield sink, ctl.port
    ctl.stop()


def firing(device: str = "sw1") -> AlertEvent:
    labels = {"alertname": "device_down", "severity": "critical", "device": device}
    return AlertEvent(
        "device_down",
        "critical",
        "firing",
        labels,
        0.0,
        f"{device} does not answer",
        "2 device(s) behind sw1 are unreachable.",
        T0,
        time_ns=T0,
    )


async def test_config_example_end_to_end_plain(plain_smtp: tuple[Sink, int]) -> None:
    """The issue's `email:` example, through engine -> dispatcher -> real SMTP server."""
    sink, port = plain_smtp
    settings = AlertingSettings.model_validate(
        {
            "email": {
                "host": "127.0.0.1",
                "port": port,
                "from": "lanpulse@example.org",
                "to": ["oncall@example.org"],
            },
            "routes": [{"receivers": ["email"], "group_wait": "10s"}],
        }
    )
    d = Dispatcher(build_notifiers(settings, Path(".")), build_routes(settings))
    rules = load_rules(
        parse_yaml(
            "rules:\n  - {name: device_down, measurement: device, field: up, below: 1, for: 30s,"
            " severity: critical, summary: '{device} does not answer'}\n",
            "r.yaml",
        )
    )
    e = AlertEngine(rules, options=EngineOptions(dependency_wait_s=0))
    e.observe([Sample("device", {"device": "sw1", "class": "switch"}, {"up": 0}, T0)], T0)
    d.submit(e.tick(T0 + 30 * S))
    await d.flush(T0 + 39 * S)
    assert sink.messages == []  # group_wait
    await d.flush(T0 + 40 * S)
    ((mail_from, rcpts, content),) = sink.messages
    assert mail_from == "lanpulse@example.org" and rcpts == ["oncall@example.org"]
    msg = message_from_bytes(content)
    assert msg["Subject"] == "[lanpulse] [FIRING:1] device_down sw1"
    assert "sw1 does not answer" in msg.get_payload()


async def test_starttls(cert: tuple[Path, Path]) -> None:
    sink = Sink()
    ctl = start(sink, tls_context=server_tls(cert), require_starttls=True)
    try:
        n = EmailNotifier(
            "127.0.0.1",
            ctl.port,
            "a@example.org",
            ["b@example.org"],
            starttls=True,
            ca_file=str(cert[0]),
        )
        await n.send([firing()])
        assert len(sink.messages) == 1
        plain = EmailNotifier("127.0.0.1", ctl.port, "a@example.org", ["b@example.org"])
        with pytest.raises(SinkError):  # the server insists on STARTTLS
            await plain.send([firing()])
    finally:
        ctl.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_implicit_tls_with_auth(cert: tuple[Path, Path]) -> None:
    sink = Sink()
    # aiosmtpd only counts STARTTLS as TLS; this connection is TLS from the first byte.
    ctl = start(
        sink,
        ssl_context=server_tls(cert),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    try:
        n = EmailNotifier(
            "127.0.0.1",
            ctl.port,
            "a@example.org",
            ["b@example.org"],
            tls=True,
            ca_file=str(cert[0]),
            user="lanpulse",
            password=Secret("s3cret"),
        )
        await n.send([firing()])
        assert len(sink.messages) == 1
        wrong = EmailNotifier(
            "127.0.0.1",
            ctl.port,
            "a@example.org",
            ["b@example.org"],
            tls=True,
            ca_file=str(cert[0]),
            user="lanpulse",
            password=Secret("nope"),
        )
        with pytest.raises(SinkError) as err:
            await wrong.send([firing()])
        assert not err.value.retryable and "nope" not in str(err.value)
    finally:
        ctl.stop()


async def test_starttls_auth_with_password_file(cert: tuple[Path, Path], tmp_path: Path) -> None:
    sink = Sink()
    ctl = start(sink, tls_context=server_tls(cert), authenticator=authenticator, auth_required=True)
    (tmp_path / "smtp.pw").write_text("s3cret\n")
    try:
        settings = AlertingSettings.model_validate(
            {
                "email": {
                    "host": "127.0.0.1",
                    "port": ctl.port,
                    "from": "a@example.org",
                    "to": ["b@example.org"],
                    "starttls": True,
                    "ca_file": str(cert[0]),
                    "user": "lanpulse",
                    "password_file": "smtp.pw",
                }
            }
        )
        notifier = build_notifiers(settings, tmp_path)["email"]
        assert "s3cret" not in repr(vars(notifier))
        await notifier.send([firing()])
        assert len(sink.messages) == 1
    finally:
        ctl.stop()


async def test_smtp_down_is_retryable() -> None:
    n = EmailNotifier("127.0.0.1", free_port(), "a@example.org", ["b@example.org"], timeout_s=2)
    with pytest.raises(SinkError) as err:
        await n.send([firing()])
    assert err.value.retryable


RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, severity: critical}
"""


class Refusing(Sink):
    """Answers 554 (permanent failure) to DATA while `refuse` is set."""

    refuse = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 message refused"
        return await super().handle_DATA(server, session, envelope)


async def test_a_554_is_dead_lettered_alerted_elsewhere_and_delivered_after_reload(
    tmp_path: Path,
) -> None:
    # Issue 20 item 3: a 554 made the notifier log "dropping 1" and the mail was never
    # delivered, even after a good server came back.
    smtp = Refusing()
    ctl = start(smtp)
    with HttpSink() as hook:
        raw = {
            "email": {
                "host": "127.0.0.1",
                "port": ctl.port,
                "from": "a@example.org",
                "to": ["b@c.d"],
            },
            "webhook": {"url": f"{hook.url}/hook"},
            "routes": [{"receivers": ["email", "webhook"], "group_wait": 0, "group_interval": 0}],
            "state_file": "state.json",
        }
        settings = AlertingSettings.model_validate(raw)
        rules = load_rules(parse_yaml(RULES, "r.yaml"))
        try:
            svc = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
            svc.observe([Sample("device", {"device": "sw1"}, {"up": 0}, T0)], T0)
            await svc.dispatcher.flush(T0)
            assert smtp.messages == [] and len(svc.dispatcher.dead["email"]) == 1
            await svc.dispatcher.flush(T0 + S)  # notifier_failing goes to the webhook only
            failing = [a for b in hook.bodies("/hook") for a in b["alerts"]]
            assert {a["labels"]["alertname"] for a in failing} == {
                "device_down",
                "notifier_failing",
            }
            assert "email" in svc.dispatcher.health.prometheus({"email": 0})
            assert 'lanpulse_notifications_dead_lettered_total{receiver="email"} 1' in (
                svc.dispatcher.health.prometheus({"email": 0})
            )
            svc.save_state()  # dead letters survive a restart
            smtp.refuse = False
            again = AlertingService.from_settings(settings, rules, base_dir=tmp_path)
            again.load_state(T0 + 2 * S)
            svc = svc.reload(again, T0 + 2 * S)  # SIGHUP: dead letters are tried again
            await svc.dispatcher.flush(T0 + 2 * S)
            assert len(smtp.messages) == 1 and svc.dispatcher.dead == {}
            assert svc.dispatcher.health.as_json({})["email"]["failing"] is False
        finally:
            ctl.stop()
