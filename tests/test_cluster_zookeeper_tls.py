"""ZooKeeper over TLS: a real ZooKeeper (Debian's jars) serving its secureClientPort through
Netty with stores made by `openssl`/`keytool` from a throwaway CA, requiring a client
certificate; a real member process (`lanpulse run`) joins its group over it and polls a
real snmpsim agent. A CA that did not sign the server's certificate fails the start in
one line."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.cluster.zk_client import make_client
from lanpulse.config.cluster import ClusterSettings
from lanpulse.sim.zookeeper import JARS, ZooKeeper
from tests._cluster import Member, printers
from tests._daemon import ROOT, device_line, wait_for, write_config
from tests._zk_tls import Authority, authority, server_stores

pytestmark = pytest.mark.skipif(
    not (JARS / "zookeeper.jar").exists(), reason="zookeeperd missing (see .ci/run)"
)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def zk(tmp_path_factory: pytest.TempPathFactory, ca: Authority) -> Iterator[ZooKeeper]:
    with ZooKeeper(tmp_path_factory.mktemp("zk-tls"), tls=server_stores(ca)) as server:
        yield server


def tls_options(ca_file: Path, cert: Path, key: Path) -> str:
    return f"tls: true, ca_file: '{ca_file}', cert_file: '{cert}', key_file: '{key}'"


def test_kazoo_talks_to_the_secure_port_with_the_member_settings(
    zk: ZooKeeper, ca: Authority
) -> None:
    cert, key = ca.issue("member-k")
    settings = ClusterSettings(
        zookeeper=zk.secure_hosts,
        tls=True,
        ca_file=str(ca.cert),
        cert_file=str(cert),
        key_file=str(key),
    )
    client = make_client(settings)
    client.start(20)
    try:
        client.create("/tls/hello", b"over tls", makepath=True, ephemeral=True)
        assert client.get("/tls/hello")[0] == b"over tls"
    finally:
        client.stop()
        client.close()


def test_a_member_joins_and_polls_over_tls(zk: ZooKeeper, ca: Authority, tmp_path: Path) -> None:
    with printers(tmp_path / "agent", ["printer-tls"]) as agent:
        cert, key = ca.issue("member-1")
        member = Member(
            tmp_path,
            "t1",
            zk.secure_hosts,
            [device_line("printer-tls", agent.port)],
            root="/tls1",
            cluster_extra=tls_options(ca.cert, cert, key),
        )
        try:
            member.start()
            wait_for(lambda: member.health()[1].get("zk_connected") == 1, 30)
            wait_for(lambda: len(member.polls().get("printer-tls", [])) >= 2, 30)
            assert "use_ssl: True" in member.process.log()
        finally:
            member.process.kill()


def test_a_wrong_ca_fails_the_start_in_one_line(
    zk: ZooKeeper, ca: Authority, tmp_path: Path
) -> None:
    other = authority(tmp_path / "other-ca")  # did not sign ZooKeeper's certificate
    cert, key = ca.issue("member-2")
    cluster = (
        f"cluster: {{zookeeper: '{zk.secure_hosts}', name: w1, root: /tls2, "
        f"{tls_options(other.cert, cert, key)}}}"
    )
    config = write_config(tmp_path / "lanpulse.yaml", [], extra=cluster)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lanpulse", "run", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    lines = [x for x in (done.stdout + done.stderr).splitlines() if x.strip()]
    print(lines, f"{time.monotonic() - started:.1f}s")
    assert done.returncode != 0
    assert len(lines) == 1, lines
    assert "cluster.ca_file" in lines[0] and str(other.cert) in lines[0]
    assert "certificate verify failed" in lines[0] or "unable to get local issuer" in lines[0]
    assert "Traceback" not in done.stderr
