"""Vendor page counters (issue 22) beyond the corpus.

SYNTHETIC recordings written from the vendor MIBs (HP-LASERJET-COMMON-MIB page counters,
Xerox xcmHrDevDetail usage counters, KYOCERA KMCOMMON-MIB kmMFPColorModeCounterTable), not
device captures: the corpus HP, Xerox and Kyocera files carry no vendor counter. The HP
base is the corpus M252dw with its model changed; the Kyocera one is a recording file of
its own (tests/fixtures/synthetic/NOTE.md), also polled through a real snmpsim agent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from _recordings import FIXTURES, RECORDINGS, golden_document, replay, replay_values
from test_profiles_snmpsim import poll_recording

from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.schema import validate_samples
from lanpulse.sim.snmprec import read_snmprec
from lanpulse.sim.snmpsim import SnmpSimAgent

HP = "1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2."
LIFE = "1.3.6.1.2.1.43.10.2.1.4.1.1"


def _printer(values: dict[str, SnmpValue], name: str) -> dict[str, float]:
    rep = replay_values(name, values)
    assert rep.result.errors == []
    assert validate_samples(rep.result.samples) == []
    (printer,) = [dict(s.fields) for s in rep.result.samples if s.measurement == "printer"]
    return printer


def test_hp_without_prtmarkerlifecount_counts_from_the_hp_mib() -> None:
    """A LaserJet Pro M404 that answers no prtMarkerLifeCount: the HP engine count."""
    values = read_snmprec(next(RECORDINGS.glob("*/jetdirect_m252dw.snmprec")))
    values.pop(LIFE, None)
    values["1.3.6.1.2.1.1.1.0"] = (
        b"HP ETHERNET MULTI-ENVIRONMENT,SN:X,FN:Y,PID:HP LaserJet Pro M404dn"
    )
    values[HP + "5.0"] = 48210
    values[HP + "6.0"] = 48210
    values[HP + "7.0"] = 0
    printer = _printer(values, "m404")
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        48210,
        48210,
        0,
    )


def test_hp_with_prtmarkerlifecount_keeps_it_and_adds_mono_colour() -> None:
    """A Color LaserJet with both: Printer-MIB's total stands, HP adds the split."""
    values = read_snmprec(next(RECORDINGS.glob("*/jetdirect_m252dw.snmprec")))
    values[LIFE] = 1000
    values[HP + "5.0"] = 999  # the engine count may lag: not used when the MIB has one
    values[HP + "6.0"] = 600
    values[HP + "7.0"] = 400
    printer = _printer(values, "m479")
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        1000,
        600,
        400,
    )


def test_xerox_workcentre_usage_counters() -> None:
    """A WorkCentre 7855 (not the corpus AltaLink) with only the Xerox usage counters."""
    values = read_snmprec(next(RECORDINGS.glob("*/xerox.snmprec")))
    values["1.3.6.1.2.1.1.1.0"] = b"Xerox WorkCentre 7855 v1; SS 073.xxx, NC 073.xxx"
    values["1.3.6.1.2.1.1.2.0"] = Oid("1.3.6.1.4.1.253.8.62.1.24.2.1.1")
    counters = "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20."
    values[counters + "33"] = 80211  # colour impressions
    values[counters + "34"] = 120345  # black impressions
    values["1.3.6.1.2.1.25.3.5.1.1.1"] = 3  # hrPrinterStatus idle: a printer row exists
    printer = _printer(values, "wc7855")
    assert printer["page_count"] == 200556  # mono + colour: no total, no life count
    assert printer["page_count_color"] == 80211
    assert printer["page_count_mono"] == 120345


