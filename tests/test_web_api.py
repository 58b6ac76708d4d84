"""The daemon's HTTP side (aiohttp) over real sockets on 127.0.0.1: /healthz, /metrics,
/api/v1 with named tokens, silences and acknowledgements through the `lanpulse` CLI, TLS,
and a busy port failing the start.

The device that goes down is an address where no SNMP agent listens (a real timeout).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests._daemon import ROOT, Run, device_line, running, until, write_config
from tests._tls import self_signed

RULES = """\
rules:
  - {name: device_down, measurement: device, field: up, below: 1, for: 1s, severity: critical,
     summary: "{device} does not answer"}
"""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lanpulse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanpulse", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def config(tmp: Path, listen: str, web: str = "", devices: list[str] | None = None) -> Path:
    (tmp / "rules.yaml").write_text(RULES)
    (tmp / "alice.token").write_text("s3cret-alice\n")
    (tmp / "bot.token").write_text("s3cret-bot\n")
    web = web or (
        "web:\n  tokens:\n    - {name: alice, token_file: alice.token}\n"
        "    - {name: bot, token_file: bot.token}"
    )
    alerting = (
        "alerting:\n  rules_files: [rules.yaml]\n  disabled_packs: [interface, printer, storage,"
        " sensor, desktop]\n  state_file: state.json\n  dependency_wait: 0s"
    )
    return write_config(
        tmp / "lanpulse.yaml",
        devices if devices is not None else [device_line("dead-1", free_port(socket.SOCK_DGRAM))],
        interval="1s",
        http_listen=listen,
        extra=alerting + "\n" + web,
    )


async def listening(run: Run) -> None:
    """Wait until the daemon's endpoint is up (the daemon starts in the background)."""
    await until(lambda: run.daemon.web is not None and run.daemon.web.listening, 15)


@pytest.fixture
def port() -> int:
    return free_port()


