"""SIGHUP applies what it validates: `influxdb:`, `spool:` and `profiles_dirs` (issue 20:
`Daemon.reload` validated them and went on with the old ones).

The daemon runs in-process with no device: its own `lanpulse` self-monitoring points
(every second) are the data, written to a real InfluxDB 1.6 or to the spool.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanpulse.sim.servers import InfluxDB16
from lanpulse.timeseries.segment import iter_records, read_segment
from tests._daemon import influx_rows, running, until, v1_section, write_config

BUILTIN = Path(__file__).resolve().parent.parent / "lanpulse" / "config" / "profiles"


@pytest.fixture(scope="module")
def influxd() -> Iterator[InfluxDB16]:
    server = InfluxDB16().start()
    yield server
    server.cleanup()


def selfmon_points(influx: InfluxDB16, database: str) -> int:
    return len(influx_rows(influx, database, 'SELECT "polls" FROM "lanpulse"'))


def spooled_points(directory: Path) -> int:
    return sum(
        record.points
        for path in (directory / "segments").glob("*.seg")
        for record in iter_records(read_segment(path), 0, 0)
    )


async def test_reload_moves_writes_to_the_new_database(influxd: InfluxDB16, tmp_path: Path) -> None:
    config = tmp_path / "lanpulse.yaml"
    write_config(config, [], influx=v1_section(influxd, "first"))
    async with running(config) as run:
        await until(lambda: selfmon_points(influxd, "first") >= 1)
        write_config(config, [], influx=v1_section(influxd, "second"))
        assert await run.daemon.reload()
        await until(lambda: selfmon_points(influxd, "second") >= 2)
        first = selfmon_points(influxd, "first")
        await until(lambda: selfmon_points(influxd, "second") >= 4)
        assert selfmon_points(influxd, "first") == first  # the old database gets nothing more


async def test_reload_moves_the_spool_and_applies_its_bounds(tmp_path: Path) -> None:
    config = tmp_path / "lanpulse.yaml"
    write_config(config, [])  # no influxdb: the spool is the store
    async with running(config) as run:
        await until(lambda: spooled_points(tmp_path / "spool") >= 1)
        moved = tmp_path / "moved"
        text = config.read_text().replace(f"directory: {tmp_path / 'spool'}", f"directory: {moved}")
        config.write_text(text.replace("fsync: never", "fsync: never\n  max_bytes: 5MiB"))
        assert await run.daemon.reload()
        await until(lambda: spooled_points(moved) >= 2)
        assert run.daemon.sinks[0].spool.max_bytes == 5 * 1024**2  # type: ignore[attr-defined]
        before = spooled_points(tmp_path / "spool")
        await until(lambda: spooled_points(moved) >= 4)
        assert spooled_points(tmp_path / "spool") == before
        # Same directory, other bounds: applied in place.
        config.write_text(config.read_text().replace("max_bytes: 5MiB", "max_bytes: 7MiB"))
        assert await run.daemon.reload()
        assert run.daemon.sinks[0].spool.max_bytes == 7 * 1024**2  # type: ignore[attr-defined]


async def test_reload_reads_the_profile_directories_again(tmp_path: Path) -> None:
    extra = tmp_path / "profiles"
    extra.mkdir()
    config = tmp_path / "lanpulse.yaml"
    write_config(config, [], extra=f"profiles_dirs: [{extra}]")
    async with running(config) as run:
        await until(lambda: run.daemon.poller is not None)
        assert run.daemon.poller is not None
        assert "site-printer" not in run.daemon.poller.profiles.profiles
        shutil.copy(BUILTIN / "brother.yaml", extra / "site-printer.yaml")
        assert await run.daemon.reload()
        assert "site-printer" in run.daemon.poller.profiles.profiles
        # A broken profile is a rejected reload: the running profiles stay.
        (extra / "broken.yaml").write_text("metrics: 5\n")
        assert not await run.daemon.reload()
        assert "site-printer" in run.daemon.poller.profiles.profiles
