"""SNMP for lanpulse: the collector, and one client for v1/v2c/v3 (see docs/snmp.md).

collector.py     one poll of one device under its deadline -> RawSnmp
client.py        `make_snmp_client()`: the client, routing each target to a step
walk.py          the walk driver (GET batches, GETBULK/GETNEXT walks), written once
transport.py     asyncio UDP: one socket, request ids, tries, bad answers; v1/v2c step
v3.py            the SNMPv3 step: discovery, time window, Reports
usm.py           v3 messages with USM (also the trap receiver's API); usm_crypto.py keys
codec.py         BER: PDUs and community messages
results.py       result types, error texts, walk tuning
pysnmp_step.py   pysnmp as the reference engine and fallback (`snmp.engine: pysnmp`)
"""

from lanpulse.collectors.snmp.collector import SnmpCollector, deadline_for, table_groups

__all__ = ["SnmpCollector", "deadline_for", "table_groups"]
