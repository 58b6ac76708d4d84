"""One device's page as data: its newest samples grouped into the page's sections.

Pure (no I/O): `/devices/{name}` renders it and `/api/v1/devices/{name}` returns it as JSON.
Codes are given in words (`lanpulse.core.codes`) next to their numbers.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from lanpulse.core.codes import in_words
from lanpulse.core.model import Sample
from lanpulse.web.estate import KEY_SERIES, DeviceView

# section -> the measurements it shows (in this order on the page)
SECTIONS: dict[str, tuple[str, ...]] = {
    "interfaces": ("interface",),
    "supplies": ("printer_supply", "printer_tray"),
    "volumes": ("storage", "raid", "disk"),
    "sensors": ("sensor", "poe", "ups"),
    "host": ("host", "printer", "device_info"),
}
# tags that identify a row (shown as its name), in preference order
_ROW_NAMES = ("if_name", "supply", "tray", "volume", "array", "disk", "sensor", "port")
_LOOPBACK_TYPES = frozenset({"softwareLoopback", "24"})


def _row(sample: Sample, hide: frozenset[str] = frozenset()) -> dict[str, Any]:
    name = next((sample.tags[t] for t in _ROW_NAMES if t in sample.tags), sample.measurement)
    fields: dict[str, Any] = {}
    for key, value in sample.fields.items():
        word = in_words(sample.measurement, key, value)
        fields[key] = value if word is None else f"{word} ({value})"
    extra = {
        k: v
        for k, v in sample.tags.items()
        if k not in ("device", "class", *_ROW_NAMES) and k not in hide and not k.endswith("_index")
    }
    return {"measurement": sample.measurement, "name": name, "tags": extra, "fields": fields}


def sections(
    samples: Sequence[Sample], hide: frozenset[str] = frozenset()
) -> dict[str, list[dict[str, Any]]]:
    """The device's samples by page section (loopbacks left out of interfaces; the tags in
    `hide`, the device's own labels, shown once at the top rather than on every row)."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    where = {m: section for section, ms in SECTIONS.items() for m in ms}
    for s in samples:
        section = where.get(s.measurement)
        if section is None:
            continue
        if s.measurement == "interface" and s.tags.get("if_type") in _LOOPBACK_TYPES:
            continue
        out[section].append(_row(s, hide))
    return out


def poll_command(config_path: str | None, device: str) -> str:
    """The exact `lanpulse poll` that shows what this page shows."""
    if config_path is None:
        return f"lanpulse poll --device {shlex.quote(device)}"
    return (
        f"lanpulse poll -c {shlex.quote(config_path)} --device {shlex.quote(device)} --format table"
    )


def device_detail(
    view: DeviceView,
    alerts: Sequence[Mapping[str, Any]],
    config_path: str | None,
    now_s: float,
) -> dict[str, Any]:
    """Everything the device page shows."""
    name = view.device.name
    return {
        "summary": view.summary(),
        "sections": sections(view.samples, frozenset(view.device.labels)),
        "events": [_row(s) | {"time": s.time.isoformat()} for s in view.events or ()],
        "alerts": [a for a in alerts if a.get("labels", {}).get("device") == name],
        "series": {key: view.ring.series(key, now_s) for key in KEY_SERIES},
        "poll_command": poll_command(config_path, name),
    }