async def test_health_metrics_and_api_security(
    tmp_path: Path, port: int, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, f"127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}"
    caplog.set_level(logging.INFO)
    async with running(cfg) as run, aiohttp.ClientSession() as http:
        await listening(run)
        async with http.get(f"{base}/healthz") as r:
            body = await r.json()
            assert r.status == 200 and body["status"] == "ok" and "notifiers" in body
        async with http.get(f"{base}/metrics") as r:
            assert "lanpulse_polls_total " in await r.text()
        # Reads are open on loopback.
        async with http.get(f"{base}/api/v1/silences") as r:
            assert r.status == 200 and await r.json() == []
        body = {"matchers": "device=dead-1", "duration": "1h"}
        async with http.post(f"{base}/api/v1/silences", json=body) as r:
            assert r.status == 401
        bad = {"Authorization": "Bearer nope"}
        async with http.post(f"{base}/api/v1/silences", json=body, headers=bad) as r:
            assert r.status == 401
        good = {"Authorization": "Bearer s3cret-alice"}
        # A cross-site HTML form cannot send JSON: refused even with the header.
        async with http.post(
            f"{base}/api/v1/silences", data="matchers=device%3Ddead-1", headers=good
        ) as r:
            assert r.status == 415
        async with http.get(f"{base}/") as r:
            assert r.status == 200 and "lanpulse" in await r.text()
        # One process: the self page and its JSON say so, with no workers.
        async with http.get(f"{base}/api/v1/self") as r:
            self_view = await r.json()
            assert self_view["mode"] == "one process" and self_view["workers"] == []
            assert "polls" in self_view["stats"]
        async with http.get(f"{base}/self") as r:
            assert "one process (daemon.workers: 1)" in await r.text()
        assert run.daemon.web is not None
    assert "s3cret" not in caplog.text


async def api(
    http: aiohttp.ClientSession, method: str, url: str, token: str | None = None, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, headers=headers, **kw) as r:
        return r.status, await r.json()


async def test_silence_and_ack_by_command_survive_a_restart(
    tmp_path: Path, port: int, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, f"127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}/api/v1"
    caplog.set_level(logging.INFO)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return lanpulse(*args, "-c", str(cfg), cwd=tmp_path)

    async with running(cfg) as run, aiohttp.ClientSession() as http:
        await listening(run)
        service = lambda: run.daemon.alerting.service  # noqa: E731

        async def firing() -> list[dict[str, Any]]:
            _, alerts = await api(http, "GET", f"{base}/alerts")
            return [a for a in alerts if a["state"] == "firing"]

        deadline = asyncio.get_running_loop().time() + 30
        while not await firing():
            assert asyncio.get_running_loop().time() < deadline, "device_down never fired"
            await asyncio.sleep(0.3)
        (alert,) = await firing()
        # `lanpulse silence add` (a subprocess talking to the API, as a person would).
        done = await asyncio.to_thread(
            cli, "silence", "add", "device=dead-1", "--for", "1h", "--comment", "on order"
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("silence ")
        assert "api: alice added silence" in caplog.text and "device=dead-1" in caplog.text
        (muted,) = await firing()
        assert muted["mutedBy"]
        assert service().written[alert["id"]].fields["muted"] == 1  # the `alert` measurement
        listed = await asyncio.to_thread(cli, "silence", "list")
        assert "device=dead-1" in listed.stdout and "on order" in listed.stdout
        done = await asyncio.to_thread(cli, "ack", "device_down/dead-1", "--token", "bot")
        assert done.returncode == 0 and alert["id"] in done.stdout, done.stderr
        assert "api: bot acknowledged device_down/dead-1" in caplog.text
        assert service().written[alert["id"]].fields["acked"] == 1
        silence_id = muted["mutedBy"]
        done = await asyncio.to_thread(cli, "silence", "expire", silence_id[:8])
        assert done.returncode == 0, done.stderr
        assert "api: alice expired silence" in caplog.text
        (back,) = await firing()
        assert back["mutedBy"] is None and back["ackedBy"] == "bot"
        status, _ = await api(http, "DELETE", f"{base}/silences/nope", "s3cret-alice")
        assert status == 404
    # A restart keeps the acknowledgement and the (expired) silence.
    async with running(cfg) as again, aiohttp.ClientSession() as http:
        await listening(again)
        _, silences = await api(http, "GET", f"{base}/silences")
        assert [s["status"]["state"] for s in silences] == ["expired"]
        await until(lambda: bool(again.daemon.alerting.service.book.acks), 5)
    unknown = await asyncio.to_thread(cli, "silence", "list", "--token", "mallory")
    assert unknown.returncode == 2 and "mallory" in unknown.stderr


def test_busy_port_fails_the_start_in_one_line(tmp_path: Path, port: int) -> None:
    cfg = config(tmp_path, f"127.0.0.1:{port}", devices=[])
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        done = lanpulse("run", "-c", str(cfg), cwd=tmp_path)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith(f"error: daemon.http_listen: cannot listen on 127.0.0.1:{port}")
        assert "--no-http" in lines[-1] and "Traceback" not in done.stderr
        # --no-http: documented way to run without the endpoint.
        env_cmd = [sys.executable, "-m", "lanpulse", "--log-level", "info", "run", "--no-http"]
        child = subprocess.Popen(
            [*env_cmd, "-c", str(cfg)],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        try:
            assert child.stderr is not None
            for line in child.stderr:
                if "lanpulse running" in line:
                    break
            child.send_signal(signal.SIGTERM)
            assert child.wait(30) == 0
        finally:
            if child.poll() is None:
                child.kill()


def test_check_rejects_an_exposed_api_without_tls_and_token(tmp_path: Path, port: int) -> None:
    cfg = config(tmp_path, f"0.0.0.0:{port}", web="web: {}", devices=[])
    done = lanpulse("check", "-c", str(cfg), cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "beyond loopback" in line and "web.tls" in line and "web.tokens" in line


@pytest.fixture
def tls_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield self_signed(tmp_path)


async def test_beyond_loopback_tls_and_a_token_for_every_api_call(
    tmp_path: Path, port: int, tls_files: tuple[Path, Path]
) -> None:
    # Bound to every interface, but only ever connected to through 127.0.0.1.
    web = (
        "web:\n  tls: {cert_file: cert.pem, key_file: key.pem}\n"
        "  tokens: [{name: alice, token_file: alice.token}]"
    )
    cfg = config(tmp_path, f"0.0.0.0:{port}", web=web, devices=[])
    trust = ssl.create_default_context(cafile=str(tls_files[0]))
    base = f"https://127.0.0.1:{port}"
    async with running(cfg) as run, aiohttp.ClientSession() as http:
        await listening(run)
        status, _ = await api(http, "GET", f"{base}/api/v1/alerts", ssl=trust)
        assert status == 401  # reads too, beyond loopback
        status, alerts = await api(http, "GET", f"{base}/api/v1/alerts", "s3cret-alice", ssl=trust)
        assert status == 200 and alerts == []
        with pytest.raises(aiohttp.ClientError):
            await http.get(f"http://127.0.0.1:{port}/healthz")  # no plain HTTP
        done = await asyncio.to_thread(lanpulse, "silence", "list", "-c", str(cfg), cwd=tmp_path)
        assert done.returncode == 0 and "no silences" in done.stdout, done.stderr


async def test_a_reload_applies_the_tokens(tmp_path: Path, port: int) -> None:
    cfg = config(tmp_path, f"127.0.0.1:{port}", devices=[])
    url = f"http://127.0.0.1:{port}/api/v1/silences"
    body = {"matchers": "device=x", "duration": "5m"}
    async with running(cfg) as run, aiohttp.ClientSession() as http:
        await listening(run)
        assert (await api(http, "POST", url, "s3cret-alice", json=body))[0] == 201
        # alice's token is revoked, carol's added: SIGHUP applies it without a restart.
        (tmp_path / "carol.token").write_text("s3cret-carol\n")
        text = cfg.read_text().replace(
            "{name: alice, token_file: alice.token}", "{name: carol, token_file: carol.token}"
        )
        cfg.write_text(text)
        assert await run.daemon.reload()
        assert (await api(http, "POST", url, "s3cret-alice", json=body))[0] == 401
        assert (await api(http, "POST", url, "s3cret-carol", json=body))[0] == 201
