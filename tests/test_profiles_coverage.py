"""Every field a profile declares is produced by at least one corpus recording.

Coverage is per metric definition (metric name + field) over all recordings, each
replayed twice so that rate fields exist. Fields no recording can produce are listed
with the reason and the synthetic test that covers them instead.
"""

from __future__ import annotations

from _recordings import recordings, replay_two_polls

from lanpulse.config.profiles import builtin_profiles

# (metric, field) -> why no recording produces it, and which test covers it instead
ALLOWED_MISSING: dict[tuple[str, str], str] = {
    ("printer_status", "status"): "hrPrinterStatus is absent from every recording; "
    "test_profiles_printer.py::test_printer_status_alerts_and_covers",
    ("printer_status", "alerts_critical"): "no recording has prtAlertTable; "
    "test_profiles_printer.py::test_printer_status_alerts_and_covers",
    ("printer_status", "alerts_warning"): "no recording has prtAlertTable; "
    "test_profiles_printer.py::test_printer_status_alerts_and_covers",
    ("cisco_temperatures", "value"): "the Catalyst recordings carry fans and PSUs but no "
    "ciscoEnvMonTemperatureStatusTable; test_profiles_synthetic.py::test_cisco_envmon_temperature",
    ("cisco_temperatures", "state"): "as cisco_temperatures.value",
    ("cisco_temperatures", "health"): "as cisco_temperatures.value",
    ("cisco_entity_sensors", "value"): "no Catalyst recording carries CISCO-ENTITY-SENSOR-MIB; "
    "test_profiles_synthetic.py::test_cisco_entity_sensor_mib",
    ("cisco_entity_sensors", "state"): "as cisco_entity_sensors.value",
    ("cisco_entity_sensors", "health"): "as cisco_entity_sensors.value",
    **{
        ("interfaces", name): "LibreNMS's recordings keep dot3StatsDuplexStatus only, not the "
        "EtherLike error counters; test_desktop_port.py::test_duplex_and_error_rates_per_port"
        for name in (
            "fcs_errors",
            "alignment_errors",
            "late_collisions",
            "fcs_errors_ps",
            "alignment_errors_ps",
            "late_collisions_ps",
        )
    },
    **{
        ("interfaces", name): "no recording answers MAU-MIB (LibreNMS does not poll it); "
        "synthetic rows written from RFC 4836 (fixtures/mau/NOTICE.md): "
        "test_desktop_port.py::test_mau_capabilities_and_slower_than_capable"
        for name in (
            "autoneg",
            "partner_autoneg",
            "port_capable_bps",
            "partner_capable_bps",
            "capable_bps",
            "slower_than_capable",
            "link_losses",
            "link_losses_ps",
        )
    },
    ("aruba_aps", "up"): "the Aruba recording has the radio table but not wlsxWlanAPTable; "
    "test_profiles_synthetic.py::test_aruba_ap_table_status_and_group",
    ("mikrotik_board_temperature", "value"): "SwOS 2.18 sends only the processor "
    "temperature; test_profiles_synthetic.py::test_mikrotik_board_temperature",
}
# Issue 22: vendors and tables with no corpus rows, covered by SYNTHETIC recordings written
# from the MIBs: (why, covering test) -> {metric: fields}.
_SIZES = ("size_bytes", "used_bytes", "free_bytes", "used_pct")
_SYNTHETIC: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    (
        "no corpus Catalyst is a stack",
        "test_profiles_switch.py::test_cisco_stack_of_three_one_removed",
    ): {
        "cisco_stack_members": ("state", "health", "priority"),
    },
    (
        "the corpus Netgear file has no fan rows",
        "test_profiles_switch.py::test_netgear_m4300_fan_failed",
    ): {
        "netgear_fans": ("value", "state", "health"),
    },
    (
        "no Ruckus ICX recording in the corpus",
        "test_profiles_switch.py::test_ruckus_icx7150_environment",
    ): {
        "icx_cpu": ("cpu_pct",),
        "icx_memory": ("mem_total_bytes", "mem_used_bytes", "mem_used_pct"),
        "icx_fans": ("state", "health"),
        "icx_power_supplies": ("state", "health"),
        "icx_temperatures": ("value",),
    },
    (
        "no corpus recording has cdpCacheTable rows",
        "test_profiles_switch.py::test_cisco_cdp_neighbours",
    ): {
        "cdp_neighbors": ("info",),
    },
    ("no corpus recording carries vendor page counters", "test_profiles_printer_vendor.py"): {
        "hp_page_counts": ("page_count", "page_count_mono", "page_count_color"),
        "xerox_page_counts": ("page_count", "page_count_mono", "page_count_color"),
        "canon_page_counts": ("page_count",),
    },
    (
        "no Isilon recording exists upstream",
        "test_profiles_storage.py::test_isilon_cluster_quotas_disks_and_health",
    ): {
        "isilon_ifs": _SIZES,
        "isilon_quotas": _SIZES,
        "isilon_health": ("state", "health"),
        "isilon_node_health": ("state", "health"),
        "isilon_disks": ("health",),
    },
    (
        "the corpus APC cards answer only the high-precision group",
        "test_profiles_ups.py::test_apc_advanced_group_on_battery_replace_and_failed_test",
    ): {
        "apc_ups": (
            "battery_health",
            "battery_status",
            "on_battery_seconds",
            "self_test_failed",
            "self_test_result",
        ),
    },
    (
        "the corpus NetApp file is a stub",
        "test_profiles_storage.py::test_netapp_df64_volumes_aggregates_and_disks",
    ): {
        "netapp_volumes": _SIZES,
        "netapp_aggregates": ("size_bytes", "used_bytes"),
        "netapp_disks": ("health", "state"),
        "netapp_spares": ("health", "state"),
        "netapp_nodes": ("health", "state"),
    },
    (
        "the corpus Ricoh files have no ricohEngCounter rows",
        "test_profiles_printer_vendor.py::test_ricoh_mono_and_colour_from_the_engine_counter_types",
    ): {
        "ricoh_page_total": ("page_count",),
        "ricoh_page_split": ("page_count", "page_count_mono", "page_count_color"),
    },
    (
        "the corpus Lexmark file is a two-line stub",
        "test_profiles_printer_vendor.py::test_lexmark_paper_counts_in_sides_only",
    ): {"lexmark_page_counts": ("page_count", "page_count_mono", "page_count_color")},
    (
        "no corpus Kyocera file has KMCOMMON-MIB rows",
        "test_profiles_printer_vendor.py::test_kyocera_mono_and_colour_from_the_colour_mode_counters",
    ): {
        "kyocera_page_split": ("page_count", "page_count_mono", "page_count_color"),
        "kyocera_page_functions": ("page_count_print", "page_count_copy", "page_count_fax"),
    },
    (
        "the corpus E2700 answers only ssStorageArrayName",
        "test_profiles_storage.py::test_netapp_eseries_needs_attention_and_serial",
    ): {"eseries_array_status": ("state", "health")},
    (
        "no corpus recording has HH3C-STACK-MIB rows",
        "test_profiles_stacks.py::test_comware_irf_roles_joined_from_the_board_table",
    ): {"comware_irf_members": ("health", "priority")},
    (
        "no corpus recording has HP-VSF-VC-MIB rows",
        "test_profiles_stacks.py::test_arubaos_switch_vsf_missing_member_is_critical",
    ): {"procurve_vsf_members": ("health", "priority", "state", "uptime_seconds")},
}
ALLOWED_MISSING.update(
    {
        (metric, field): f"{why}; {test}"
        for (why, test), metrics in _SYNTHETIC.items()
        for metric, fields in metrics.items()
        for field in fields
    }
)


