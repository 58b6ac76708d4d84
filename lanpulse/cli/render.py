"""How `poll` prints samples: a readable table, JSON lines, or InfluxDB line protocol."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from lanpulse.core.model import Device, FieldValue, Sample

_TABLE_SKIP_TAGS = {"device", "class"}


def render_lines(samples: Sequence[Sample], fmt: str) -> str:
    """One JSON object per line, or line protocol."""
    if fmt == "json":
        return "".join(json.dumps(s.to_json(), sort_keys=False) + "\n" for s in samples)
    from lanpulse.timeseries.lineprotocol import encode_samples

    return encode_samples(samples).lines.decode()


def _fmt(value: FieldValue) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def render_table(samples: Sequence[Sample]) -> str:
    """A per-measurement summary a person can read at a glance."""
    lines: list[str] = []
    grouped: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        grouped[s.measurement].append(s)
    for measurement, group in grouped.items():
        lines.append(f"{measurement} ({len(group)})")
        for s in group:
            tags = " ".join(f"{k}={v}" for k, v in s.tags.items() if k not in _TABLE_SKIP_TAGS)
            fields = " ".join(f"{k}={_fmt(v)}" for k, v in s.fields.items())
            lines.append(f"  {tags + '  ' if tags else ''}{fields}")
    return "\n".join(lines) + "\n"


def render_explain(device: Device, report: object) -> str:
    """Which profile matched and why, what it fetches, and what the device did not answer."""
    from lanpulse.parsers.explain import explain_lines
    from lanpulse.pipeline.poll import PollReport

    assert isinstance(report, PollReport)
    lines = [f"device {device.name} ({device.address}:{device.port})"]
    sel = report.selection
    if sel is None:
        lines.append("  profile: none (the device did not answer the identity request)")
        return "\n".join(lines) + "\n"
    chain = ", ".join(sel.profile.extends) or "-"
    lines += [
        f"  profile: {sel.profile.name}, vendor {sel.profile.vendor or '-'}, extends: {chain}",
        f"  why: {sel.reason}",
    ]
    lines += explain_lines(sel.profile, sel.reason, report.parse, report.raw)
    return "\n".join(lines) + "\n"
