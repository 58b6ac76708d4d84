"""How `poll` prints samples: a readable table, JSON lines, or InfluxDB line protocol."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from lanpulse.core.codes import in_words
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


# Tags that name a row, per measurement (the first found is the row's name).
_ROW_TAGS = ("if_name", "supply", "tray", "volume", "array", "disk", "sensor", "port", "event")
_RATE_OF = {
    "in_bps": "in_octets",
    "out_bps": "out_octets",
    "in_errors_ps": "in_errors",
    "out_errors_ps": "out_errors",
    "in_discards_ps": "in_discards",
    "out_discards_ps": "out_discards",
}


def _cell(measurement: str, name: str, value: FieldValue | None) -> str:
    if value is None:
        return "-"
    word = in_words(measurement, name, value)
    return f"{word} ({value})" if word is not None else _fmt(value)


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join
    out = ["  " + line(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out += ["  " + line(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def drop_notes(samples: Sequence[Sample]) -> list[str]:
    """Why values a person would expect are missing: one note per dropped value.

    Read from the samples themselves: a rate missing beside its counter on a poll that has
    rates elsewhere was above the link speed (the rate rules drop those); a supply or tray
    without a level reported a Printer-MIB sentinel instead of one.
    """
    notes: list[str] = []
    has_rates = any(k in s.fields for s in samples for k in _RATE_OF)
    for s in samples:
        name = next((s.tags[t] for t in _ROW_TAGS if t in s.tags), "")
        where = f"{s.measurement} {name}".strip()
        if s.measurement == "interface" and has_rates:
            for rate, counter in _RATE_OF.items():
                if counter in s.fields and rate not in s.fields:
                    why = (
                        f"above the link speed ({_fmt(s.fields['speed_bps'])} bit/s): a missed "
                        "counter reset or a bad agent"
                        if "speed_bps" in s.fields and rate.endswith("_bps")
                        else "the counter went backwards without a wrap or a restart"
                    )
                    notes.append(f"{where}: {rate} dropped, the rate from {counter} was {why}")
        if s.measurement in ("printer_supply", "printer_tray"):
            if "level" not in s.fields and "some_remaining" not in s.fields:
                notes.append(
                    f"{where}: level dropped, the printer reported a sentinel "
                    "(-1 other or -2 unknown), not a level"
                )
            elif "level" in s.fields and "level_pct" not in s.fields:
                notes.append(
                    f"{where}: level_pct not computed, the maximum capacity is a sentinel (unknown)"
                )
    if not has_rates and any(c in s.fields for s in samples for c in _RATE_OF.values()):
        notes.append("rates (in_bps, *_ps, utilisation) need two polls: use --count 2")
    return notes


def render_table(samples: Sequence[Sample]) -> str:
    """A table per measurement (codes in words), then a note for every dropped value."""
    lines: list[str] = []
    grouped: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        grouped[s.measurement].append(s)
    for measurement, group in grouped.items():
        tag_keys = list(
            dict.fromkeys(k for s in group for k in s.tags if k not in _TABLE_SKIP_TAGS)
        )
        field_keys = list(dict.fromkeys(k for s in group for k in s.fields))
        rows = [
            [s.tags.get(k, "") for k in tag_keys]
            + [_cell(measurement, k, s.fields.get(k)) for k in field_keys]
            for s in group
        ]
        lines.append(f"{measurement} ({len(group)})")
        lines += _grid(tag_keys + field_keys, rows)
        lines.append("")
    notes = drop_notes(samples)
    if notes:
        lines.append(f"notes ({len(notes)})")
        lines += [f"  {n}" for n in notes]
    return "\n".join(lines).rstrip("\n") + "\n"


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
