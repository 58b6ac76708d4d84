"""`cluster:`, `daemon.workers` and `poller_group` in the configuration: valid values load,
every mistake is one line naming file, line and key, and secrets never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.config.loader import load_config
from lanpulse.core.errors import ConfigErrors

BASE = """\
defaults: {snmp: {community: public}}
groups:
  branch: {poller_group: site-b}
devices:
  - {name: sw1, address: 127.0.0.1}
  - {name: pr1, address: 127.0.0.1, group: branch}
  - {name: pr2, address: 127.0.0.1, group: branch, poller_group: site-c}
"""


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.yaml"
    path.write_text(text + BASE)
    return load_config(str(path))


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load(tmp_path, text)
    return [e.one_line() for e in info.value.errors]


def test_cluster_section_and_poller_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZK_PASSWORD", "s3cret-zk")
    loaded = load(
        tmp_path,
        "cluster: {zookeeper: '127.0.0.1:2181', group: site-b, name: poller-3,"
        " session_timeout: 4s, digest_user: lanpulse, digest_password: '${ZK_PASSWORD}'}\n"
        "daemon: {workers: 3}\n",
    )
    cluster = loaded.settings.cluster
    assert cluster is not None and cluster.session_timeout == 4.0
    assert cluster.password is not None and cluster.password.reveal() == "s3cret-zk"
    assert "s3cret-zk" not in repr(loaded.settings) and "s3cret-zk" not in repr(cluster)
    assert loaded.settings.daemon.workers == 3
    groups = {d.name: d.poller_group for d in loaded.devices}
    assert groups == {"sw1": "default", "pr1": "site-b", "pr2": "site-c"}


def test_secret_file_for_the_digest_password(tmp_path: Path) -> None:
    (tmp_path / "zk.pw").write_text("from-a-file\n")
    loaded = load(
        tmp_path,
        "cluster: {zookeeper: 'zk:2181', digest_user: u, digest_password_file: zk.pw}\n",
    )
    assert loaded.settings.cluster is not None
    assert loaded.settings.cluster.password is not None
    assert loaded.settings.cluster.password.reveal() == "from-a-file"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cluster: {group: a}\n", "c.yaml:1: cluster.zookeeper:"),
        ("cluster: {zookeeper: 'zk:2181', sesion_timeout: 4s}\n", "did you mean 'session_timeout'"),
        ("cluster: {zookeeper: 'zk:2181', session_timeout: -1s}\n", "cluster.session_timeout"),
        ("cluster: {zookeeper: 'zk:2181', digest_user: u}\n", "digest_user and digest_password"),
        ("cluster: {zookeeper: 'zk:2181', root: lanpulse}\n", "cluster.root"),
        ("daemon: {workers: 0}\n", "c.yaml:1: daemon.workers:"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    lines = errors(tmp_path, text)
    assert len(lines) == 1 and expected in lines[0], lines
    assert "\n" not in lines[0]


def test_a_bad_poller_group_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "defaults: {snmp: {community: public}}\n"
        "devices:\n  - {name: sw1, address: 127.0.0.1, poller_group: 'no spaces'}\n"
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(str(tmp_path / "c.yaml"))
    (line,) = [e.one_line() for e in info.value.errors]
    assert "c.yaml:3: devices[sw1].poller_group: 'no spaces' is not a poller group" in line
