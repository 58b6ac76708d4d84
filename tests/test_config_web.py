"""The `web:` section and `daemon.http_listen`: what check accepts, run can use (issue 16's
API security, issue 20's "check = run" for http_listen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanpulse.config.loader import load_config
from lanpulse.config.web import WebSettings, check_exposure, is_loopback, parse_listen
from lanpulse.core.errors import ConfigErrors


@given(st.text(max_size=40))
def test_parse_listen_answers_or_says_what_is_wrong(text: str) -> None:
    try:
        host, port = parse_listen(text)
    except ValueError as exc:
        assert str(exc)  # one line naming what was expected
        assert "\n" not in str(exc).replace(repr(text), "")
    else:
        assert 0 <= port <= 65535 and host


@given(st.integers(min_value=-10, max_value=200_000))
def test_ports_in_range_only(port: int) -> None:
    if 0 <= port <= 65535:
        assert parse_listen(f"127.0.0.1:{port}") == ("127.0.0.1", port)
    else:
        with pytest.raises(ValueError):
            parse_listen(f"127.0.0.1:{port}")


def test_loopback_needs_nothing_and_beyond_needs_tls_and_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    check_exposure("127.0.0.1:9108", WebSettings())
    check_exposure("[::1]:9108", WebSettings())
    with pytest.raises(ValueError, match=r"web\.tls \(cert_file, key_file\).*web\.tokens"):
        check_exposure("0.0.0.0:9108", WebSettings())


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ('"0.0.0.0:99999"', "port 99999 > 65535"),
        ("garbage", "expected host:port"),
        ('"0.0.0.0:9108"', "beyond loopback, which requires web.tls (cert_file, key_file)"),
    ],
)
def test_check_rejects_what_run_could_not_use(tmp_path: Path, listen: str, expected: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"daemon: {{http_listen: {listen}}}\ndevices: []\n")
    with pytest.raises(ConfigErrors) as err:
        load_config(cfg)
    (line,) = [e.one_line() for e in err.value.errors]
    assert expected in line


def test_tokens_are_named_read_from_files_and_never_shown(tmp_path: Path) -> None:
    (tmp_path / "t").write_text("very-secret\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("web: {tokens: [{name: alice, token_file: t}]}\ndevices: []\n")
    loaded = load_config(cfg)
    (token,) = loaded.settings.web.tokens
    assert token.name == "alice" and token.token_file.reveal() == "very-secret"
    assert "very-secret" not in repr(loaded.settings)
    cfg.write_text("web: {tokens: [{name: alice, token_file: missing}]}\ndevices: []\n")
    with pytest.raises(ConfigErrors) as err:
        load_config(cfg)
    assert "c.yaml:1: web.tokens[alice].token_file: secret file" in err.value.errors[0].one_line()


def test_one_tls_shape_and_the_old_flat_keys_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`web.tls` has the shape of `agents.tls` (and of Prometheus's web config); the flat
    keys of older configs load to the same settings, with a one-line deprecation warning."""
    from lanpulse.config.agents import AgentsSettings
    from lanpulse.config.tls import TlsFiles

    files = {"cert_file": "c.pem", "key_file": "k.pem"}
    new = WebSettings.model_validate({"tls": files})
    assert new.tls == TlsFiles(**files)
    assert AgentsSettings.model_fields["tls"].annotation == TlsFiles | None
    assert not caplog.records
    with caplog.at_level("WARNING", "lanpulse.config"):
        old = WebSettings.model_validate({"tls_cert_file": "c.pem", "tls_key_file": "k.pem"})
    assert old == new
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "\n" not in warning and "deprecated" in warning
    assert "web.tls: {cert_file: c.pem, key_file: k.pem}" in warning

    cfg = tmp_path / "c.yaml"
    for web, expected in [
        ("{tls_cert_file: c.pem}", "set both tls_cert_file and tls_key_file"),
        ("{tls: {cert_file: a, key_file: b}, tls_key_file: k}", "not also tls_cert_file"),
        ("{tls: {cert_file: a}}", "web.tls.key_file"),
    ]:
        cfg.write_text(f"web: {web}\ndevices: []\n")
        with pytest.raises(ConfigErrors) as err:
            load_config(cfg)
        (line,) = [e.one_line() for e in err.value.errors]
        assert line.startswith(f"{cfg}:1: web") and expected in line, line
