"""The SNMP collector: one poll of one device, under that device's deadline.

I/O only: it fetches the plan's scalars and table columns through an `SnmpClient` and returns
a `RawSnmp`; parsers turn that into samples. A failure stays with its device: the collector
either returns what it got (with a `PollError` for each part that failed) or raises a
`CollectError` naming the device.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence

from lanpulse.collectors.base import SnmpClient, SnmpPlan, SnmpTarget
from lanpulse.collectors.snmp.results import subtree
from lanpulse.core.errors import AgentError, CollectError, CollectTimeout, ConfigError, PollError
from lanpulse.core.model import Device, RawSnmp, SnmpValue, now_ns

DEADLINE_SHARE = 0.9  # of the interval, when the device sets no deadline of its own


def deadline_for(device: Device) -> float:
    """Seconds one poll of `device` may take: its own deadline, else 0.9 x its interval."""
    return device.deadline_s if device.deadline_s else DEADLINE_SHARE * device.interval_s


def _part(plan: SnmpPlan, step: tuple[str, ...] | None) -> str:
    """What a failed step asked for (a `PollError`'s part): its scalar OIDs, or the table
    its columns lie under. Worked out only when a step fails, not on every poll."""
    return " ".join(plan.scalars) if step is None else subtree(step)


def table_groups(columns: Sequence[str], max_columns: int) -> Iterator[tuple[str, ...]]:
    """Columns grouped by table (same parent OID), at most `max_columns` per group.

    Walking one table's columns together is what a table walk is; a group is also the unit
    that a deadline keeps or loses.
    """
    tables: dict[str, list[str]] = {}
    for column in columns:
        column = column.strip().lstrip(".")
        tables.setdefault(column.rsplit(".", 1)[0], []).append(column)
    for group in tables.values():
        for start in range(0, len(group), max_columns):
            yield tuple(group[start : start + max_columns])


class SnmpCollector:
    """Polls devices over SNMP with one shared client (one engine, one socket)."""

    def __init__(
        self,
        client: SnmpClient,
        *,
        clock: Callable[[], int] = now_ns,
        max_columns_per_walk: int = 10,
    ) -> None:
        self.client = client
        self.clock = clock
        self.max_columns_per_walk = max_columns_per_walk

    async def collect(self, device: Device, plan: SnmpPlan) -> RawSnmp:
        """Fetch `plan` from `device`; partial results come back with their `PollError`s."""
        started_ns = self.clock()
        if device.snmp is None:
            raise ConfigError(f"device {device.name!r} has no SNMP settings", key="snmp")
        target = SnmpTarget(device.name, device.address, device.port, device.snmp)
        deadline = deadline_for(device)
        scalars: dict[str, SnmpValue] = {}
        columns: dict[str, Mapping[str, SnmpValue]] = {}
        errors: list[PollError] = []
        answered = False
        step: tuple[str, ...] | None = None  # the step under way (None: the scalars)
        try:
            async with asyncio.timeout(deadline):
                steps: list[tuple[str, ...] | None] = [None] if plan.scalars else []
                steps += list(table_groups(plan.columns, self.max_columns_per_walk))
                for step in steps:
                    try:
                        if step is None:
                            got = await self.client.get(target, plan.scalars)
                            scalars.update(got)
                            errors.extend(getattr(got, "errors", ()))
                        else:
                            walked = await self.client.walk(target, step)
                            columns.update(walked)
                            errors.extend(getattr(walked, "errors", ()))
                        answered = True
                    except AgentError as exc:
                        # The agent is there but refused this part: keep going with the rest.
                        answered = True
                        errors.append(PollError.of(exc, _part(plan, step)))
                    except CollectError as exc:
                        if not answered:
                            raise
                        errors.append(PollError.of(exc, _part(plan, step)))
                        break
        except TimeoutError:
            if not answered:
                raise CollectTimeout(
                    device.name,
                    f"poll deadline of {deadline:g}s passed before "
                    f"{device.address}:{device.port} answered anything",
                ) from None
            errors.append(
                PollError(
                    CollectTimeout,
                    _part(plan, step),
                    f"poll deadline of {deadline:g}s passed; kept what was fetched",
                )
            )
        return RawSnmp(
            device=device.name,
            started_ns=started_ns,
            scalars=scalars,
            columns=columns,
            errors=tuple(errors),
        )
