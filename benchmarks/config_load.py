"""How long loading and validating a large inventory takes (not a test: run it by hand).

PYTHONPATH=. /work/venv/bin/python benchmarks/config_load.py [devices]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from lanpulse.config.loader import load_config


def estate_yaml(count: int) -> str:
    """An inventory of `count` devices in 3 groups, a third of them SNMPv3."""
    lines = [
        "influxdb: {url: 'http://127.0.0.1:8086', api: v1, database: lanpulse}",
        "defaults: {interval: 60s, snmp: {version: 2c, community: public, timeout: 2s}}",
        "groups:",
        "  printers: {interval: 300s, class: printer, labels: {site: hq}}",
        "  switches: {class: switch, labels: {site: hq}}",
        "  storage: {class: storage, snmp: {version: 3, user: mon, auth_protocol: sha,",
        "            auth_password: abcdefgh12, priv_protocol: aes, priv_password: abcdefgh34}}",
        "devices:",
    ]
    groups = ("printers", "switches", "storage")
    for i in range(count):
        address = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"
        lines.append(
            f"  - {{name: dev{i}, address: {address}, group: {groups[i % 3]}, "
            f"labels: {{room: r{i % 50}}}}}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the estate to a temp file, load it, print the timings."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.yaml"
        path.write_text(estate_yaml(count))
        start = time.perf_counter()
        loaded = load_config(path, environ={})
        elapsed = time.perf_counter() - start
    print(f"{count} devices: load_config {elapsed:.2f}s ({elapsed / count * 1e6:.0f} us/device)")
    print(loaded.summary())


if __name__ == "__main__":
    main()
