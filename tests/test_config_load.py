"""Loading the configuration in-process: the example, inheritance, spellings, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanpulse.config.durations import format_duration, parse_duration
from lanpulse.config.loader import build_devices, load_config, load_config_text
from lanpulse.config.secrets import interpolate_env, read_secret_file
from lanpulse.config.snmp_protocols import AUTH_PROTOCOLS_PYSNMP, PRIV_PROTOCOLS_PYSNMP
from lanpulse.core.errors import ConfigError, ConfigErrors
from lanpulse.core.model import Secret

EXAMPLE = Path(__file__).parent / "fixtures" / "config" / "example.yaml"
NAS_AUTH = "nas-auth-Secret-1"
NAS_PRIV = "nas-priv-Secret-2"
SW_PASS = "sw-pass-Secret-3"
ENV = {"NAS_AUTH": NAS_AUTH, "SW_PASS": SW_PASS}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The issue's example, with its priv password file pointed at a temp file."""
    priv = tmp_path / "nas_priv"
    priv.write_text(NAS_PRIV + "\n")
    text = EXAMPLE.read_text().replace("/run/secrets/nas_priv", str(priv))
    path = tmp_path / "lanpulse.yaml"
    path.write_text(text)
    return path


def load(text: str, tmp_path: Path, env: dict[str, str] | None = None) -> list:
    return list(load_config_text(text, "t.yaml", environ=env or {}, base_dir=tmp_path).devices)


def test_example_is_accepted(example: Path) -> None:
    loaded = load_config(example, environ=ENV)
    by_name = {d.name: d for d in loaded.devices}
    assert list(by_name) == ["core-sw1", "floor2-printer", "nas1", "access-sw1"]
    core = by_name["core-sw1"]
    assert (core.address, core.port, core.interval_s) == ("127.0.0.1", 16161, 60.0)
    assert core.snmp is not None and core.snmp.version == "2c"
    assert core.snmp.community == Secret("public")
    assert (core.snmp.timeout_s, core.snmp.retries) == (2.0, 1)
    printer = by_name["floor2-printer"]
    assert printer.interval_s == 300.0 and dict(printer.labels) == {"site": "hq"}
    assert printer.group == "printers"
    assert printer.snmp is not None and printer.snmp.community == Secret("printers-ro")
    nas = by_name["nas1"].snmp
    assert nas is not None and nas.version == "3" and nas.user == "monitor"
    assert (nas.auth_protocol, nas.priv_protocol, nas.security_level) == ("sha", "aes", "authPriv")
    assert nas.auth_password == Secret(NAS_AUTH) and nas.priv_password == Secret(NAS_PRIV)
    assert nas.community is None
    access = by_name["access-sw1"]
    assert access.snmp is None
    assert access.ssh is not None
    assert (access.ssh.platform, access.ssh.port, access.ssh.user) == ("cisco_ios", 6001, "admin")
    assert access.ssh.password == Secret(SW_PASS) and access.ssh.host_key_check is True
    assert loaded.settings.influxdb is not None and loaded.settings.influxdb.api == "v1"
    assert loaded.summary() == (
        "ok: 4 devices (3 snmp, 1 ssh), 1 group, influxdb v1 http://127.0.0.1:8086"
    )
    assert loaded.device("nas1") is by_name["nas1"]


def test_no_secret_in_repr_or_str(example: Path) -> None:
    loaded = load_config(example, environ=ENV)
    texts = [repr(loaded), str(loaded), repr(loaded.settings), str(loaded.settings)]
    texts += [repr(d) for d in loaded.devices] + [str(d) for d in loaded.devices]
    texts.append(loaded.settings.model_dump_json())
    for text in texts:
        for secret in (NAS_AUTH, NAS_PRIV, SW_PASS, "printers-ro", "public"):
            assert secret not in text


