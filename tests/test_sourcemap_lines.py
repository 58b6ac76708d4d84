"""The one line-tracking YAML reader (config/sourcemap.py): every key path and list item maps
to the line it was written on, whatever the nesting, comments and blank lines; and the
Grafana settings reader, which uses it, reports only its own section's problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanpulse.config.sourcemap import Loc, read_yaml
from lanpulse.core.errors import ConfigErrors
from lanpulse.dashboards.settings_file import NoGrafanaSection, load_grafana_settings

ENVIRON = {"V1": "one", "V2": "two"}
# Keys may be YAML 1.1 booleans (`no`, `on`): the reader keeps them as written.
keys = st.one_of(
    st.text("abcxyz019_", min_size=1, max_size=6).map("k".__add__),
    st.sampled_from(["no", "on", "y"]),
)
scalars = st.one_of(
    st.integers(-1000, 1000),
    st.text("abc xyz:#019", max_size=10).map("s".__add__),
    st.sampled_from(["${V1}", "x-${V2}-y"]),
)
gaps = st.lists(st.sampled_from(["", "# a comment", "   # indented comment"]), max_size=2)


def values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars
    inner = values(depth - 1)
    return st.one_of(
        scalars,
        st.lists(scalars, min_size=1, max_size=3),
        st.dictionaries(keys, inner, min_size=1, max_size=4),
    )


documents = st.dictionaries(keys, values(3), min_size=1, max_size=5)


def emit(data: dict[str, Any], draw_gap: Any) -> tuple[list[str], dict[Loc, int]]:
    """Block-style YAML of `data` (comments and blank lines drawn between keys), and the
    line of every key path and list item written."""
    lines: list[str] = []
    where: dict[Loc, int] = {}

    def text(value: object) -> str:
        return f'"{value}"' if isinstance(value, str) else str(value)

    def add(line: str) -> int:
        lines.append(line)
        return len(lines)

    def walk(node: dict[str, Any], indent: str, loc: Loc) -> None:
        for key, value in node.items():
            for gap in draw_gap():
                add(gap)
            here = (*loc, key)
            if isinstance(value, dict):
                where[here] = add(f"{indent}{key}:")
                walk(value, indent + "  ", here)
            elif isinstance(value, list):
                where[here] = add(f"{indent}{key}:")
                for index, item in enumerate(value):
                    where[(*here, index)] = add(f"{indent}  - {text(item)}")
            else:
                where[here] = add(f"{indent}{key}: {text(value)}")

    walk(data, "", ())
    return lines, where


def interpolated(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: interpolated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolated(v) for v in value]
    if isinstance(value, str):
        return value.replace("${V1}", "one").replace("${V2}", "two")
    return value


@settings(max_examples=80, deadline=None)
@given(data=documents, draw=st.data())
def test_every_key_path_maps_to_the_line_it_was_written_on(data: dict[str, Any], draw: Any) -> None:
    lines, where = emit(data, lambda: draw.draw(gaps))
    got, source, problems = read_yaml("\n".join(lines) + "\n", "f.yaml", ENVIRON)
    assert problems == []
    assert got == interpolated(data)
    assert {loc: source.lines[loc] for loc in where} == where
    for loc, line in where.items():
        # A key path below what was written takes the line of its deepest written key.
        assert source.line_for((*loc, "not-written", 3)) == line


def grafana_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lanpulse.yaml"
    path.write_text(text)
    return path


def test_grafana_reader_reports_its_own_section_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LP_UNSET_ELSEWHERE", raising=False)
    monkeypatch.delenv("LP_UNSET_TOKEN", raising=False)
    monkeypatch.setenv("LP_GRAFANA_URL", "http://127.0.0.1:3000")
    head = "defaults:\n  snmp: {community: '${LP_UNSET_ELSEWHERE}'}\n"
    source = "  datasource: {url: 'http://127.0.0.1:8086'}\n"
    ok = grafana_file(tmp_path, head + "grafana:\n  url: ${LP_GRAFANA_URL}\n  token: t\n" + source)
    assert str(load_grafana_settings(ok).url).startswith("http://127.0.0.1:3000")

    bad = grafana_file(
        tmp_path, head + "grafana:\n  url: http://g:3000\n  token: ${LP_UNSET_TOKEN}\n" + source
    )
    with pytest.raises(ConfigErrors) as caught:
        load_grafana_settings(bad)
    assert [e.one_line() for e in caught.value.errors] == [
        f"{bad}:5: grafana.token: environment variable LP_UNSET_TOKEN is not set, "
        "expected it to be exported"
    ]

    twice = grafana_file(tmp_path, "grafana:\n  url: http://g:3000\n  url: http://h:3000\n")
    with pytest.raises(ConfigErrors, match=r":3: grafana.url: duplicate key 'url'"):
        load_grafana_settings(twice)

    with pytest.raises(NoGrafanaSection):
        load_grafana_settings(grafana_file(tmp_path, "influxdb: {}\n"))