def _produced() -> set[tuple[str, str]]:
    produced: set[tuple[str, str]] = set()
    for path in recordings():
        rep = replay_two_polls(path)
        unanswered = set(rep.result.unanswered)
        for metric in rep.selection.profile.metrics:
            for name in metric.declared_fields():
                if f"{metric.name}.{name}" in unanswered:
                    continue
                rates = {r.rate for r in metric.rates} | {r.util for r in metric.rates if r.util}
                if name not in rates or any(
                    s.measurement == metric.measurement and name in s.fields
                    for s in rep.result.samples
                ):
                    produced.add((metric.name, name))
    return produced


PRODUCED = _produced()


def test_every_declared_field_is_produced() -> None:
    """A declared field that no recording yields is dead configuration, or a bug."""
    missing = sorted(
        {
            f"{metric.name}.{name} ({profile.name})"
            for profile in builtin_profiles().selectable()
            for metric in profile.metrics
            for name in metric.declared_fields()
            if (metric.name, name) not in PRODUCED and (metric.name, name) not in ALLOWED_MISSING
        }
    )
    assert missing == [], "declared but never produced: " + ", ".join(missing)


def test_allow_list_is_not_stale() -> None:
    """An allowed-missing field that some recording does produce must leave the list."""
    assert sorted(k for k in ALLOWED_MISSING if k in PRODUCED) == []
