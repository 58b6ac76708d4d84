"""CPU cost of parsing and encoding one poll, per device class, without any I/O.

    PYTHONPATH=. python benchmarks/parse_cost.py [--polls 30] [--devices 20] [--idle] [--profile C]

The estate benchmark (benchmarks/estate.py) measures the whole pipeline against the SNMP
transport over real sockets; this one isolates the pure-Python part that follows the
transport, so a change to the parser or the line-protocol encoder can be measured in
seconds and without the noise of a shared box. Each class replays the recording that
estate.py serves (the switch widened to 48 ports); every poll is a new `RawSnmp` whose
counters grew, so rates are computed as in production. As in the daemon (two-speed
polling, pipeline/labels.py), one poll in LABEL_REFRESH fetches the full plan and the others
the fast plan plus the cached label columns: inventory metrics (device_info, LLDP
neighbours) are parsed on the full polls only.
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import Device, RawSnmp, SnmpValue
from lanpulse.core.profile import Profile
from lanpulse.parsers.rates import RateState
from lanpulse.parsers.snmp_profile import CompiledProfile, parse_snmp
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
REPEATS = 5
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
    spec: ClassRecording, count: int, devices: int, idle: bool, tmp: Path, profile_it: bool
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
    compiled = CompiledProfile.of(profile)  # as the poller keeps it per loaded profile
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
    for _ in range(REPEATS):
        states = [RateState() for _ in fleet]
        for (device, polls), state in zip(fleet, states, strict=True):
            parse_snmp(polls[0], compiled, device, state)  # the first poll has no rates
        if profiler:
            profiler.enable()
        parse_t = encode_t = 0.0
        for n in range(1, count):
            for (device, polls), state in zip(fleet, states, strict=True):
                t0 = time.process_time()
                result = parse_snmp(polls[n], compiled, device, state)
                t1 = time.process_time()
                encode_samples(result.samples)
                t2 = time.process_time()
                parse_t, encode_t = parse_t + t1 - t0, encode_t + t2 - t1
        if profiler:
            profiler.disable()
        parse_s, encode_s = min(parse_s, parse_t), min(encode_s, encode_t)
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    polls = (count - 1) * devices
    return {
        "profile": profile.name,  # type: ignore[dict-item]
        "samples": len(result.samples),
        "parse_ms": round(parse_s / polls * 1000, 3),
        "encode_ms": round(encode_s / polls * 1000, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polls", type=int, default=30, help="polls per device and repeat")
    ap.add_argument(
        "--devices", type=int, default=20, help="devices polled round-robin (1: hot caches)"
    )
    ap.add_argument("--idle", action="store_true", help="counters that do not move")
    ap.add_argument("--profile", metavar="CLASS", help="cProfile this class's parse and encode")
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for spec in CLASSES:
            if args.profile and spec.name != args.profile:
                continue
            row = measure(
                spec, args.polls + 1, args.devices, args.idle, Path(tmp), spec.name == args.profile
            )
            print(f"{spec.name:8s} {row}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
