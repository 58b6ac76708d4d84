"""JUNIPER-MIB jnxOperatingTable: one table for every field-replaceable unit, typed by the
first index component (jnxOperatingContentsIndex: 2 power supplies, 4 fans, 7 FPCs,
9 routing engines, ...). Routed here to `sensor` rows (PSU and fan states, FPC and RE
temperatures) and one `host` row (routing engines: CPU averaged, memory summed).

Extra keys per row: descr (jnxOperatingDescr), state (jnxOperatingState: 1 unknown,
2 running, 3 ready, 4 reset, 5 runningAtFullSpeed, 6 down, 7 standby), temp (°C, 0 when
the unit has no sensor), cpu (%), buffer (memory used, %), dram (bytes, an Integer32
that wraps above 2 GiB; read as unsigned, so up to 4 GiB per engine).
"""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_text

POWER, FAN, FPC, ROUTING_ENGINE = "2", "4", "7", "9"
HEALTH = {1: 3, 2: 0, 3: 0, 4: 1, 5: 1, 6: 2, 7: 0}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sensor(row: Row, name: str, kind: str) -> Row:
    out = Row(index=row.index, measurement="sensor")
    out.tags = {"sensor": name, "sensor_type": kind}
    return out


def operating(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Sensors and the routing engines' host row from jnxOperatingTable rows."""
    out: list[Row] = []
    cpus: list[int] = []
    total = used = 0.0
    for row in rows:
        container = row.index.split(".", 1)[0]
        extra = row.extra
        name = as_text(extra.get("descr", b"")) or row.index
        state = _int(extra.get("state"))
        temp = _int(extra.get("temp"))
        if container in (POWER, FAN) and state is not None:
            sensor = _sensor(row, name, "power_supply" if container == POWER else "fan")
            sensor.fields = {"state": state, "health": HEALTH.get(state, 3)}
            out.append(sensor)
        if container in (FPC, ROUTING_ENGINE) and temp:
            sensor = _sensor(row, name, "temperature")
            sensor.fields = {"value": float(temp)}
            out.append(sensor)
        if container == ROUTING_ENGINE:
            cpu, buffer, dram = (
                _int(extra.get("cpu")),
                _int(extra.get("buffer")),
                _int(extra.get("dram")),
            )
            if dram is not None and dram < 0:
                dram += 2**32  # Integer32 in the MIB: 4 GiB and more wrap into the sign bit
            if cpu is not None:
                cpus.append(cpu)
            if dram and buffer is not None:
                total += dram
                used += dram * buffer / 100
    if cpus or total:
        host = Row(index="", measurement="host")
        if cpus:
            host.fields["cpu_pct"] = round(sum(cpus) / len(cpus), 2)
        if total:
            host.fields["mem_total_bytes"] = int(total)
            host.fields["mem_used_bytes"] = int(used)
            host.fields["mem_used_pct"] = round(used / total * 100, 2)
        out.append(host)
    return out
