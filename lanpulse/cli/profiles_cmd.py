"""`lanpulse profiles list|show`: the device profiles, what they match, what they fetch."""

from __future__ import annotations

import argparse

from lanpulse.config.profiles import ProfileSet, load_profiles
from lanpulse.core.profile import Profile
from lanpulse.parsers.explain import plan_entries


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `profiles` sub-command with `list` and `show`."""
    p = sub.add_parser("profiles", help="list device profiles and what they match")
    p.add_argument(
        "--profiles-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load profiles from DIR (later files override built-in ones)",
    )
    actions = p.add_subparsers(dest="profiles_action", metavar="ACTION")
    actions.add_parser("list", help="every selectable profile: class, vendor, match rules")
    show = actions.add_parser("show", help="one profile's match rules, metrics and OIDs")
    show.add_argument("name", help="profile name (see `profiles list`)")
    p.set_defaults(func=run, profiles_action="list")


def _matches(profile: Profile) -> str:
    m = profile.match
    parts = [f"sysObjectID {p}" for p in m.sysobjectid]
    parts += [f"sysDescr /{d}/" for d in m.sysdescr]
    if m.refine:
        parts.append("refined by sysDescr " + " | ".join(f"/{r}/" for r in m.refine))
    if m.probe:
        parts.append("if device answers " + ", ".join(m.probe))
    if m.answers:
        parts.append("unknown vendor answering " + " | ".join(e.what for e in m.answers))
    return "; ".join(parts) or "(fallback)"


def list_lines(profiles: ProfileSet) -> list[str]:
    """One line per selectable profile: name, class, vendor, what it matches."""
    rows = [
        (p.name, p.device_class or "other", p.vendor or "-", _matches(p))
        for p in profiles.selectable()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    header = ("PROFILE", "CLASS", "VENDOR", "MATCHES")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=False)]

    def fmt(cols: tuple[str, str, str, str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols[:3], widths, strict=True)) + "  " + cols[3]

    return [fmt(header)] + [fmt(r) for r in rows]


def show_lines(profile: Profile) -> list[str]:
    """A profile's identity, match rules, metrics and OIDs."""
    lines = [
        f"profile:     {profile.name}",
        f"description: {profile.description or '-'}",
        f"class:       {profile.device_class or 'other'}",
        f"vendor:      {profile.vendor or '-'}",
        f"matches:     {_matches(profile)}",
        f"file:        {profile.source_file}",
    ]
    current = None
    for entry in plan_entries(profile):
        if entry.metric != current:
            current = entry.metric
            lines.append(f"{entry.metric} -> {entry.measurement}")
        lines.append(f"  {'walk' if entry.walk else 'get':4} {entry.oid:42} {entry.label()}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the profile list, or one profile."""
    profiles = load_profiles(args.profiles_dir)
    if args.profiles_action == "show":
        lines = show_lines(profiles.get(args.name))
    else:
        lines = list_lines(profiles)
    print("\n".join(lines))
    return 0
