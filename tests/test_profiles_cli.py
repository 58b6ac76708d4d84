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
