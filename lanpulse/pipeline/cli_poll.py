"""One CLI poll of one device: collector (I/O) + parser (pure), composed here.

`collectors` and `parsers` never import each other; this module is where they meet, like
the daemon. `poll_cli_device` is what `lanpulse poll --cli` calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from lanpulse.collectors.cli import CliCollector, CliPlan
from lanpulse.core.errors import CollectError
from lanpulse.core.model import Device, FieldValue, RawCli, Sample, now_ns
from lanpulse.core.repeat_log import RepeatLog
from lanpulse.parsers.cli import CliProfile, load_cli_profile, parse_cli
from lanpulse.parsers.cli.mapper import base_tags


def plan_for(profile: CliProfile) -> CliPlan:
    """The collector's plan for a profile: its commands and rejection texts."""
    return CliPlan(profile.device_type, profile.command_lines, profile.rejected_patterns)


def profile_for(device: Device) -> CliProfile:
    """The bundled CLI profile of the device's `ssh.platform`."""
    if device.ssh is None:
        raise CollectError(device.name, "no `ssh:` section: the device has no CLI access")
    return load_cli_profile(device.ssh.platform)


def poll_cli_device(
    device: Device,
    *,
    collector: CliCollector | None = None,
    profile: CliProfile | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[Sample], list[str]]:
    """Poll `device` over SSH once: (schema-valid samples, one-line errors naming it).

    A failed poll still yields a `device` sample with `up=0`. Without `collector`, a
    temporary one is created and closed (no persistent session survives the call).
    """
    profile = profile or profile_for(device)
    own = collector is None
    col = collector or CliCollector(max_workers=2)
    started = clock()
    try:
        raw = col.collect_sync(device, plan_for(profile))
    except CollectError as exc:
        return [_device_sample(device, profile, None, clock() - started, 1, now_ns(), exc)], [
            str(exc)
        ]
    finally:
        if own:
            col.close()
    return finish_cli_poll(device, profile, raw, clock() - started)


async def poll_cli_device_async(
    device: Device,
    collector: CliCollector,
    *,
    profile: CliProfile | None = None,
    clock: Callable[[], float] = time.monotonic,
    problems: RepeatLog | None = None,
) -> tuple[list[Sample], list[str]]:
    """The daemon's variant of `poll_cli_device`: runs on the collector's thread pool.

    A failed SSH connection or login is logged through `problems` (once, then summarised
    while it lasts, and once when the device answers again), besides its `device` sample.
    """
    profile = profile or profile_for(device)
    started = clock()
    key = f"ssh:{device.name}"
    try:
        raw = await collector.collect(device, plan_for(profile))
    except CollectError as exc:
        if problems is not None:
            problems.report(key, f"ssh poll {device.name} failed: {exc.message}", logging.WARNING)
        sample = _device_sample(device, profile, None, clock() - started, 1, now_ns(), exc)
        return [sample], [str(exc)]
    if problems is not None:
        problems.resolved(key, f"ssh poll {device.name}: answers again")
    return finish_cli_poll(device, profile, raw, clock() - started)


def finish_cli_poll(
    device: Device, profile: CliProfile, raw: RawCli, duration_s: float
) -> tuple[list[Sample], list[str]]:
    """Parse a raw result and add the poll's own `device` sample (up, duration, errors)."""
    result = parse_cli(raw, profile, device)
    errors = [f"{device.name}: `{err.part}`: {err}" for err in raw.errors]
    errors.extend(result.problems)
    samples = [s for s in result.samples if s.measurement != "device"]
    previous = next((s for s in result.samples if s.measurement == "device"), None)
    samples.insert(
        0,
        _device_sample(device, profile, previous, duration_s, len(errors), raw.started_ns, None),
    )
    return samples, errors


def _device_sample(
    device: Device,
    profile: CliProfile,
    parsed: Sample | None,
    duration_s: float,
    n_errors: int,
    time_ns: int,
    failure: CollectError | None,
) -> Sample:
    tags = dict(parsed.tags) if parsed else base_tags(device, profile)
    if failure is not None:
        tags["error"] = failure.kind
    fields: dict[str, FieldValue] = dict(parsed.fields) if parsed else {}
    fields.update(
        up=0 if failure is not None else 1,
        poll_seconds=round(max(duration_s, 0.0), 6),
        poll_errors=n_errors,
    )
    return Sample("device", tags, fields, time_ns)
