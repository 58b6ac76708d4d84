"""Storage profiles beyond the corpus stubs.

SYNTHETIC recordings written from the MIBs, not device captures: NetApp (NETAPP-MIB
dfTable, the df64 columns, diskFailedCount; the corpus `netapp` file holds only the system
group; the model is a FAS8200 on ONTAP 9.8, not the corpus's release), Isilon (ISILON-MIB;
no recording exists upstream), UCD dskTable rows added to the corpus beagleboard, and the
NetApp E-Series storageServer scalars (ES-NETAPP-06-MIB, as quoted from it; the corpus
E2700 answers only ssStorageArrayName) added to the corpus E2700.
"""

from __future__ import annotations

from _recordings import RECORDINGS, replay_values

from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.sim.snmprec import read_snmprec

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
        "1.3.6.1.4.1.789.1.6.4.8.0": 0,  # diskSpareCount
        "1.3.6.1.4.1.789.1.25.2.1.1.1": b"fas8200-01",  # nodeName
        "1.3.6.1.4.1.789.1.25.2.1.11.1": 1,  # clusterComOk
        "1.3.6.1.4.1.789.1.25.2.1.1.2": b"fas8200-02",
        "1.3.6.1.4.1.789.1.25.2.1.11.2": 0,  # clusterComLost
    }
    kib = 6 * TIB // 1024
    rows = {
        # index: (name, type, df64 total/used/avail in KiB or None, 32-bit total/used/avail)
        1: ("/vol/evidence/", 2, (kib, kib // 4, kib - kib // 4), (-2, -3, -4)),
        4: ("/vol/evidence/.snapshot", 2, (kib // 20, 0, kib // 20), (-8, 0, -9)),
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
        "/vol/evidence/.snapshot": {
            "size_bytes": kib // 20 * 1024,
            "used_bytes": 0,
            "free_bytes": kib // 20 * 1024,
            "used_pct": 0.0,
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
    assert raid["Failed disks"] == {"state": 1, "health": 2}
    assert raid["Spare disks"] == {"state": 0, "health": 1}
    assert raid["node fas8200-01"] == {"state": 1, "health": 0}
    assert raid["node fas8200-02"] == {"state": 0, "health": 2}


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


def _index(text: str, size: int = 48) -> str:
    """An SNMP index of a fixed-length DisplayString (ISILON-MIB quotaDomainID)."""
    return ".".join(str(b) for b in text.ljust(size).encode())


def test_isilon_cluster_quotas_disks_and_health() -> None:
    """SYNTHETIC (ISILON-MIB): an H500 cluster, 80 % of /ifs used (available, not free),
    a directory quota at 95 %, a user quota (not a capacity: left out), a quota without a
    hard limit, a smartfailed and a dead disk, the cluster in attention."""
    isi = "1.3.6.1.4.1.12124."
    values: dict[str, SnmpValue] = {
        "1.3.6.1.2.1.1.1.0": b"isi-1 Isilon OneFS v9.5.0.0 Isilon OneFS",
        "1.3.6.1.2.1.1.2.0": Oid("1.3.6.1.4.1.12325.1.1.2.1.1"),
        isi + "2.51.1.4.1": b"H500",
        isi + "2.51.1.3.1": b"JACNX1234",
        isi + "1.3.1.0": 500 * TIB,
        isi + "1.3.2.0": 400 * TIB,
        isi + "1.3.3.0": 90 * TIB,  # available: less than total - used (virtual hot spare)
        isi + "1.3.4.0": 100 * TIB,  # free: not used
        isi + "1.1.2.0": 1,
        isi + "2.1.1.0": b"isi-1",
        isi + "2.1.2.0": 0,
    }
    quota = isi + "1.12.1.1."
    for domain, (kind, path, hard, usage) in {
        "d1": (4, b"/ifs/evidence", 10 * TIB, 9.5 * TIB),
        "u1": (1, b"/ifs/home", 1 * TIB, 0.2 * TIB),
        "d2": (4, b"/ifs/scratch", 0, 2 * TIB),
    }.items():
        i = _index(domain)
        values[f"{quota}2.{i}"] = kind
        values[f"{quota}5.{i}"] = path
        values[f"{quota}7.{i}"] = hard
        values[f"{quota}13.{i}"] = int(usage)
    disk = isi + "2.52.1."
    for i, (name, status) in enumerate(
        ((b"ada0", b"HEALTHY"), (b"ada1", b"SMARTFAIL"), (b"ada2", b"DEAD")), 1
    ):
        values[f"{disk}1.{i}"] = i
        values[f"{disk}4.{i}"] = name
        values[f"{disk}5.{i}"] = status
        values[f"{disk}6.{i}"] = b"ST12000NM0027"
    rep = replay_values("isilon_h500", values)
    assert rep.selection.profile.name == "isilon"
    assert rep.result.model == "H500"
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    storage = {
        s.tags["volume"]: dict(s.fields) for s in rep.result.samples if s.measurement == "storage"
    }
    assert storage["/ifs"] == {
        "size_bytes": 500 * TIB,
        "used_bytes": 400 * TIB,
        "free_bytes": 90 * TIB,
        "used_pct": 80.0,
    }
    assert storage["/ifs/evidence"]["used_pct"] == 95.0
    assert "/ifs/home" not in storage and "/ifs/scratch" not in storage
    disks = {s.tags["disk"]: dict(s.fields) for s in rep.result.samples if s.measurement == "disk"}
    assert disks == {"ada0": {"health": 0}, "ada1": {"health": 1}, "ada2": {"health": 2}}
    raid = {s.tags["array"]: dict(s.fields) for s in rep.result.samples if s.measurement == "raid"}
    assert raid == {"cluster": {"state": 1, "health": 1}, "node isi-1": {"state": 0, "health": 0}}
    info = next(s.tags for s in rep.result.samples if s.measurement == "device_info")
    assert (info["serial"], info["firmware"]) == ("JACNX1234", "9.5.0.0")


ES_SERVER = "1.3.6.1.4.1.789.1123.2.500.1."  # ES-NETAPP-06-MIB storageServer info scalars


def _eseries(needs_attention: int) -> dict[str, dict[str, object]]:
    values = read_snmprec(RECORDINGS / "storage" / "netapp_e2700.snmprec")
    values |= {
        ES_SERVER + "1.0": b"e2700-lab",  # ssStorageArrayName
        ES_SERVER + "2.0": b"600a098000f63714000000005e000001",  # ssStorageArrayWWID
        ES_SERVER + "3.0": b"021540000123   ",  # ssChassisSerialNumber, space-padded
        ES_SERVER + "4.0": b"NETAPP  ",  # ssVendorID
        ES_SERVER + "5.0": b"INF-01-00       ",  # ssProductID
        ES_SERVER + "6.0": b"2700",  # ssModelName
        ES_SERVER + "7.0": needs_attention,  # ssStorageArrayNeedsAttention
    }
    rep = replay_values(f"e2700_{needs_attention}", values)
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    assert rep.selection.profile.name == "netapp_eseries"
    return {s.measurement: {**s.tags, **s.fields} for s in rep.result.samples}


def test_netapp_eseries_needs_attention_and_serial() -> None:
    """SYNTHETIC (ES-NETAPP-06-MIB): the array's summary status as a raid row named after
    the array (0 optimal, 1 needs attention: a warning), its chassis serial unpadded."""
    optimal = _eseries(0)
    assert (optimal["raid"]["array"], optimal["raid"]["state"], optimal["raid"]["health"]) == (
        "e2700-lab",
        0,
        0,
    )
    assert optimal["device_info"]["serial"] == "021540000123"
    attention = _eseries(1)["raid"]
    assert (attention["state"], attention["health"]) == (1, 1)
