"""Every recording served by a real snmpsim agent over UDP on 127.0.0.1 and polled with
the real SNMP client gives the same samples as the offline replay (and so the golden
files). Needs the lead's SNMP client (lanpulse.collectors.snmp_client.PysnmpClient)."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from _recordings import DEVICE, golden_document, recordings, replay

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp import table_groups
from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import RawSnmp, Secret, SnmpCredentials, SnmpValue
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.parsers.values import as_text
from lanpulse.sim.snmpsim import SnmpSimAgent

try:
    _client_module = importlib.import_module("lanpulse.collectors.snmp.client")
    PysnmpClient = _client_module.PysnmpClient
except (ImportError, AttributeError):  # pragma: no cover - until the client is merged
    PysnmpClient = None

pytestmark = pytest.mark.skipif(PysnmpClient is None, reason="SNMP client not merged yet")

SYS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0")


async def _poll(agent: SnmpSimAgent, name: str) -> dict[str, object]:
    client = PysnmpClient()
    try:
        creds = SnmpCredentials(version="2c", community=Secret(name), timeout_s=3.0, retries=1)
        target = SnmpTarget(device=name, address="127.0.0.1", port=agent.port, credentials=creds)
        ps = builtin_profiles()
        ident = await client.get(target, [*SYS, *ps.probe_oids()])
        descr = ident.get(SYS[0], b"")
        selection = ps.select(
            str(ident.get(SYS[1], "")),
            as_text(descr) if isinstance(descr, bytes) else str(descr),
            list(ident),
        )
        scalars, columns = selection.profile.plan_oids()
        got_scalars = await client.get(target, list(scalars))
        # Walked as the collector walks them: by table, at most 10 columns a request (one
        # request for every column of a big profile is more than an agent answers).
        got_columns: dict[str, dict[str, SnmpValue]] = {}
        for group in table_groups(columns, 10):
            got_columns.update(await client.walk(target, group))
        raw = RawSnmp(device=name, started_ns=0, scalars=got_scalars, columns=got_columns)
        result = parse_snmp(raw, selection.profile, DEVICE)
        from _recordings import Replay

        return golden_document(Replay(name, selection, result))
    finally:
        client.close()


def test_every_recording_through_snmpsim(snmpsim_agent: SnmpSimAgent) -> None:
    """Real UDP, real BER, real agent: the same samples as the offline replay."""
    mismatched = []
    for path in recordings():
        served = asyncio.run(_poll(snmpsim_agent, path.stem))
        if served != golden_document(replay(path)):
            mismatched.append(path.stem)
    assert mismatched == []
