"""Every recording served by a real snmpsim agent over UDP on 127.0.0.1 and polled with
the daemon's SNMP client (lanpulse's own codec) gives the same samples as the offline
replay (and so the golden files). pysnmp, the reference implementation, is held to the same
answers on a subset in tests/test_snmp_fast.py (`test_profile_plan_matches_pysnmp`): through
it, this test took ~75 s of the suite's budget for no extra coverage."""

from __future__ import annotations

import asyncio

from _recordings import DEVICE, Replay, golden_document, recordings, replay

from lanpulse.collectors.base import SnmpTarget
from lanpulse.collectors.snmp import table_groups
from lanpulse.collectors.snmp.client import NativeSnmpClient
from lanpulse.config.profiles import builtin_profiles
from lanpulse.core.model import RawSnmp, Secret, SnmpCredentials, SnmpValue
from lanpulse.parsers.snmp_profile import parse_snmp
from lanpulse.parsers.values import as_text
from lanpulse.sim.snmpsim import SnmpSimAgent

# snmpsim answers one request at a time; a few polls in flight keep it busy while the
# client decodes, without timeouts on a loaded machine.
IN_FLIGHT = 4

SYS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0")


async def poll_recording(
    agent: SnmpSimAgent, name: str, client: NativeSnmpClient | None = None
) -> dict[str, object]:
    """One recording polled as the daemon polls it, as its golden document (a client of
    its own unless one is shared)."""
    if client is None:
        own = NativeSnmpClient()
        try:
            return await poll_recording(agent, name, own)
        finally:
            own.close()
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
    return golden_document(Replay(name, selection, result))


def test_every_recording_through_snmpsim(snmpsim_agent: SnmpSimAgent) -> None:
    """Real UDP, real BER, real agent: the same samples as the offline replay."""

    async def poll_all() -> dict[str, dict[str, object]]:
        client, gate = NativeSnmpClient(), asyncio.Semaphore(IN_FLIGHT)

        async def one(name: str) -> tuple[str, dict[str, object]]:
            async with gate:
                return name, await poll_recording(snmpsim_agent, name, client)

        try:
            return dict(await asyncio.gather(*(one(p.stem) for p in recordings())))
        finally:
            client.close()

    served = asyncio.run(poll_all())
    mismatched = [p.stem for p in recordings() if served[p.stem] != golden_document(replay(p))]
    assert mismatched == []
