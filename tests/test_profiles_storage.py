"""Storage profiles beyond the corpus stubs.

The NetApp values are a SYNTHETIC recording written from NETAPP-MIB (dfTable, the df64
columns, diskFailedCount), not a device capture: the corpus `netapp` file holds only the
system group. The model is a FAS8200 on clustered ONTAP 9, not the corpus's release.
"""

from __future__ import annotations

from _recordings import replay_values

from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.schema import validate_samples

DF = "1.3.6.1.4.1.789.1.5.4.1."
TIB = 2**40


def test_netapp_df64_volumes_aggregates_and_disks() -> None:
    """A 6 TiB volume whose 32-bit columns wrapped: df64 is used, never dfKBytes; an old
    row without df64 falls back to 32 bits; aggregates are raid rows; a failed disk."""
    values: dict[str, SnmpValue] = {
        "1.3.6.1.2.1.1.1.0": b"NetApp Release 9.8P3: Mon Mar 1 2021",
        "1.3.6.1.2.1.1.2.0": Oid("1.3.6.1.4.1.789.2.5"),
        "1.3.6.1.4.1.789.1.1.5.0": b"FAS8200",
        "1.3.6.1.4.1.789.1.6.4.7.0": 1,  # diskFailedCount
    }
    kib = 6 * TIB // 1024
    rows = {
        # index: (name, type, df64 total/used/avail in KiB or None, 32-bit total/used/avail)
        1: ("/vol/evidence/", 2, (kib, kib // 4, kib - kib // 4), (-2, -3, -4)),
        2: ("/vol/vol0/", 1, None, (1000, 250, 750)),
        3: ("aggr1", 3, (2 * kib, kib, kib), (-5, -6, -7)),
    }
    for i, (name, kind, wide, narrow) in rows.items():
        values[f"{DF}2.{i}"] = name.encode()
        values[f"{DF}23.{i}"] = kind
        for col, v in zip((3, 4, 5), narrow, strict=True):
            values[f"{DF}{col}.{i}"] = v
        if wide:
            for col, v in zip((29, 30, 31), wide, strict=True):
                values[f"{DF}{col}.{i}"] = v
    rep = replay_values("fas8200", values)
    assert rep.selection.profile.name == "netapp"
    assert rep.result.model == "FAS8200"
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    storage = {
        s.tags["volume"]: dict(s.fields) for s in rep.result.samples if s.measurement == "storage"
    }
    assert storage == {
        "/vol/evidence/": {
            "size_bytes": 6 * TIB,
            "used_bytes": 6 * TIB // 4,
            "free_bytes": 6 * TIB - 6 * TIB // 4,
            "used_pct": 25.0,
        },
        "/vol/vol0/": {
            "size_bytes": 1024000,
            "used_bytes": 256000,
            "free_bytes": 768000,
            "used_pct": 25.0,
        },
    }
    raid = {s.tags["array"]: dict(s.fields) for s in rep.result.samples if s.measurement == "raid"}
    assert raid["aggr1"] == {"size_bytes": 12 * TIB, "used_bytes": 6 * TIB}
    assert raid["Disks"] == {"state": 1, "health": 2}


def test_linux_dsktable_is_what_df_shows() -> None:
    """SYNTHETIC dskTable rows (UCD-SNMP-MIB) on the corpus beagleboard's Linux agent: a
    2 TiB /data 95 % full by df (5 % reserved blocks: hrStorage says 90 %), an NFS mount
    (left to hrStorage) and a 64-bit size split in Low/High halves."""
    from _recordings import RECORDINGS

    from lanpulse.sim.snmprec import read_snmprec

    values = read_snmprec(next(RECORDINGS.glob("*/beagleboard.snmprec")))
    dsk, hr = "1.3.6.1.4.1.2021.9.1.", "1.3.6.1.2.1.25.2.3.1."
    total_kib = 2 * TIB // 1024
    used_kib = total_kib * 90 // 100
    avail_kib = total_kib * 5 // 100  # df: used / (used + avail) = 94.7 -> 95 %
    for i, (path, fs, pct) in {
        9: ("/data", b"/dev/sdb1", 95),
        10: ("/mnt/evidence", b"nas:/x", 50),
    }.items():
        values[f"{dsk}2.{i}"] = path.encode()
        values[f"{dsk}3.{i}"] = fs
        values[f"{dsk}9.{i}"] = pct
        for col, amount in ((11, total_kib), (13, avail_kib), (15, used_kib)):
            values[f"{dsk}{col}.{i}"] = amount % 2**32
            values[f"{dsk}{col + 1}.{i}"] = amount // 2**32
        # hrStorage's view of the same mount (4 KiB units; 32-bit, so a wrapped size)
        values[f"{hr}2.{i + 100}"] = Oid("1.3.6.1.2.1.25.2.1.4")
        values[f"{hr}3.{i + 100}"] = path.encode()
        values[f"{hr}4.{i + 100}"] = 4096
        values[f"{hr}5.{i + 100}"] = total_kib // 4
        values[f"{hr}6.{i + 100}"] = used_kib // 4
    rep = replay_values("linux_dsk", values)
    assert validate_samples(rep.result.samples) == []
    storage = {
        s.tags["volume"]: dict(s.fields) for s in rep.result.samples if s.measurement == "storage"
    }
    assert storage["/data"] == {
        "size_bytes": 2 * TIB,
        "used_bytes": used_kib * 1024,
        "free_bytes": avail_kib * 1024,
        "used_pct": 95.0,
    }
    assert storage["/mnt/evidence"]["used_pct"] == 90.0  # hrStorage's (dskTable skips NFS)
