"""lanpulse's own SNMP engine (RFC 3411 snmpEngineID, snmpEngineBoots): kept in a small file.

The trap receiver is the authoritative engine of the SNMPv3 informs it receives. Senders
localise their keys to its engine ID and refuse a Report whose boots went down, so both
must survive a restart: the file holds the engine ID (unless `traps.engine_id` sets it) and
the boots, which every start increments (RFC 3414 2.2.2). Engine time counts from the start.

A file that cannot be read or written is logged and the engine runs from memory: informs
still work until the next restart, and the daemon never stops for it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from lanpulse.collectors.snmp.usm import LocalEngine

log = logging.getLogger(__name__)

FILE_NAME = "snmp_engine.json"
# RFC 3411 SnmpEngineID: high bit set, an enterprise number (lanpulse has none of its own:
# 0), format 5 (octets chosen by the administrator) and 12 random bytes.
_PREFIX = bytes.fromhex("8000000005")
_BOOTS_MAX = 2147483647


def new_engine_id() -> bytes:
    """A fresh, random snmpEngineID in RFC 3411 format 5."""
    return _PREFIX + secrets.token_bytes(12)


def start_local_engine(path: Path, configured: bytes | None = None) -> LocalEngine:
    """The engine as of this start: its ID (configured, stored or new) and boots + 1."""
    engine_id, boots = _read(path)
    if configured is not None and configured != engine_id:
        engine_id, boots = configured, 0  # another engine: its boots start again
    if engine_id is None:
        engine_id, boots = new_engine_id(), 0
    boots = min(boots + 1, _BOOTS_MAX)  # RFC 3414 2.2.2: 2147483647 latches
    _write(path, engine_id, boots)
    return LocalEngine(engine_id, boots)


def _read(path: Path) -> tuple[bytes | None, int]:
    try:
        state = json.loads(path.read_text())
        return bytes.fromhex(state["engine_id"]), int(state["boots"])
    except FileNotFoundError:
        return None, 0
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s cannot be read (%s): starting a new SNMP engine ID", path, exc)
        return None, 0


def _write(path: Path, engine_id: bytes, boots: int) -> None:
    text = json.dumps({"engine_id": engine_id.hex(), "boots": boots}) + "\n"
    partial = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        log.warning(
            "%s cannot be written (%s): SNMPv3 informs work until the next restart, "
            "then senders must discover the engine again",
            path,
            exc.strerror or exc,
        )