def test_inheritance_defaults_group_device(tmp_path: Path) -> None:
    (tmp_path / "kh").write_text("")  # known_hosts must exist; relative to the config
    devices = load(
        """
defaults:
  interval: 1m
  deadline: 20s
  labels: {site: hq, tier: access}
  snmp: {community: c-default, timeout: 3s, retries: 2, max_repetitions: 10}
  ssh: {user: netops, known_hosts: kh, command_timeout: 45s}
groups:
  storage: {interval: 5m, class: storage, labels: {tier: core, rack: r1},
            snmp: {version: "3", user: mon, auth_protocol: SHA256, auth_password: abcdefgh1}}
  cli: {ssh: {platform: cisco_ios, timeout: 500ms}}
devices:
  - {name: a, address: 10.0.0.1, group: storage, labels: {rack: r2}, snmp: {retries: 0}}
  - {name: b, address: host-b.example.net, interval: 10, class: switch}
  - {name: c, address: 10.0.0.3, group: cli, ssh: {port: 2222, persistent: yes}}
  - {name: d, address: 10.0.0.4, group: cli, snmp: {}, parent: c}
""",
        tmp_path,
    )
    a, b, c, d = devices
    assert a.interval_s == 300 and a.deadline_s == 20 and a.device_class == "storage"
    assert dict(a.labels) == {"site": "hq", "tier": "core", "rack": "r2"}
    assert a.snmp is not None and a.snmp.version == "3" and a.snmp.auth_protocol == "sha256"
    assert (a.snmp.timeout_s, a.snmp.retries, a.snmp.max_repetitions) == (3.0, 0, 10)
    assert a.snmp.community is None and a.ssh is None
    assert b.interval_s == 10 and b.device_class == "switch" and b.port == 161
    assert b.snmp is not None and b.snmp.community == Secret("c-default") and b.ssh is None
    assert c.snmp is None and c.ssh is not None
    assert (c.ssh.platform, c.ssh.port, c.ssh.user, c.ssh.persistent) == (
        "cisco_ios",
        2222,
        "netops",
        True,
    )
    assert (c.ssh.timeout_s, c.ssh.command_timeout_s) == (0.5, 45.0)
    assert c.ssh.known_hosts == str(tmp_path / "kh")
    assert d.snmp is not None and d.ssh is not None and d.parent == "c"


@pytest.mark.parametrize(
    ("written", "version"),
    [("3", "3"), ('"3"', "3"), ("v3", "3"), ("2c", "2c"), ("2", "2c"), ("1", "1"), ('"1"', "1")],
)
def test_snmp_version_spellings(written: str, version: str, tmp_path: Path) -> None:
    extra = "user: u" if version == "3" else "community: c"
    (device,) = load(
        f"devices: [{{name: a, address: 10.0.0.1, snmp: {{version: {written}, {extra}}}}}]",
        tmp_path,
    )
    assert device.snmp is not None and device.snmp.version == version


@pytest.mark.parametrize(
    ("auth", "priv", "want_auth", "want_priv"),
    [
        ("md5", "des", "md5", "des"),
        ("sha1", "3des", "sha", "3des"),
        ("sha224", "aes128", "sha224", "aes"),
        ("sha384", "aes192", "sha384", "aes192"),
        ("sha512", "aes256", "sha512", "aes256"),
        ("SHA", "AES192C", "sha", "aes192c"),
        ("sha256", "aes256c", "sha256", "aes256c"),
    ],
)
def test_usm_protocols(
    auth: str, priv: str, want_auth: str, want_priv: str, tmp_path: Path
) -> None:
    (device,) = load(
        "devices: [{name: a, address: 10.0.0.1, snmp: {version: 3, user: u, "
        f"auth_protocol: {auth}, auth_password: 12345678, priv_protocol: {priv}, "
        "priv_password: abcdefgh}}]",
        tmp_path,
    )
    assert device.snmp is not None
    assert (device.snmp.auth_protocol, device.snmp.priv_protocol) == (want_auth, want_priv)


def test_every_protocol_exists_in_pysnmp() -> None:
    from pysnmp.hlapi.v3arch import asyncio as hlapi

    for attr in [*AUTH_PROTOCOLS_PYSNMP.values(), *PRIV_PROTOCOLS_PYSNMP.values()]:
        assert getattr(hlapi, attr) is not None


def test_every_protocol_but_3des_is_in_the_native_usm() -> None:
    from lanpulse.collectors.snmp.usm_crypto import AUTH_PROTOCOLS, PRIV_PROTOCOLS

    assert set(AUTH_PROTOCOLS) == set(AUTH_PROTOCOLS_PYSNMP)
    assert set(PRIV_PROTOCOLS) == set(PRIV_PROTOCOLS_PYSNMP) - {"3des"}  # 3des: pysnmp