def test_fujifilm_apeos_supplies_and_model() -> None:
    """A FUJIFILM Apeos (enterprise 297) serving the corpus Xerox supply table: the
    Xerox-style ", PN ...;SN..." is cut from the descriptions, the model is Apeos's."""
    values = read_snmprec(next(RECORDINGS.glob("*/xerox.snmprec")))
    values["1.3.6.1.2.1.1.1.0"] = b"FUJIFILM Apeos C3060; ESS 1.2.3, IOT 4.5"
    values["1.3.6.1.2.1.1.2.0"] = Oid("1.3.6.1.4.1.297.1.11.93.1.2.1")
    rep = replay_values("apeos", values)
    assert (rep.selection.profile.name, rep.result.model) == ("fujifilm", "Apeos C3060")
    assert validate_samples(rep.result.samples) == []
    supplies = [s.tags["supply"] for s in rep.result.samples if s.measurement == "printer_supply"]
    assert supplies and not any(", PN" in name for name in supplies)


def test_canon_ir_advance_total_counter() -> None:
    """An imageRUNNER ADVANCE C3530 without prtMarkerLifeCount: CANON-MIB counter 101."""
    values = read_snmprec(next(RECORDINGS.glob("*/canonprinter_ir-adv.snmprec")))
    values["1.3.6.1.2.1.1.1.0"] = b"Canon iR-ADV C3530 /P"
    values["1.3.6.1.4.1.1602.1.11.1.3.1.4.101"] = 123456
    values["1.3.6.1.2.1.25.3.5.1.1.1"] = 3  # hrPrinterStatus idle
    assert _printer(values, "c3530") == {"page_count": 123456, "status": 3}


RICOH_ENG = "1.3.6.1.4.1.367.3.2.1.2.19."
LEXMARK_PAPER = "1.3.6.1.4.1.641.6.4.2.1.1."


def _ricoh_im_c3000(life_count: bool) -> dict[str, SnmpValue]:
    """SYNTHETIC (RICOH-Private-MIB) on the corpus MP C3002 (its Printer-MIB tables): an IM
    C3000's engine counter table by counter type; the 6xx rows recount the same output by
    colour mode and must not be added in."""
    values = read_snmprec(next(RECORDINGS.glob("*/ricoh_mpc3002.snmprec")))
    values["1.3.6.1.2.1.1.1.0"] = b"RICOH IM C3000 1.02 / RICOH Network Printer C model"
    values["1.3.6.1.4.1.367.3.2.1.1.1.1.0"] = b"IM C3000"
    values[RICOH_ENG + "1.0"] = 123456  # ricohEngCounterTotal
    if life_count:
        values[LIFE] = 123450  # the Printer-MIB total stands where it exists
    else:
        values.pop(LIFE)
    counters = {10: 123456, 201: 20000, 202: 500, 203: 30000, 301: 1000}
    counters |= {401: 40000, 402: 456, 403: 31500, 600: 61956, 609: 61000}
    for index, (kind, value) in enumerate(counters.items(), start=1):
        values[f"{RICOH_ENG}5.1.2.{index}"] = kind
        values[f"{RICOH_ENG}5.1.9.{index}"] = value
    return values


def test_ricoh_mono_and_colour_from_the_engine_counter_types() -> None:
    """SYNTHETIC (RICOH-Private-MIB): mono = B&W copy + fax + print (201, 301, 401), colour =
    copy and print single/two-colour and full colour (202, 203, 402, 403)."""
    printer = _printer(_ricoh_im_c3000(life_count=True), "im_c3000")
    assert printer["page_count"] == 123450  # prtMarkerLifeCount, not ricohEngCounterTotal
    assert (printer["page_count_mono"], printer["page_count_color"]) == (61000, 62456)


def test_ricoh_without_prtmarkerlifecount_takes_ricoh_total() -> None:
    """SYNTHETIC: no prtMarkerLifeCount, so ricohEngCounterTotal is the total."""
    printer = _printer(_ricoh_im_c3000(life_count=False), "im_c3000_nolife")
    assert printer["page_count"] == 123456
    assert printer["page_count_mono"] + printer["page_count_color"] == 123456


