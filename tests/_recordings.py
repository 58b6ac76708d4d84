"""Offline replay of corpus recordings through profile selection and the SNMP parser.

Shared by the conformance, coverage, agreement and generalisation tests: a recording is
turned into the RawSnmp an ideal agent would return for the selected profile's plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanpulse.config.profiles import ProfileSet, Selection, builtin_profiles, evidence_answers
from lanpulse.core.model import Device, SnmpValue
from lanpulse.parsers.snmp_profile import ParseResult, parse_snmp
from lanpulse.parsers.values import as_text
from lanpulse.sim.snmprec import raw_from_recording, read_snmprec

FIXTURES = Path(__file__).parent / "fixtures"
RECORDINGS = FIXTURES / "librenms" / "recordings"
EXPECTED = FIXTURES / "librenms" / "expected"
GOLDEN = Path(__file__).parent / "golden"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
DEVICE = Device(name="dev", address="127.0.0.1")


@dataclass(frozen=True)
class Replay:
    """One recording after selection and parsing."""

    name: str
    selection: Selection
    result: ParseResult


def recordings() -> list[Path]:
    """Every corpus recording, sorted."""
    return sorted(RECORDINGS.glob("*/*.snmprec"))


def select(values: dict[str, SnmpValue], profiles: ProfileSet | None = None) -> Selection:
    """Choose a profile the way the poller does: sysObjectID, sysDescr, probe OIDs, then
    the class-inference evidence (GETs and walks) when nothing matched."""
    ps = profiles or builtin_profiles()
    oid = str(values.get(SYS_OBJECT_ID, ""))
    descr_raw = values.get(SYS_DESCR, b"")
    descr = as_text(descr_raw) if isinstance(descr_raw, bytes) else str(descr_raw)
    answered = [o for o in ps.probe_oids() if o in values]
    gets, walks = ps.evidence_oids()
    raw = raw_from_recording(values, gets, walks)
    return ps.select(oid, descr, answered, evidence_answers(raw.scalars, raw.columns))


def replay_values(name: str, values: dict[str, SnmpValue]) -> Replay:
    """Select and parse one recording's values."""
    selection = select(values)
    raw = raw_from_recording(values, *selection.profile.plan_oids(), device=name)
    return Replay(name, selection, parse_snmp(raw, selection.profile, DEVICE))


def replay(path: Path) -> Replay:
    """Select and parse one recording file."""
    return replay_values(path.stem, read_snmprec(path))


def golden_document(rep: Replay) -> dict[str, Any]:
    """The reviewed, stable JSON shape of a replay (no device/class tags, sorted)."""
    samples = [
        {
            "measurement": s.measurement,
            "tags": {k: v for k, v in sorted(s.tags.items()) if k not in ("device", "class")},
            "fields": dict(sorted(s.fields.items())),
        }
        for s in rep.result.samples
    ]
    samples.sort(key=lambda d: (d["measurement"], json.dumps(d["tags"], sort_keys=True)))
    return {
        "recording": rep.name,
        "profile": rep.selection.profile.name,
        "class": rep.selection.profile.device_class,
        "vendor": rep.selection.profile.vendor,
        "model": rep.result.model,
        "errors": rep.result.errors,
        "samples": samples,
    }


def replay_two_polls(path: Path, interval_s: float = 60.0) -> Replay:
    """Parse a recording twice, `interval_s` apart, so rate fields appear (all zero)."""
    from lanpulse.parsers.rates import RateState

    values = read_snmprec(path)
    selection = select(values)
    state = RateState()
    result = ParseResult()
    for poll in range(2):
        raw = raw_from_recording(
            values,
            *selection.profile.plan_oids(),
            device=path.stem,
            started_ns=int(poll * interval_s * 1e9),
        )
        result = parse_snmp(raw, selection.profile, DEVICE, state)
    return Replay(path.stem, selection, result)
