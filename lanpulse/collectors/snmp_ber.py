"""Moved to `lanpulse.collectors.snmp.codec`; this name stays for code not yet updated."""

from lanpulse.collectors.snmp.codec import *  # noqa: F403
from lanpulse.collectors.snmp.codec import (  # noqa: F401 - private names some callers use
    _long_length,
    _tlv,
)