def test_lexmark_paper_counts_in_sides_only() -> None:
    """SYNTHETIC (LEXMARK-MPS-MIB paperGeneralCountTable): a CX725 without
    prtMarkerLifeCount; totalSafe / totalMonoSafe / totalColorSafe in sides; a mono row in
    sheets and the per-function rows (printTotal) are not read."""
    values: dict[str, SnmpValue] = {
        "1.3.6.1.2.1.1.1.0": b"Lexmark CX725 version CXTPC.081.234 kernel 4.11.12 All-N-1",
        "1.3.6.1.2.1.1.2.0": Oid("1.3.6.1.4.1.641.1.5.7.1"),
    }
    rows = [(1, 5, 50000), (2, 4, 80000), (3, 4, 30000), (4, 4, 50000), (3, 5, 20000)]
    rows.append((16, 4, 70000))
    for index, (kind, units, value) in enumerate(rows, start=1):
        values[f"{LEXMARK_PAPER}2.1.{index}"] = kind
        values[f"{LEXMARK_PAPER}3.1.{index}"] = units
        values[f"{LEXMARK_PAPER}4.1.{index}"] = value
    printer = _printer(values, "cx725")
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        80000,
        30000,
        50000,
    )


KYOCERA = FIXTURES / "synthetic" / "kyocera_taskalfa_mfp.snmprec"
KM_FUNCTION = "1.3.6.1.4.1.1347.42.3.1.1.1.1."  # kmMFPCounterItem.function
KM_COLOR_MODE = "1.3.6.1.4.1.1347.42.3.1.2.1.1."  # kmMFPColorModeCounterItem.function.mode


def test_kyocera_mono_and_colour_from_the_colour_mode_counters() -> None:
    """SYNTHETIC (KMCOMMON-MIB): mono = black & white print + copy + fax (mode 1), colour =
    single and full colour print + copy (modes 2, 3); prtMarkerLifeCount stays the total;
    pages by function from kmMFPCounterItem."""
    printer = _printer(read_snmprec(KYOCERA), "taskalfa")
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        131022,
        52310 + 20118 + 3812,
        1204 + 40877 + 96 + 9933,
    )
    assert (
        printer["page_count_print"],
        printer["page_count_copy"],
        printer["page_count_fax"],
    ) == (94391, 30147, 3812)


def test_kyocera_without_prtmarkerlifecount_totals_mono_and_colour() -> None:
    """SYNTHETIC: an ECOSYS colour model's layout (modes 1 and 2 only, no fax) and no
    prtMarkerLifeCount: the total is mono + colour; no fax counter, no fax field."""
    values = {
        k: v
        for k, v in read_snmprec(KYOCERA).items()
        if not k.startswith((KM_COLOR_MODE, KM_FUNCTION))
    }
    values.pop(LIFE)
    values["1.3.6.1.4.1.1347.43.5.1.1.1.1"] = b"ECOSYS M5526cdw"
    counts = {"1.1": 7000, "1.2": 3000, "2.1": 500, "2.2": 250}
    values |= {KM_COLOR_MODE + index: value for index, value in counts.items()}
    values |= {KM_FUNCTION + "1": 10000, KM_FUNCTION + "2": 750}
    printer = _printer(values, "ecosys")
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        10750,
        7500,
        3250,
    )
    assert (printer["page_count_print"], printer["page_count_copy"]) == (10000, 750)
    assert "page_count_fax" not in printer


def test_kyocera_synthetic_recording_through_snmpsim(tmp_path: Path) -> None:
    """Real UDP to a real snmpsim serving the synthetic TASKalfa: the offline replay's
    samples, page counters included."""
    agent = SnmpSimAgent(workdir=tmp_path)
    agent.add(KYOCERA)
    agent.start()
    try:
        polled = asyncio.run(poll_recording(agent, KYOCERA.stem))
    finally:
        agent.cleanup()
    expected = golden_document(replay(KYOCERA))
    assert polled == expected
    (printer,) = [s["fields"] for s in expected["samples"] if s["measurement"] == "printer"]
    assert (printer["page_count"], printer["page_count_mono"], printer["page_count_color"]) == (
        131022,
        76240,
        52110,
    )
    assert printer["page_count_copy"] == 30147