def test_snmp_engine_is_inherited_and_checked(tmp_path: Path) -> None:
    a, b = load(
        "defaults: {snmp: {community: c, engine: pysnmp}}\n"
        "devices: [{name: a, address: 10.0.0.1}, "
        "{name: b, address: 10.0.0.2, snmp: {engine: native}}]",
        tmp_path,
    )
    assert a.snmp is not None and a.snmp.engine == "pysnmp"
    assert b.snmp is not None and b.snmp.engine == "native"
    with pytest.raises(ConfigErrors) as info:
        load("devices: [{name: a, address: 10.0.0.1, snmp: {engine: gosnmp}}]", tmp_path)
    assert "snmp.engine: expected one of 'native' or 'pysnmp', got 'gosnmp'" in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("2s", 2),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86400),
        (30, 30),
        ("1.5", 1.5),
        ("1h30m", 5400),
        (" 2 m ", 120),
        ("1w", 604800),
        ("1d12h", 129600),
        ("1m500ms", 60.5),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "bad", ["5 minutes", "abc", True, "-3s", "1s2", None, "nan", "1e35s", "1e35", "inf", "1_000"]
)
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (300, 0.5, 86400, 90)] == ["5m", "500ms", "1d", "90s"]


def test_env_interpolation() -> None:
    env = {"A": "x", "B": "y"}
    assert interpolate_env("${A}-${B}", env) == "x-y"
    assert interpolate_env("${C:-dflt}", env) == "dflt"
    assert interpolate_env("cost $$5 ${A}", env) == "cost $5 x"
    with pytest.raises(ValueError, match="C, D"):
        interpolate_env("${C}${D}", env)


def test_env_in_any_string_value(tmp_path: Path) -> None:
    (device,) = load(
        "devices: [{name: '${NAME}', address: 10.0.0.1, port: '${PORT}', "
        "snmp: {community: '${COMM}'}}]",
        tmp_path,
        {"NAME": "sw9", "PORT": "1161", "COMM": "s3cr3t"},
    )
    assert (device.name, device.port) == ("sw9", 1161)
    assert device.snmp is not None and device.snmp.community == Secret("s3cr3t")


def test_secret_file_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "comm").write_text("from-file\r\n")
    (device,) = load(
        "devices: [{name: a, address: 10.0.0.1, snmp: {community_file: comm}}]", tmp_path
    )
    assert device.snmp is not None and device.snmp.community == Secret("from-file")
    assert read_secret_file("comm", tmp_path).reveal() == "from-file"


def test_build_devices_and_unknown_device(example: Path) -> None:
    loaded = load_config(example, environ=ENV)
    assert build_devices(loaded.settings) == loaded.devices
    with pytest.raises(ConfigError, match="did you mean 'nas1'"):
        loaded.device("nas2")


def test_build_devices_reports_without_lines(example: Path) -> None:
    loaded = load_config(example, environ=ENV)
    twice = loaded.settings.model_copy(
        update={"devices": [*loaded.settings.devices, loaded.settings.devices[0]]}
    )
    with pytest.raises(ConfigErrors) as info:
        build_devices(twice)
    assert [e.one_line() for e in info.value.errors] == [
        "devices[4].name: duplicate device name 'core-sw1' (first used on devices[0]), "
        "expected unique names"
    ]


def test_device_without_transport_uses_snmp_defaults(tmp_path: Path) -> None:
    (device,) = load("devices: [{name: a, address: 10.0.0.1, snmp: {community: c}}]", tmp_path)
    assert device.snmp is not None and device.snmp.max_repetitions == 25
    assert device.interval_s == 60.0 and device.deadline_s is None


def test_empty_sections_are_allowed(tmp_path: Path) -> None:
    loaded = load_config_text(
        "influxdb:\ndefaults:\ngroups:\n  empty:\ndevices: []\n", "t.yaml", environ={}
    )
    assert loaded.devices == () and loaded.summary() == (
        "ok: 0 devices (0 snmp, 0 ssh), 1 group, no influxdb (samples stay in the spool)"
    )


