"""What fails inside a poll travels as `PollError` records: the error class and the part that
failed for code to decide on, the one-line message (as before) for people; no credential
ever shows in a record's repr. In-process fakes only: no sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lanpulse.collectors.base import SnmpPlan, SnmpTarget
from lanpulse.collectors.snmp.codec import Pdu
from lanpulse.collectors.snmp.collector import SnmpCollector
from lanpulse.collectors.snmp.results import GetResult, WalkResult
from lanpulse.collectors.snmp.walk import WalkDriver
from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.errors import AgentError, CollectTimeout, PollError
from lanpulse.core.model import Device, Secret, SnmpCredentials
from lanpulse.pipeline.poll import DeviceState, SnmpPoller

SECRETS = ("auth-secret-1234", "priv-secret-5678")
CREDS = SnmpCredentials(
    version="3",
    user="monitor",
    auth_protocol="sha",
    auth_password=Secret(SECRETS[0]),
    priv_protocol="aes",
    priv_password=Secret(SECRETS[1]),
    timeout_s=0.1,
    retries=0,
)
DEVICE = Device("sw1", "127.0.0.1", snmp=CREDS, deadline_s=0.3)
TARGET = SnmpTarget("sw1", "127.0.0.1", 161, CREDS)
SYS_UPTIME, SYS_NAME = "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0"
IF_TABLE, IF_X_TABLE = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"


def assert_no_secret(*records: object) -> None:
    text = repr(records) + "".join(map(str, records))
    assert not any(secret in text for secret in SECRETS)


class GenErrOnce:
    """A step whose agent answers genErr for the second OID once, then everything else."""

    def __init__(self) -> None:
        self.requests = 0

    async def request(
        self, target: SnmpTarget, pdu_type: int, raw_oids: list[bytes], max_repetitions: int
    ) -> Pdu:
        self.requests += 1
        if self.requests == 1:
            return Pdu(0xA2, 1, 5, 2, [])
        return Pdu(0xA2, 2, 0, 0, [(raw, 0x43, 42) for raw in raw_oids])


def test_an_oid_the_agent_refuses_is_named_as_the_part_that_failed() -> None:
    oids = [SYS_UPTIME, SYS_NAME, "1.3.6.1.2.1.1.6.0"]
    got = asyncio.run(WalkDriver().get(GenErrOnce(), TARGET, oids))
    assert got == {SYS_UPTIME: 42, "1.3.6.1.2.1.1.6.0": 42}
    assert got.errors == [
        PollError(
            AgentError, SYS_NAME, f"127.0.0.1:161: agent answered genErr at varbind 2 ({SYS_NAME})"
        )
    ]
    assert_no_secret(*got.errors)


class PartlyFailingClient:
    """GET: one OID refused; the ifTable walk refused; the ifXTable walk never answers."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        got = GetResult()
        got[SYS_UPTIME] = 7
        got.errors.append(PollError(AgentError, SYS_NAME, "refused"))
        return got

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        if columns[0].startswith(IF_TABLE):
            raise AgentError(target.device, "127.0.0.1:161: agent answered noAccess")
        await asyncio.sleep(5)
        raise AssertionError("the deadline should have passed")

    def close(self) -> None:
        pass


def test_collector_keeps_each_failed_part_with_its_kind() -> None:
    plan = SnmpPlan(
        scalars=(SYS_UPTIME, SYS_NAME),
        columns=(f"{IF_TABLE}.2", f"{IF_TABLE}.10", f"{IF_X_TABLE}.1"),
    )
    raw = asyncio.run(SnmpCollector(PartlyFailingClient()).collect(DEVICE, plan))
    assert raw.scalars == {SYS_UPTIME: 7}
    assert raw.errors == (
        PollError(AgentError, SYS_NAME, "refused"),
        PollError(AgentError, IF_TABLE, "127.0.0.1:161: agent answered noAccess"),
        PollError(
            CollectTimeout, f"{IF_X_TABLE}.1", "poll deadline of 0.3s passed; kept what was fetched"
        ),
    )
    assert [str(e) for e in raw.errors][1] == "127.0.0.1:161: agent answered noAccess"
    assert_no_secret(raw, *raw.errors)


class SilentClient:
    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> GetResult:
        raise CollectTimeout(target.device, "no answer from 127.0.0.1:161")

    async def walk(self, target: SnmpTarget, columns: Sequence[str]) -> WalkResult:
        raise CollectTimeout(target.device, "no answer from 127.0.0.1:161")

    def close(self) -> None:
        pass


def test_a_failed_poll_records_the_error_class_and_the_same_line() -> None:
    poller = SnmpPoller(SilentClient(), builtin_profiles())
    report = asyncio.run(poller.poll(DEVICE, DeviceState()))
    assert not report.outcome.up
    (failure,) = report.outcome.errors
    assert failure.kind is CollectTimeout and failure.part == ""
    assert str(failure) == "timeout: no answer from 127.0.0.1:161"
    assert_no_secret(report.outcome, failure)
