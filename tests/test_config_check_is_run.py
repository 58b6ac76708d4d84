"""Property test: `lanpulse check` accepts a file => the daemon starts, reloads and stops
cleanly on it; check refuses it => one line per problem, never a traceback.

Configs are a valid base with random mutations from values the issue found accepted by
check and fatal in run (ports beyond 65535, `1e35s`, `not a url`, `10.0.0.300`, huge
integers, garbage listen addresses) and ordinary valid ones. Every address and URL stays
on 127.0.0.1 (free ports where nothing answers) or is invalid: nothing leaves the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lanpulse.cli import main
from lanpulse.daemon import Daemon
from lanpulse.sim.servers import free_tcp_port

FREE = free_tcp_port()  # nothing listens there (TCP or UDP) during the test

MUTATIONS: dict[tuple[str | int, ...], list[Any]] = {
    ("defaults", "interval"): ["1e35s", "5m", -1, 0, "garbage", True, 10**30, "1h30m"],
    ("daemon", "http_listen"): ["0.0.0.0:99999", "garbage", "127.0.0.1:0", None, ":", "a:b"],
    ("daemon", "max_concurrent_polls"): [0, 1, 10**12, -5, "x", 64],
    ("daemon", "shutdown_deadline"): ["1e35s", 0, "2s", "1d"],
    ("daemon", "label_refresh_polls"): [10**18, 0, 3],
    ("influxdb", "url"): [
        "http://x:99999",
        "not a url",
        f"http://127.0.0.1:{FREE}/?u=lanpulse&p=SECRET",
        f"http://user:SECRET@127.0.0.1:{FREE}",
        "ftp://127.0.0.1",
        f"http://127.0.0.1:{FREE}",
    ],
    ("influxdb", "batch_size"): [0, 10**12, 500],
    ("influxdb", "timeout"): ["1e35s", "2s", "nan", "inf"],
    ("influxdb", "max_retries"): [10**20, 3],
    ("spool", "max_bytes"): ["1GiB", "99999999999TiB", -1, "x", 10**40],
    ("spool", "queue_max"): [10**15, 0, 100],
    ("spool", "max_age"): ["1e35s", "7d", "2w"],
    ("alerting", "email", "port"): [99999, 0, 2525, "x"],
    ("alerting", "email", "host"): ["10.0.0.300", "127.0.0.1", ""],
    ("alerting", "alertmanager", "url"): ["not a url", f"http://127.0.0.1:{FREE}", "http://h:0"],
    ("devices", 0, "address"): ["10.0.0.300", "127.0.0.2", "999.1.1.1", "", "1.2.3"],
    ("devices", 0, "port"): [0, 99999, FREE, -1],
    ("devices", 0, "interval"): ["1e35s", "0s", "2s"],
    ("devices", 0, "snmp", "retries"): [100, 1, -1],
    ("devices", 0, "snmp", "timeout"): ["1e35s", "1s", "0s"],
}


def base_config(tmp: Path) -> dict[str, Any]:
    return {
        "defaults": {"interval": "2s", "snmp": {"version": "2c", "timeout": "1s", "retries": 0}},
        "daemon": {"http_listen": None, "selfmon_interval": "1s", "shutdown_deadline": "2s"},
        "spool": {"directory": str(tmp / "spool"), "fsync": "never"},
        "influxdb": {"url": f"http://127.0.0.1:{FREE}", "api": "v1", "database": "x"},
        "alerting": {
            "alertmanager": {"url": f"http://127.0.0.1:{FREE}"},
            "email": {"host": "127.0.0.1", "port": FREE, "from": "a@b.c", "to": ["d@e.f"]},
            "state_file": str(tmp / "alerts.json"),
        },
        "devices": [
            {"name": "dev", "address": "127.0.0.1", "port": FREE, "snmp": {"community": "x"}}
        ],
    }


def mutate(config: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


mutations = st.lists(
    st.sampled_from(sorted(MUTATIONS, key=str)).flatmap(
        lambda path: st.tuples(st.just(path), st.sampled_from(MUTATIONS[path]))
    ),
    max_size=4,
)


def check(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "-c", str(path)])
    return code, out.getvalue() + err.getvalue()


async def run_and_reload(path: Path) -> None:
    daemon = Daemon(str(path))
    task = asyncio.create_task(daemon.run(install_signals=False))
    for _ in range(100):
        if daemon.poller is not None or task.done():
            break
        await asyncio.sleep(0.02)
    assert not task.done(), task.exception()
    assert await daemon.reload(), "a file check accepts must reload"
    daemon.request_stop()
    assert await asyncio.wait_for(task, 20) == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations)
@example([])
@example([(("influxdb", "url"), f"http://127.0.0.1:{FREE}/?u=lanpulse&p=SECRET")])
@example([(("influxdb", "url"), "http://x:99999"), (("daemon", "http_listen"), "garbage")])
def test_check_accepts_only_what_run_and_reload_can_use(
    tmp_path_factory: Any, changes: list[tuple[tuple[str | int, ...], Any]]
) -> None:
    tmp = tmp_path_factory.mktemp("cfg")
    config = base_config(tmp)
    for path, value in changes:
        mutate(config, path, value)
    file = tmp / "lanpulse.yaml"
    file.write_text(yaml.safe_dump(config))
    code, output = check(file)
    assert "Traceback" not in output and "internal error" not in output, output
    assert "SECRET" not in output, output
    if code == 0:
        assert output.startswith("ok: ") and output.count("\n") == 2 and "\ncapacity: " in output, (
            output
        )
        asyncio.run(run_and_reload(file))
    else:
        assert code == 2, output
        lines = output.splitlines()
        assert lines and all(line.startswith(f"{file}") for line in lines), output
