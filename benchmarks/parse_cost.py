"""CPU cost of parsing and encoding one poll, per device class, without any I/O.

    PYTHONPATH=. python benchmarks/parse_cost.py [--polls 30] [--devices 20] [--idle] [--profile C]
        [--only C] [--before REV ...] [--rounds 5]

The estate benchmark (benchmarks/estate.py) measures the whole pipeline against the SNMP
transport over real sockets; this one isolates the pure-Python part that follows the
transport, so a change to the parser or the line-protocol encoder can be measured in
seconds and without the noise of a shared box. Each class replays the recording that
estate.py serves (the switch widened to 48 ports); every poll is a new `RawSnmp` whose
counters grew, so rates are computed as in production. As in the daemon (two-speed
polling, pipeline/labels.py), one poll in LABEL_REFRESH fetches the full plan and the others
the fast plan plus the cached label columns: inventory metrics (device_info, LLDP
neighbours) are parsed on the full polls only.

`--before REV` (repeatable) measures REV's `lanpulse/` (taken with `git archive` into a temp
directory) and this tree in the same run: each (class, tree) is a child process, and the
trees alternate `--rounds` times, so the load of a shared box weighs on all alike; it prints
the median of the rounds per tree and the ratio to the first REV. The recordings are always
this tree's; the profiles, parser and encoder are each tree's own.

For instruction counts (repeatable under any load), run a child under callgrind twice with
the same `--polls` and two `--measure-polls` values; the difference is the cost of that
many polls, set-up excluded:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p python benchmarks/parse_cost.py \
        --only switch --devices 2 --repeats 1 --polls 21 --measure-polls 10 [--no-encode]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Device, RawSnmp, SnmpValue
from lanpulse.core.profile import Profile
from lanpulse.parsers import snmp_profile
from lanpulse.parsers.rates import RateState
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.parsers.values import as_text
from lanpulse.pipeline.labels import two_speed_plan
from lanpulse.sim.snmpd_replay import widen_ports
from lanpulse.sim.snmprec import raw_from_recording, read_snmprec
from lanpulse.timeseries.lineprotocol import encode_samples

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "tests" / "fixtures" / "librenms" / "recordings"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
POLL_NS = 300_000_000_000
REPEATS = 5  # --repeats
LABEL_REFRESH = 10  # the daemon's default label_refresh_polls


@dataclass(frozen=True)
class ClassRecording:
    """One device class of the estate benchmark and its recording."""

    name: str
    recording: str
    widen_to: int | None = None


CLASSES = (
    ClassRecording("switch", "switch/edgeswitch_es-24-250w.snmprec", widen_to=48),
    ClassRecording("printer", "printer/jetdirect_m252dw.snmprec"),
    ClassRecording("desktop", "desktop/windows_svr_2019_1809.snmprec"),
)


def load(spec: ClassRecording, tmp: Path) -> dict[str, SnmpValue]:
    """The class's recording as OID -> value (widened like estate.py does)."""
    path = RECORDINGS / spec.recording
    if spec.widen_to:
        text = path.read_text()
        first_if = next(
            line.split("|")[0].rsplit(".", 1)[1]
            for line in text.splitlines()
            if line.startswith("1.3.6.1.2.1.31.1.1.1.6.")
        )
        path = tmp / f"{spec.name}.snmprec"
        path.write_text(widen_ports(text, spec.widen_to, first_if))
    return read_snmprec(path)


def polls_of(
    values: dict[str, SnmpValue], profile: Profile, count: int, growth: int = 1000
) -> list[RawSnmp]:
    """`count` consecutive polls, 5 minutes apart, every counter column growing.

    Only counters grow: a growing ifCounterDiscontinuityTime would mark every poll as a
    counter reset (no rates at all). `growth` 0 gives idle counters (every rate 0.0), as
    the estate benchmark's snmpd serves.
    """
    plan = two_speed_plan(profile, ())
    full = raw_from_recording(values, plan.full.scalars, plan.full.columns)
    fast = raw_from_recording(values, plan.fast.scalars, (*plan.fast.columns, *plan.labels))
    counters = profile.counter_columns()
    raws = []
    for n in range(count):
        base = full if n % LABEL_REFRESH == 0 else fast
        step = n * growth
        cols = {
            oid: {i: v + step if isinstance(v, int) else v for i, v in col.items()}
            if oid in counters
            else col
            for oid, col in base.columns.items()
        }
        raws.append(RawSnmp("bench", n * POLL_NS, base.scalars, cols))
    return raws


