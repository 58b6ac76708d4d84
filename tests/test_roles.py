"""Interface roles: overrides, configured rules (per device or group), the built-in rules."""

from __future__ import annotations

import pytest

from lanpulse.config.loader import load_config_text
from lanpulse.config.roles import builtin_rules
from lanpulse.core.errors import ConfigErrors
from lanpulse.core.model import Sample
from lanpulse.parsers.roles import RoleTagger

CONFIG = """\
defaults: {snmp: {community: public}}
groups: {branches: {}}
roles:
  rules:
    - {role: uplink, name: '^Te1/1/[12]$', groups: [branches]}
    - {role: wan, alias: '(?i)isp', devices: [edge1]}
  overrides:
    core1: {Gi1/0/48: uplink}
devices:
  - {name: br1, address: 127.0.0.1, group: branches}
  - {name: core1, address: 127.0.0.1}
  - {name: edge1, address: 127.0.0.1}
"""


@pytest.fixture(scope="module")
def tagger() -> RoleTagger:
    loaded = load_config_text(CONFIG, "c.yaml")
    roles = loaded.settings.roles
    rules = (*roles.rules, *builtin_rules())
    groups = {d.name: d.group for d in loaded.devices if d.group}
    return RoleTagger(rules, roles.overrides, groups)


@pytest.mark.parametrize(
    ("device", "cls", "name", "alias", "role"),
    [
        ("br1", "switch", "Te1/1/1", "", "uplink"),  # group rule
        ("core1", "switch", "Te1/1/1", "", "access"),  # not in the group: built-in
        ("core1", "switch", "Gi1/0/48", "", "uplink"),  # override
        ("core1", "switch", "Gi1/0/3", "Uplink to dist-2", "uplink"),  # built-in alias rule
        ("core1", "switch", "Vlan20", "", "virtual"),
        ("core1", "switch", "Loopback0", "", "virtual"),
        ("edge1", "switch", "Gi0/0", "ISP circuit 4711", "wan"),
        ("edge1", "switch", "Gi0/1", "", "access"),
        ("srv1", "server", "eth0", "", "server"),
        ("srv1", "server", "lo", "", "virtual"),
        ("pc1", "desktop", "Ethernet0", "", None),
    ],
)
def test_roles(
    tagger: RoleTagger, device: str, cls: str, name: str, alias: str, role: str | None
) -> None:
    tags = {"device": device, "class": cls, "if_index": "1", "if_name": name}
    if alias:
        tags["if_alias"] = alias
    (out,) = tagger.apply([Sample("interface", tags, {"oper_status": 1}, 1)])
    assert out.tags.get("role") == role
    assert {k: v for k, v in out.tags.items() if k != "role"} == tags


def test_other_measurements_pass_unchanged(tagger: RoleTagger) -> None:
    samples = [Sample("device", {"device": "core1", "class": "switch"}, {"up": 1}, 1)]
    assert tagger.apply(samples) is samples


def test_a_bad_regex_is_one_line() -> None:
    text = CONFIG.replace("'(?i)isp'", "'(isp'")
    with pytest.raises(ConfigErrors) as err:
        load_config_text(text, "c.yaml")
    (line,) = [e.one_line() for e in err.value.errors]
    assert line.startswith("c.yaml:6: roles.rules[1].alias: invalid regex '(isp'")


@pytest.mark.parametrize(
    ("profile", "name", "role"),
    [
        ("juniper_junos", "em0", "virtual"),  # Junos's internal interfaces: a profile rule
        ("juniper_junos", "vcp-255/1/0", "virtual"),
        ("juniper_junos", "pfe-0/0/0", "virtual"),
        ("juniper_junos", "ge-0/0/1", "access"),
        ("cisco_ios", "em0", "access"),  # the rule names its profile
        (None, "em0", "access"),  # profile not known (the backfill): the rule does not match
    ],
)
def test_profile_rules(profile: str | None, name: str, role: str) -> None:
    roles = load_config_text(CONFIG, "c.yaml").settings.roles
    tagger = RoleTagger((*roles.rules, *builtin_rules()), profile_of=lambda _device: profile)
    tags = {"device": "ex1", "class": "switch", "if_index": "1", "if_name": name}
    (out,) = tagger.apply([Sample("interface", tags, {"oper_status": 1}, 1)])
    assert out.tags["role"] == role


def test_an_unknown_neighbour_capability_is_one_line() -> None:
    text = CONFIG.replace(
        "    - {role: wan, alias: '(?i)isp', devices: [edge1]}",
        "    - {role: uplink, neighbor: {capabilities: [switch]}}",
    )
    with pytest.raises(ConfigErrors) as err:
        load_config_text(text, "c.yaml")
    (line,) = [e.one_line() for e in err.value.errors]
    assert line.startswith("c.yaml:6: roles.rules[1].neighbor.capabilities[0]:")
    assert "'bridge'" in line and "\n" not in line
