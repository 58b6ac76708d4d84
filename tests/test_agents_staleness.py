"""A host that stops pushing pages once; behind a switch that is down, it does not page.

Real components: the daemon in-process, an snmpsim agent for the access switch (stopped to
take it down), aiosmtpd for the pages; the agents are raw HTTP pushes of Telegraf lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.demo.estate import RECORDINGS
from lanpulse.sim.alerting import Mail, SmtpSink
from lanpulse.sim.servers import free_tcp_port
from lanpulse.sim.snmpsim import SnmpSimAgent
from tests._cluster import email_alerting
from tests._daemon import device_line, running, until, write_config
from tests.test_snmp_client import warm_up


@pytest.fixture(scope="module")
def switch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimAgent]:
    agent = SnmpSimAgent(workdir=tmp_path_factory.mktemp("sw"))
    agent.add(RECORDINGS / "ios_nac.snmprec", "access-sw")
    agent.start()
    warm_up(agent, "access-sw")
    yield agent
    agent.cleanup()


@pytest.fixture  # per attempt: a rerun must not see the first attempt's pages
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def pages(smtp: SmtpSink, device: str) -> list[Mail]:
    return [m for m in smtp.mails() if device in m.subject]


def push(port: int, host: str) -> None:
    body = f"cpu,cpu=cpu-total,host={host} usage_idle=90\nsystem,host={host} uptime=100i\n"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/write?db=telegraf&precision=s&p=t0ken",
        data=body.encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204


# A 1 s push interval with 5 s staleness: the pushes share the daemon's event loop, and a
# busy 2-core box has delayed them past 3 s (CI, 2026-12-07: pc-alone paged while pushing);
# one rerun as well.
@pytest.mark.flaky(reruns=1)
async def test_stale_host_pages_once_and_not_behind_a_down_switch(
    switch: SnmpSimAgent, smtp: SmtpSink, tmp_path: Path
) -> None:
    port = free_tcp_port()
    extra = f"""\
agents:
  listen: 127.0.0.1:{port}
  tokens: [{{name: all, token: t0ken}}]
  register: listed
  interval: 1s
  stale_after: 5
  hosts:
    - {{name: pc-alone}}
    - {{name: pc-behind, parent: access-sw}}
"""
    extra += email_alerting(tmp_path, smtp.port, "  dependency_wait: 2s\n")
    config = write_config(
        tmp_path / "lanpulse.yaml",
        [device_line("access-sw", switch.port)],
        interval="1s",
        extra=extra,
    )
    pushing = {"pc-alone", "pc-behind"}

    async def agents() -> None:
        while True:
            for host in list(pushing):
                # A push refused or timed out on a busy machine is retried, as Telegraf
                # does; one exception here would end every later push (and page both).
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(push, port, host)
            await asyncio.sleep(0.3)

    async with running(config) as run:
        task = asyncio.create_task(agents())
        try:
            await until(lambda: run.all_answered(2), 20)
            await asyncio.sleep(3)  # both hosts fresh: nothing pages
            assert [m.subject for m in smtp.mails()] == []

            pushing.discard("pc-alone")  # 1. the agent stops: one page
            await until(lambda: pages(smtp, "pc-alone") != [], 25)
            await asyncio.sleep(3)
            assert len(pages(smtp, "pc-alone")) == 1

            switch.stop()  # 2. its access switch goes down with it: the switch pages only
            pushing.discard("pc-behind")
            await until(lambda: pages(smtp, "access-sw") != [], 25)
            await asyncio.sleep(7)  # past pc-behind's staleness, `for` and dependency wait
            assert pages(smtp, "pc-behind") == []
            engine = run.daemon.alerting.service.engine
            behind = [a for a in engine.alerts.values() if a.tags.get("device") == "pc-behind"]
            assert behind, "pc-behind's alert is evaluated (and recorded), only not paged"
        finally:
            task.cancel()
            switch.start()
