"""Targets: the target file is validated with one clear error per mistake, ``${ENV}`` is expanded,
and a target that cannot be used is a usage error before any rule runs. No test here sends a
request to a non-loopback address."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from orderproof import registry
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.engine.context import build_context
from orderproof.engine.target import load_target_config, resolve_target


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base_url: [unclosed\n", "not valid YAML at line"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("base_url: https://x.example.test\napis: {bet-placement: null}\ncolour: blue\n", "unknown key 'colour'"),
        ("apis: {bet-placement: null}\n", "base_url is required"),
        ("base_url: https://x.example.test\napis: {nope: null}\n", "unknown API 'nope'"),
        ("base_url: ftp://x.example.test\napis: {bet-placement: null}\n", "base_url"),
        ("base_url: https://x.example.test\napis: {bet-placement: {auth: {api_kee: k}}}\n", "unknown key 'api_kee'"),
        ("base_url: https://x.example.test\napis: {jackpot-ticket: {auth: {operator: site}}}\n", "secret"),
        ("base_url: https://x.example.test\napis: {bet-placement: {auth: {api_key: '${ORDERPROOF_TEST_UNSET}'}}}\n",
         "environment variable ORDERPROOF_TEST_UNSET is not set"),
    ],
    ids=["bad-yaml", "not-a-mapping", "unknown-key", "missing-base-url", "unknown-api", "not-http",
         "unknown-auth-key", "operator-without-secret", "missing-env"],
)
def test_bad_target_file_is_one_clear_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  text: str, expected: str) -> None:
    monkeypatch.delenv("ORDERPROOF_TEST_UNSET", raising=False)
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_target_config(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message and "\n" not in message


def test_missing_target_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read target file"):
        load_target_config(tmp_path / "absent.yaml")


def test_target_file_with_env_path_override_auth_and_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OP_TEST_KEY", "k-123456")
    monkeypatch.setenv("OP_TEST_SECRET", "s-abcdef")
    path = write(tmp_path, """
base_url: https://staging.example.test/
apis:
  bet-placement:
    path: /v2/bets
    auth: {api_key: "${OP_TEST_KEY}"}
  jackpot-ticket:
    auth: {operator: site, secret: "${OP_TEST_SECRET}"}
  travel-order:
provider_states:
  url: https://staging.example.test/_orderproof/provider-states
""")
    target = resolve(target_config=path, check_reachable=False)
    assert target.kind == "url" and target.base_url == "https://staging.example.test"
    assert list(target.apis) == ["jackpot-ticket", "travel-order", "bet-placement"]
    assert target.url_for("bet-placement") == "https://staging.example.test/v2/bets"
    assert target.url_for("travel-order") == "https://staging.example.test" + registry.get("travel-order").path
    assert target.apis["bet-placement"].auth == {"api_key": "k-123456"}
    assert target.secrets() == {"k-123456", "s-abcdef"}
    assert target.provider_states_url.endswith(PROVIDER_STATES_PATH)

    only = resolve(target_config=path, apis=["travel-order"], check_reachable=False)
    assert list(only.apis) == ["travel-order"]
    with pytest.raises(UsageError, match="does not implement API 'sportsbook-order'"):
        resolve(target_config=path, apis=["sportsbook-order"], check_reachable=False)


def test_fixtures_without_hook(tmp_path: Path) -> None:
    path = write(tmp_path, """
base_url: http://127.0.0.1:1
apis: {sportsbook-order: null}
fixtures:
  a player exists: [{customerToken: tok-1, userId: u1}]
""")
    target = resolve(target_config=path, check_reachable=False)
    assert target.provider_states_url is None
    assert target.fixtures["a player exists"][0]["userId"] == "u1"


def resolve(check_reachable: bool = True, **options):
    """The target of these options (as certify and the plugin make it)."""
    if "apis" in options:
        options["apis"] = tuple(options["apis"])
    return resolve_target(RunOptions(**options), check_reachable=check_reachable)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_url_is_a_usage_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(UsageError) as caught:
        resolve(target_url=url)
    assert f"target {url} is not reachable (connection refused)" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"target_url": "https://x.example.test", "fault": "payout-float"}, "--fault applies to the embedded reference only"),
        ({"target_url": "https://x.example.test", "serve": True}, "name different targets"),
        ({"apis": ["nope"]}, "unknown API 'nope'"),
        ({"fault": "no-such-fault"}, "unknown fault 'no-such-fault'"),
        ({"target_url": "staging.example.test"}, "is not an http(s) URL"),
    ],
    ids=["fault-with-url", "serve-with-url", "unknown-api", "unknown-fault", "url-without-scheme"],
)
def test_bad_options_are_usage_errors(options: dict, expected: str) -> None:
    with pytest.raises(UsageError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        resolve(check_reachable=False, **options)


def test_embedded_and_served_reference() -> None:
    embedded = resolve(apis=["bet-placement"])
    try:
        assert embedded.kind == "embedded" and embedded.app is not None
        assert embedded.description == "embedded reference (in process)"
    finally:
        embedded.close()
    served = resolve(serve=True, apis=["bet-placement"], fault="payout-float")
    try:
        assert served.base_url.startswith("http://127.0.0.1:")
        assert "payout-float" in served.description
        import requests

        answer = requests.post(served.base_url + PROVIDER_STATES_PATH, json={"state": "an event exists"}, timeout=5)
        assert answer.status_code == 200 and "event_id" in answer.json()
    finally:
        served.close()
    assert served._thread is None


def test_a_target_file_pins_conventions_and_a_bad_pin_is_a_usage_error(tmp_path):
    from orderproof.engine.target import served
    from orderproof.reference import create_app

    with served(create_app()) as base:
        good = tmp_path / "good.yaml"
        good.write_text(f"base_url: {base}\napis: {{sportsbook-order: null}}\n"
                        "conventions: {sportsbook-order.rejection: http-200}\n", encoding="utf-8")
        context = build_context(RunOptions(target_config=good))
        try:
            assert context.conventions.allowed("sportsbook-order.rejection") == ("http-200",)
        finally:
            context.close()
        bad = tmp_path / "bad.yaml"
        bad.write_text(f"base_url: {base}\napis: {{sportsbook-order: null}}\n"
                       "conventions: {sportsbook-order.rejection: http-500}\n", encoding="utf-8")
        with pytest.raises(UsageError, match=r"bad.yaml: convention sportsbook-order.rejection has no option "
                                             r"'http-500'; choose one of: http-4xx, http-200"):
            build_context(RunOptions(target_config=bad))