def test_sections_owned_elsewhere_are_redacted_in_repr(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("file-Secret-5")
    loaded = load_config_text(
        "influxdb: {url: 'http://u:url-Secret-6@127.0.0.1:8086', api: v2, org: o, bucket: b,\n"
        "           token: '${TOKEN}', password_file: pw}\n",
        "t.yaml",
        environ={"TOKEN": "token-Secret-4"},
        base_dir=tmp_path,
    )
    for text in (repr(loaded), repr(loaded.settings), str(loaded.settings), loaded.summary()):
        assert "token-Secret-4" not in text and "file-Secret-5" not in text
        assert "url-Secret-6" not in text
    assert loaded.summary().endswith("influxdb v2 http://127.0.0.1:8086")


def test_type_errors_do_not_echo_values_that_may_be_secrets(tmp_path: Path) -> None:
    text = "devices:\n  - {name: a, address: 10.0.0.1, snmp: topsecret-7}\n"
    with pytest.raises(ConfigErrors) as info:
        load_config_text(text, "t.yaml", environ={}, base_dir=tmp_path)
    assert [e.one_line() for e in info.value.errors] == [
        "t.yaml:2: devices[a].snmp: expected a mapping (key: value), got a text value"
    ]


def problems(text: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config_text(text, "t.yaml", environ=env or {}, base_dir=tmp_path)
    return [e.one_line() for e in info.value.errors]


def test_secret_given_twice_and_ssh_needs(tmp_path: Path) -> None:
    (tmp_path / "c").write_text("x")
    text = (
        "devices:\n"
        "  - {name: a, address: 10.0.0.1, snmp: {community: x, community_file: c}}\n"
        "  - {name: b, address: 10.0.0.2, ssh: {port: 22}}\n"
        "  - {name: c, address: 10.0.0.3, ssh: {platform: linux, key_file: nokey}}\n"
        "groups: {' g': {}}\n"
    )
    assert problems(text, tmp_path) == [
        "t.yaml:2: devices[a].snmp: both community and community_file are set, "
        "expected only one of them",
        "t.yaml:3: devices[b].ssh: ssh needs a platform, expected ssh.platform "
        "(a netmiko device_type)",
        "t.yaml:4: devices[c].ssh.key_file: file 'nokey' does not exist, "
        "expected the path of a readable file",
        "t.yaml:5: groups. g: bad group name ' g', expected a plain name",
    ]


def test_defaults_ssh_only_for_devices_using_ssh(tmp_path: Path) -> None:
    text = (
        "defaults: {snmp: {community: c}, ssh: {platform: linux, user: ops, port: 2022}}\n"
        "devices:\n"
        "  - {name: a, address: 10.0.0.1}\n"
        "  - {name: b, address: 10.0.0.2, ssh: {}}\n"
    )
    a, b = load_config_text(text, "t.yaml", environ={}, base_dir=tmp_path).devices
    assert a.snmp is not None and a.ssh is None
    assert b.snmp is None and b.ssh is not None and (b.ssh.user, b.ssh.port) == ("ops", 2022)


def test_defaults_problem_causes_no_follow_on_errors(tmp_path: Path) -> None:
    text = "defaults: {snmp: {comunity: c}}\ndevices:\n  - {name: a, address: 10.0.0.1}\n"
    assert problems(text, tmp_path) == [
        "t.yaml:1: defaults.snmp.comunity: unknown key 'comunity', did you mean 'community'?"
    ]


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = (
        "x-v3: &v3 {version: 3, user: mon, auth_protocol: sha, auth_password: abcdefgh}\n"
        "devices:\n"
        "  - {name: a, address: 10.0.0.1, snmp: {<<: *v3, user: other}}\n"
        "  - {name: b, address: 10.0.0.2, snmp: *v3}\n"
    )
    a, b = load_config_text(text, "t.yaml", environ={}, base_dir=tmp_path).devices
    assert a.snmp is not None and (a.snmp.user, a.snmp.auth_protocol) == ("other", "sha")
    assert b.snmp is not None and b.snmp.user == "mon"


def test_bad_secret_files(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "adir").mkdir()
    text = (
        "devices:\n"
        "  - {name: a, address: 10.0.0.1, snmp: {community_file: empty}}\n"
        "  - {name: b, address: 10.0.0.2, snmp: {community_file: adir}}\n"
    )
    assert problems(text, tmp_path) == [
        "t.yaml:2: devices[a].snmp.community_file: secret file 'empty' is empty, "
        "expected the secret in it",
        "t.yaml:3: devices[b].snmp.community_file: secret file 'adir' is a directory, "
        "expected a file",
    ]


def test_recursive_alias_is_an_error(tmp_path: Path) -> None:
    text = "devices: &d\n  - {name: a, address: 10.0.0.1, snmp: {community: c}}\n  - *d\n"
    lines = problems(text, tmp_path)
    assert lines[0].endswith(": devices[1]: recursive YAML alias, expected a finite value")
