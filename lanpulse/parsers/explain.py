"""What a profile fetches and what a device did not answer, for `lanpulse poll --explain`.

Pure data about a profile and a parse result; the CLI prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanpulse.core.model import RawSnmp
from lanpulse.core.profile import Profile
from lanpulse.parsers.snmp_profile import ParseResult


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One OID a profile fetches: which metric wants it, under which name, GET or walk."""

    metric: str
    measurement: str
    name: str
    oid: str
    walk: bool
    mib_name: str | None = None  # the MIB object's name, when the profile gives it

    def label(self) -> str:
        """The tag/field/extra name, and the MIB object it reads when the profile names it."""
        return f"{self.name} <- {self.mib_name}" if self.mib_name else self.name


def plan_entries(profile: Profile) -> list[PlanEntry]:
    """Every OID of the profile's plan with the metric and tag/field/extra name using it."""
    out: list[PlanEntry] = [
        PlanEntry("(identity)", "device", "model", s.oid, walk=False, mib_name=s.name)
        for s in profile.model
        if s.oid
    ]
    for metric in profile.metrics:
        for name, sources in metric.sources().items():
            for src in sources:
                if src.oid:
                    walk = not metric.scalar
                    out.append(
                        PlanEntry(metric.name, metric.measurement, name, src.oid, walk, src.name)
                    )
        for oid in metric.fetch:
            out.append(PlanEntry(metric.name, metric.measurement, "(fetch)", oid, walk=True))
    return out


def _answered(entry: PlanEntry, raw: RawSnmp) -> bool:
    return bool(raw.columns.get(entry.oid)) if entry.walk else entry.oid in raw.scalars


def explain_lines(
    profile: Profile,
    reason: str,
    result: ParseResult | None = None,
    raw: RawSnmp | None = None,
) -> list[str]:
    """Readable lines: the profile and why, its tables and OIDs (marked when `raw` shows the
    device did not answer them), then unanswered fields."""
    lines = [f"profile {profile.name} ({profile.device_class or 'other'}): {reason}"]
    if profile.source_file:
        lines.append(f"  from {profile.source_file}")
    current = None
    for entry in plan_entries(profile):
        if entry.metric != current:
            current = entry.metric
            lines.append(f"  {entry.metric} -> {entry.measurement}")
        verb = "walk" if entry.walk else "get"
        missing = " (no answer)" if raw is not None and not _answered(entry, raw) else ""
        lines.append(f"    {verb:4} {entry.oid:40} {entry.label()}{missing}")
    if result is not None:
        if result.unanswered:
            lines.append("  declared fields the device did not answer:")
            lines.extend(f"    {name}" for name in result.unanswered)
        else:
            lines.append("  every declared field was answered")
        lines.extend(f"  error: {err}" for err in result.errors)
    return lines
