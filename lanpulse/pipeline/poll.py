"""Poll one SNMP device: choose its profile, collect, parse, and always yield a `device` sample.

A failed poll is data: it still produces `device` with `up=0`, so "device down" is an
ordinary alert rule. The broad `except` here is the per-device poll boundary, where it logs,
counts and carries on; the code base's other broad `except`s are likewise task boundaries
(a notifier's delivery, an SSH command, a trap or push request, a writer call) that must not
stop the daemon.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lanpulse.collectors.base import SnmpClient, SnmpPlan, SnmpTarget
from lanpulse.collectors.snmp import SnmpCollector, deadline_for
from lanpulse.config.profiles import FALLBACK, ProfileSet, Selection, evidence_answers
from lanpulse.core.errors import AgentError, CollectError, CollectTimeout, PollError
from lanpulse.core.model import Device, PollOutcome, RawSnmp, Sample, SnmpValue, now_ns
from lanpulse.core.profile import Profile
from lanpulse.parsers.rates import RateState
from lanpulse.parsers.snmp_profile import CompiledProfile, ParseResult, device_sample, parse_snmp
from lanpulse.parsers.values import as_text
from lanpulse.pipeline.labels import LabelCache, TwoSpeedPlan, two_speed_plan

log = logging.getLogger(__name__)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IDENTITY_OIDS = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)
# The collector keeps partial results at the device's deadline; the whole poll (with the
# profile selection of a first poll) gets this much more before it is cut as failed.
POLL_GRACE_S = 0.5


@dataclass(slots=True)
class DeviceState:
    """What the poller remembers about one device between polls."""

    rates: RateState = field(default_factory=RateState)
    selection: Selection | None = None
    plan: TwoSpeedPlan | None = None  # shared by every device of the same profile
    model: str | None = None
    polls: int = 0
    labels: LabelCache = field(default_factory=LabelCache)
    failing: bool = False  # the last poll got no answer (log the change, not every poll)
    errors: tuple[PollError, ...] = ()  # the last poll's errors, for the status page

    def facts(self) -> tuple[str, tuple[PollError, ...]]:
        """(profile in use, the last poll's errors): what the status page shows beside samples."""
        return (self.selection.profile.name if self.selection else "", self.errors)


@dataclass(frozen=True, slots=True)
class PollReport:
    """A poll's outcome plus what `poll --explain` shows about it."""

    outcome: PollOutcome
    selection: Selection | None
    parse: ParseResult | None
    raw: RawSnmp | None


def target_of(device: Device) -> SnmpTarget:
    """The SNMP target of a device that has SNMP settings."""
    if device.snmp is None:
        raise CollectError(device.name, "device has no snmp settings")
    return SnmpTarget(device.name, device.address, device.port, device.snmp)


class SnmpPoller:
    """Polls devices over SNMP with one shared client and the loaded profiles."""

    def __init__(
        self,
        client: SnmpClient,
        profiles: ProfileSet,
        clock_ns: Callable[[], int] = now_ns,
        monotonic: Callable[[], float] = time.monotonic,
        label_refresh_polls: int = 10,
    ) -> None:
        self.client = client
        self.label_refresh_polls = label_refresh_polls
        self._plans: dict[str, TwoSpeedPlan] = {}
        # Each loaded profile compiled for parsing, with its memos (by profile name).
        self._compiled: dict[str, CompiledProfile] = {}
        self.profiles = profiles
        self.collector = SnmpCollector(client, clock=clock_ns)
        self.clock_ns = clock_ns
        self.monotonic = monotonic

    def replace_profiles(self, profiles: ProfileSet) -> None:
        """Use reloaded profiles; plans are built again from them (devices select again)."""
        self.profiles = profiles
        self._plans.clear()

    async def select(self, device: Device, state: DeviceState) -> Selection:
        """The device's profile: named in the inventory, or chosen from its identity."""
        if state.selection is not None:
            return state.selection
        if device.profile:
            selection = Selection(self.profiles.get(device.profile), "named in the inventory")
        else:
            probes = self.profiles.probe_oids()
            ident = await self.client.get(target_of(device), (*IDENTITY_OIDS, *probes))
            args = (as_text(ident.get(SYS_OBJECT_ID, "")), as_text(ident.get(SYS_DESCR, "")))
            answered = [oid for oid in probes if oid in ident]
            selection = self.profiles.select(*args, answered=answered)
            if selection.profile.name == FALLBACK:
                evidence = await self._evidence(device)
                selection = self.profiles.select(*args, answered=answered, evidence=evidence)
        state.selection = selection
        state.plan = self.plan_for(selection.profile)
        return selection

    async def _evidence(self, device: Device) -> dict[str, list[int]]:
        """What a device of unknown vendor answers of the class-inference OIDs (first poll
        only: a few GETs in one request and one short walk per column)."""
        gets, walks = self.profiles.evidence_oids()
        target = target_of(device)
        scalars: dict[str, SnmpValue] = {}
        columns: dict[str, Mapping[str, SnmpValue]] = {}
        # One request per column: an SNMPv1 agent refuses a whole request (noSuchName)
        # for one column it lacks, and a refusal is only "no evidence", never a failed poll.
        if gets:
            try:
                scalars.update(await self.client.get(target, gets))
            except AgentError as exc:
                log.debug("%s: class evidence GET refused: %s", device.name, exc.message)
        for column in walks:
            try:
                columns.update(await self.client.walk(target, (column,)))
            except AgentError as exc:
                log.debug("%s: class evidence walk refused: %s", device.name, exc.message)
        return evidence_answers(scalars, columns)

    def plan_for(self, profile: Profile) -> TwoSpeedPlan:
        """The profile's two-speed plan, built once and shared by its devices."""
        plan = self._plans.get(profile.name)
        if plan is None:
            plan = self._plans[profile.name] = two_speed_plan(profile, IDENTITY_OIDS)
        return plan

    def compiled(self, profile: Profile) -> CompiledProfile:
        """The profile compiled for parsing, built once and shared by its devices."""
        compiled = self._compiled.get(profile.name)
        if compiled is None or compiled.profile is not profile:
            compiled = self._compiled[profile.name] = CompiledProfile.of(profile)
        return compiled

    async def collect(self, device: Device, state: DeviceState) -> RawSnmp:
        """Fetch one poll's data: everything when labels are due, else values + cached labels."""
        plan, cache = state.plan, state.labels
        assert plan is not None
        if not plan.labels or cache.due(self.label_refresh_polls):
            raw = await self.collector.collect(device, plan.full)
            cache.remember(raw, plan, walked=True)
            return raw
        raw = await self.collector.collect(device, plan.fast)
        reason = cache.stale(raw, plan)
        if reason is None:
            assert cache.columns is not None
            cache.remember(raw, plan, walked=False)
            return cache.merged(raw, cache.columns)
        log.info("labels of %s walked again: %s", device.name, reason)
        walked = await self.collector.collect(device, SnmpPlan(columns=plan.labels))
        merged = cache.merged(raw, walked.columns)
        if walked.errors:
            merged = RawSnmp(
                merged.device,
                merged.started_ns,
                merged.scalars,
                merged.columns,
                (*raw.errors, *walked.errors),
            )
        cache.remember(merged, plan, walked=True)
        return merged

    @staticmethod
    def _log_failure(device: Device, state: DeviceState, reason: str) -> None:
        """A warning when a device stops answering; while it stays down, debug only."""
        level = logging.DEBUG if state.failing else logging.WARNING
        log.log(level, "poll %s failed: %s", device.name, reason)

    async def poll(self, device: Device, state: DeviceState) -> PollReport:
        """Poll once; never raises for device trouble (the outcome says what went wrong)."""
        started = self.clock_ns()
        t0 = self.monotonic()
        selection: Selection | None = state.selection
        profile: Profile | None = selection.profile if selection else None
        raw: RawSnmp | None = None
        parsed: ParseResult | None = None
        errors: list[PollError] = []
        samples: list[Sample] = []
        up = False
        budget = deadline_for(device) + POLL_GRACE_S
        try:
            async with asyncio.timeout(budget):
                selection = await self.select(device, state)
                profile = selection.profile
                raw = await self.collect(device, state)
            started = raw.started_ns  # every sample carries the poll's start time
            errors.extend(raw.errors)
            up = True
            parsed = parse_snmp(raw, self.compiled(profile), device, state.rates)
            errors.extend(PollError(type(f.error), f.metric, str(f)) for f in parsed.failures)
            samples.extend(parsed.samples)
            state.model = parsed.model or state.model
        except CollectError as exc:
            errors.append(PollError(type(exc), "", f"{exc.kind}: {exc.message}"))
            self._log_failure(device, state, exc.message)
        except TimeoutError:
            # Identification plus collection outlasted the deadline: still a `device` sample.
            errors.append(
                PollError(CollectTimeout, "", f"timeout: poll deadline of {budget:g}s passed")
            )
            self._log_failure(device, state, f"deadline of {budget:g}s passed")
        except Exception as exc:  # the per-device boundary: log, count, carry on
            errors.append(PollError(type(exc), "", f"internal: {type(exc).__name__}: {exc}"))
            log.exception("poll %s: internal error", device.name)
        if up and state.failing:
            log.info("poll %s: answers again", device.name)
        state.failing = not up
        state.errors = tuple(errors)
        state.polls += 1
        device_class = device.device_class or (profile.device_class if profile else None) or "other"
        duration = self.monotonic() - t0
        samples.insert(
            0,
            device_sample(
                device,
                device_class,
                started,
                up=up,
                poll_seconds=duration,
                poll_errors=len(errors),
                uptime_s=parsed.uptime_s if parsed else None,
                vendor=profile.vendor if profile else None,
                model=state.model,
            ),
        )
        outcome = PollOutcome(
            device=device.name,
            samples=tuple(samples),
            errors=tuple(errors),
            duration_s=duration,
            started_ns=started,
            up=up,
        )
        return PollReport(outcome, selection, parsed, raw)