def measure(
    spec: ClassRecording,
    count: int,
    devices: int,
    idle: bool,
    tmp: Path,
    profile_it: bool,
    measured: int | None = None,
    encode: bool = True,
    repeats: int = REPEATS,
) -> dict[str, float]:
    """Parse and encode CPU milliseconds per poll for one class (best of the repeats).

    `devices` devices are polled round-robin, each with its own copy of the data and its own
    rate state, as the daemon does (with one device, every poll finds the same objects in
    the CPU caches: `--devices 1` measures that best case).
    """
    values = load(spec, tmp)
    selection = builtin_profiles().select(
        as_text(values.get(SYS_OBJECT_ID, "")), as_text(values.get(SYS_DESCR, ""))
    )
    profile = selection.profile
    # As the poller keeps it per loaded profile (before issue 14, parse_snmp took the profile).
    compiled_class = getattr(snmp_profile, "CompiledProfile", None)
    compiled = compiled_class.of(profile) if compiled_class else profile
    measured = count - 1 if measured is None else measured
    raws = polls_of(values, profile, count, growth=0 if idle else 1000)
    fleet = [
        (
            Device(name=f"{spec.name}-{n}", address="127.0.0.1", labels={"site": "bench"}),
            pickle.loads(pickle.dumps(raws)),  # distinct objects, like separate devices
        )
        for n in range(devices)
    ]
    # The best of a few repeats: on a shared box the other processes only ever add time.
    parse_s = encode_s = float("inf")
    profiler = cProfile.Profile() if profile_it else None
    for _ in range(repeats):
        states = [RateState() for _ in fleet]
        for (device, polls), state in zip(fleet, states, strict=True):
            parse_snmp(polls[0], compiled, device, state)  # the first poll has no rates
        if profiler:
            profiler.enable()
        parse_t = encode_t = 0.0
        for n in range(1, measured + 1):
            for (device, polls), state in zip(fleet, states, strict=True):
                t0 = time.process_time()
                result = parse_snmp(polls[n], compiled, device, state)
                t1 = time.process_time()
                if encode:
                    encode_samples(result.samples)
                t2 = time.process_time()
                parse_t, encode_t = parse_t + t1 - t0, encode_t + t2 - t1
        if profiler:
            profiler.disable()
        parse_s, encode_s = min(parse_s, parse_t), min(encode_s, encode_t)
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    polls = measured * devices
    return {
        "profile": profile.name,  # type: ignore[dict-item]
        "samples": len(result.samples),
        "parse_ms": round(parse_s / polls * 1000, 3),
        "encode_ms": round(encode_s / polls * 1000, 3),
    }


def tree_of(rev: str, into: Path) -> Path:
    """REV's `lanpulse/` package, from this repository's git, in a directory of its own."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "lanpulse"], check=True, capture_output=True
    ).stdout
    root = into / rev
    root.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def child_row(tree: Path, spec: ClassRecording, args: argparse.Namespace) -> dict[str, float]:
    """One class measured by a child process that imports lanpulse from `tree`."""
    cmd = [sys.executable, __file__, "--json", "--only", spec.name]
    cmd += ["--polls", str(args.polls), "--devices", str(args.devices)]
    cmd += ["--repeats", str(args.repeats)] + (["--idle"] if args.idle else [])
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


def compare(args: argparse.Namespace, tmp: Path) -> None:
    """The --before REVs and this tree, alternating per round; medians and ratios."""
    trees = {rev: tree_of(rev, tmp) for rev in args.before}
    trees["this tree"] = ROOT
    for spec in CLASSES:
        if args.only and spec.name != args.only:
            continue
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                rows[name].append(child_row(tree, spec, args))
        first = None
        for name, runs in rows.items():
            parse = statistics.median(r["parse_ms"] for r in runs)
            encode = statistics.median(r["encode_ms"] for r in runs)
            first = first or (parse, encode)
            print(
                f"{spec.name:8s} {name:12s} samples {runs[0]['samples']:3d}  parse ms "
                f"{parse:.3f} (x{parse / first[0]:.3f}; runs {[r['parse_ms'] for r in runs]})"
                f"  encode ms {encode:.3f} (x{encode / first[1]:.3f})",
                flush=True,
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polls", type=int, default=30, help="polls per device and repeat")
    ap.add_argument(
        "--devices", type=int, default=20, help="devices polled round-robin (1: hot caches)"
    )
    ap.add_argument("--idle", action="store_true", help="counters that do not move")
    ap.add_argument("--profile", metavar="CLASS", help="cProfile this class's parse and encode")
    ap.add_argument("--only", metavar="CLASS", help="measure this class only")
    ap.add_argument("--repeats", type=int, default=REPEATS, help="best of this many repeats")
    ap.add_argument(
        "--measure-polls", type=int, help="time only the first N of the --polls (for callgrind)"
    )
    ap.add_argument("--no-encode", action="store_true", help="parse only, no line protocol")
    ap.add_argument("--before", metavar="REV", action="append", help="also REV's code, same run")
    ap.add_argument("--rounds", type=int, default=5, help="with --before: rounds per tree")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = args.only or args.profile
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            compare(args, Path(tmp))
            return 0
        for spec in CLASSES:
            if only and spec.name != only:
                continue
            row = measure(
                spec,
                args.polls + 1,
                args.devices,
                args.idle,
                Path(tmp),
                spec.name == args.profile,
                args.measure_polls,
                not args.no_encode,
                args.repeats,
            )
            print(json.dumps(row) if args.json else f"{spec.name:8s} {row}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
