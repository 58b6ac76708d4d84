"""`lanpulse profiles list|show` through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.cli import main


def test_list_shows_every_selectable_profile(capsys: pytest.CaptureFixture[str]) -> None:
    """Each selectable profile with class, vendor and match rules; no mixins."""
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["PROFILE", "CLASS", "VENDOR", "MATCHES"]
    names = {line.split()[0] for line in out[1:]}
    assert {"generic", "hp_jetdirect", "synology", "cisco_ios", "windows_server"} <= names
    assert not any(n.startswith("_") for n in names)
    syno = next(line for line in out if line.startswith("synology "))
    assert "storage" in syno and "Synology" in syno and "answers 1.3.6.1.4.1.6574.1.5.1.0" in syno
    assert "(fallback)" in next(line for line in out if line.startswith("generic "))


def test_show_lists_oids(capsys: pytest.CaptureFixture[str]) -> None:
    """`show` prints a profile's metrics with the OIDs it gets and walks."""
    assert main(["profiles", "show", "xerox"]) == 0
    out = capsys.readouterr().out
    assert "walk 1.3.6.1.2.1.43.11.1.1.9" in out
    assert "printer_supplies -> printer_supply" in out
    # MIB object names are profile data next to their OIDs, printed with them.
    assert "supply <- prtMarkerSuppliesDescription" in out
    assert "page_count <- xcmHrDevDetailValueInteger" in out


def test_every_shipped_mib_name_is_written_once_per_column() -> None:
    """A MIB object name labels one column OID across the shipped profiles, except where
    two vendors' MIBs share a name (then it resolves to nothing rather than a guess)."""
    from lanpulse.config.profiles import builtin_profiles

    columns = builtin_profiles().mib_columns()
    assert columns["ifHCInOctets"] == "1.3.6.1.2.1.31.1.1.1.6"
    assert columns["lldpRemSysName"] == "1.0.8802.1.1.2.1.4.1.1.9"
    assert "boxServicesFanSpeed" not in columns  # FASTPATH under two enterprises


def test_unknown_profile_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A typo gives one line naming what exists, exit code 2."""
    assert main(["profiles", "show", "xerox2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown profile 'xerox2'" in err[0]


def test_bad_user_profile_is_reported_with_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken user profile names its file, never a traceback."""
    (tmp_path / "broken.yaml").write_text("extends: [_printer]\nmatch: {sysobjectid: [x.y]}\n")
    assert main(["profiles", "--profiles-dir", str(tmp_path), "list"]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml" in err and "Traceback" not in err


# Shipped OIDs left without a name: no public MIB text was found to take it from, and a
# guessed name would mislead more than none.
UNNAMED: dict[tuple[str, str], str] = {
    ("konica_minolta.yaml", "1.3.6.1.4.1.18334.1.1.1.1.6.2.1.0"): "the model scalar of "
    "Konica Minolta's private MIB; only tools' own labels for it are public",
    ("canon.yaml", "1.3.6.1.4.1.1602.1.11.1.3.1.4.101"): "CANON-MIB's counter table "
    "column; its name is in no public copy of the MIB",
}


def _unnamed_oids(node: object, key: str) -> list[tuple[str, str]]:
    """(key, OID) of the OID entries under `node` that carry no MIB object name, keyed as
    `metrics.interfaces.fields.admin_status` (a metric in a list by its name)."""
    if isinstance(node, dict):
        if "oid" in node and not node.get("name"):
            return [(key, str(node["oid"]))]
        return [m for k, v in node.items() for m in _unnamed_oids(v, f"{key}.{k}".lstrip("."))]
    if isinstance(node, list):
        return [
            m for i, item in enumerate(node) for m in _unnamed_oids(item, _item_key(key, i, item))
        ]
    return []


def _item_key(key: str, i: int, item: object) -> str:
    if isinstance(item, dict) and "oid" not in item and isinstance(item.get("name"), str):
        return f"{key}.{item['name']}"
    return f"{key}[{i}]"


def test_every_shipped_oid_names_its_mib_object() -> None:
    """Each OID entry of a shipped profile says which MIB object it reads (`name:`), so that
    `profiles show` and `poll --explain` can print it: one line (file and key) per entry
    that does not. User profiles may leave names out."""
    from lanpulse.config.profiles import BUILTIN_DIR
    from lanpulse.core.yaml_bounds import load_plain_yaml

    unnamed = [
        (path.name, key, oid)
        for path in sorted(BUILTIN_DIR.glob("*.yaml"))
        for key, oid in _unnamed_oids(load_plain_yaml(path.read_text(), str(path)), "")
    ]
    missing = [
        f"{file}: {key} (oid {oid}): no `name:`, the MIB object it reads"
        for file, key, oid in unnamed
        if (file, oid) not in UNNAMED
    ]
    assert not missing, "\n".join(missing)
    # An allowance that matches nothing any more (the OID was named, or removed) goes.
    stale = set(UNNAMED) - {(file, oid) for file, _, oid in unnamed}
    assert not stale, f"UNNAMED lists OIDs that have a name now or are gone: {sorted(stale)}"


def test_a_user_profile_may_leave_names_out(tmp_path: Path) -> None:
    """`name` is documentation: a user profile without it loads and shows its OIDs bare."""
    from lanpulse.cli.profiles_cmd import show_lines
    from lanpulse.config.profiles import load_profiles

    (tmp_path / "mine.yaml").write_text(
        "extends: [_printer]\nmatch: {sysobjectid: [1.3.6.1.4.1.99999]}\n"
        "metrics:\n  - name: mine\n    measurement: printer\n    scalar: true\n"
        "    fields: {page_count: {oid: 1.3.6.1.4.1.99999.1.0}}\n"
    )
    lines = show_lines(load_profiles([tmp_path]).get("mine"))
    assert any(line.split()[1:] == ["1.3.6.1.4.1.99999.1.0", "page_count"] for line in lines)
