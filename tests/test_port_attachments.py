"""PortAttachments on its own, without a Daemon: the endpoint table joined with a loaded
configuration, rebuilt only when the table (or the configuration) changes.

Real components: the configuration loader over a file, the endpoint table's JSON file. The
running alert engine's `set_topology` and the daemon's `emit` are recorded here instead
(what they do with the topology and the samples is tested end to end in
test_desktop_attachment.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lanpulse.config.loader import load_config
from lanpulse.core.model import Sample
from lanpulse.daemon.port_attachments import PortAttachments
from lanpulse.discovery.endpoints import Endpoint, EndpointTable

CONFIG = """\
defaults:
  snmp: {version: 2c}
devices:
  - {name: sw1, address: 127.0.0.2, class: switch, snmp: {community: c}}
  - {name: pc-a, address: 127.0.0.7, class: desktop, labels: {site: hq}, snmp: {community: c}}
  - {name: core, address: 127.0.0.1, class: switch, snmp: {community: c}}
  - {name: pc-b, address: 127.0.0.8, parent: core, snmp: {community: c}}
"""


async def test_joins_on_change_only_and_configured_parents_win(tmp_path: Path) -> None:
    (tmp_path / "lanpulse.yaml").write_text(CONFIG)
    loaded = load_config(tmp_path / "lanpulse.yaml")
    table = tmp_path / "endpoints.json"
    EndpointTable(
        {
            "00:11:22:33:44:07": Endpoint(
                "00:11:22:33:44:07", "127.0.0.7", "sw1", "Gi0/7", 20, 0, 1
            ),
            "00:11:22:33:44:08": Endpoint(
                "00:11:22:33:44:08", "127.0.0.8", "sw1", "Gi0/8", 20, 0, 1
            ),
        }
    ).save(table)
    topologies: list[tuple[dict[str, str], dict[str, str]]] = []
    emitted: list[Sample] = []

    def emit(samples: Sequence[Sample]) -> bool:
        emitted.extend(samples)
        return True

    ports = PortAttachments(
        lambda: loaded, None, {}, lambda p, g: topologies.append((p, g)), emit, lambda: 42
    )
    assert await ports.refresh()
    attached = ports.attachments.of("pc-a")
    assert attached is not None and (attached.switch, attached.port) == ("sw1", "Gi0/7")
    # pc-b's configured parent wins over the port it was seen on.
    assert topologies == [({"pc-a": "sw1", "pc-b": "core"}, {})]
    assert ports.parents() == {"pc-a": "sw1", "pc-b": "core"}
    by_device = {s.tags["device"]: s for s in emitted}
    assert by_device["pc-a"].measurement == "device_port"
    assert by_device["pc-a"].tags["class"] == "desktop" and by_device["pc-a"].tags["site"] == "hq"
    assert by_device["pc-b"].tags["class"] == "other"  # no class, no polled profile yet

    assert not await ports.refresh()  # nothing changed: no join, nothing written
    assert len(topologies) == 1

    stat = table.stat()
    os.utime(table, (stat.st_atime, stat.st_mtime + 10))  # a new table: every attachment again
    emitted.clear()
    assert await ports.refresh()
    assert sorted(s.tags["device"] for s in emitted) == ["pc-a", "pc-b"]
