"""``orderproof certify`` against hostile targets: every run ends, in bounded time, with a verdict or
one clear error, the documented exit code, and no traceback.

Exit codes (``orderproof certify``): 2 when the target cannot be used at the start (refused, TLS
to a plain port, no answer to the reachability probe); 1 when it answers but breaks MUST rules.
Each run is a subprocess with a hard timeout, so a hang fails the test instead of stalling CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import SEED

from .hostile_servers import HOOK_PATH, closed_port, hostile

pytestmark = pytest.mark.slow          # certify processes against hostile servers

BOUND_S = 60            # the whole certify run, start-up included
HARD_TIMEOUT_S = 120    # the subprocess is killed after this and the test fails
API = "bet-placement"


def certify(report_dir: Path, *target: str, max_requests: int = 40, request_timeout: float = 1) -> tuple[int, str, str, float]:
    command = [sys.executable, "-m", "orderproof", "certify", *target, "--api", API, "--profile", "quick",
               "--request-timeout", f"{request_timeout:g}", "--max-requests", str(max_requests), "--seed", str(SEED),
               "--rate-limit", "0",          # the local servers need no gentle rate (the default for a URL)
               "--report-dir", str(report_dir)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ORDERPROOF_DEBUG", None)
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HARD_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"certify did not end within {HARD_TIMEOUT_S} s: {' '.join(command)}\n"
                    f"stdout: {exc.stdout!r}\nstderr: {exc.stderr!r}")
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def assert_sane(code: int, out: str, err: str, elapsed: float, expected: int) -> None:
    both = out + err
    assert "Traceback" not in both, both[-4000:]
    assert code == expected, f"exit {code}, expected {expected}\nstdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}"
    assert elapsed < BOUND_S, f"took {elapsed:.1f} s (bound {BOUND_S} s)"


def assert_usage_error(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert lines[0].startswith("orderproof certify: error: "), lines[0]
    assert any(word in lines[0].lower() for word in words), lines[0]


def assert_not_certified(report_dir: Path, out: str) -> dict:
    path = report_dir / "certificate.json"
    assert path.is_file(), f"no certificate written; stdout:\n{out[-3000:]}"
    cert = json.loads(path.read_text(encoding="utf-8"))
    assert cert["result"] == "NOT CERTIFIED"
    assert cert["exit_code"] == 1
    assert "NOT CERTIFIED" in out
    assert any(rule["verdict"] != "PASS" and rule["level"] == "MUST" for rule in cert["rules"])
    return cert


# -- the target cannot be used at the start: exit 2, one sentence --------------------------------

@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_connection_refused(tmp_path: Path) -> None:
    code, out, err, elapsed = certify(tmp_path, "--target-url", f"http://127.0.0.1:{closed_port()}")
    assert_sane(code, out, err, elapsed, expected=2)
    assert_usage_error(err, "refused")
    assert elapsed < 30


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_tls_to_a_plain_http_port(tmp_path: Path) -> None:
    with hostile("plain-404") as base:
        code, out, err, elapsed = certify(tmp_path, "--target-url", base.replace("http://", "https://"))
    assert_sane(code, out, err, elapsed, expected=2)
    assert_usage_error(err, "tls")


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_hang_on_every_request_is_unreachable(tmp_path: Path) -> None:
    with hostile("hang", probe_too=True) as base:
        code, out, err, elapsed = certify(tmp_path, "--target-url", base)
    assert_sane(code, out, err, elapsed, expected=2)
    assert_usage_error(err, "did not answer")


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_reset_on_every_request_is_unreachable(tmp_path: Path) -> None:
    with hostile("reset", probe_too=True) as base:
        code, out, err, elapsed = certify(tmp_path, "--target-url", base)
    assert_sane(code, out, err, elapsed, expected=2)
    assert_usage_error(err, "reset")


# -- the target answers the probe but the API misbehaves: a verdict, exit 1 -----------------------

def failing(cert: dict, rule_id: str) -> dict:
    rule = next((rule for rule in cert["rules"] if rule["rule_id"] == rule_id), None)
    assert rule is not None, f"{rule_id} is not in the certificate"
    assert rule["verdict"] == "FAIL", f"{rule_id}: {rule['verdict']} ({rule['reason']})"
    return rule


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
@pytest.mark.parametrize(("behaviour", "rule_id", "words"), [
    ("reset", "BP-NO-5XX", ("connection reset",)),
    ("not-json", "BP-SCHEMA", ("json",)),
    ("huge-body", "BP-SCHEMA", ("schema", "required")),
    ("wrong-content-type", "BP-SCHEMA", ("content-type",)),
    ("server-error-storm", "BP-NO-5XX", ("server error", "500")),
])
def test_api_misbehaves(tmp_path: Path, behaviour: str, rule_id: str, words: tuple[str, ...]) -> None:
    with hostile(behaviour) as base:
        code, out, err, elapsed = certify(tmp_path, "--target-url", base)
    assert_sane(code, out, err, elapsed, expected=1)
    cert = assert_not_certified(tmp_path, out)
    message = json.dumps(failing(cert, rule_id)).lower()
    assert any(word in message for word in words), message[:2000]
    # A 10 MB answer must not be copied wholesale into the reports.
    assert (tmp_path / "certificate.json").stat().st_size < 2 * 1024 * 1024
    assert sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()) < 5 * 1024 * 1024


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_hang_on_the_api_fires_the_request_timeout(tmp_path: Path) -> None:
    with hostile("hang") as base:     # every request waits out its timeout: short ones, few, keep the test short
        code, out, err, elapsed = certify(tmp_path, "--target-url", base, max_requests=12, request_timeout=0.25)
    assert_sane(code, out, err, elapsed, expected=1)
    cert = assert_not_certified(tmp_path, out)
    failed = [rule for rule in cert["rules"] if rule["verdict"] == "FAIL" and rule["level"] == "MUST"]
    assert failed, "no MUST rule failed against a service that never answers"
    assert any("timeout" in json.dumps(rule).lower() for rule in failed), failed


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
@pytest.mark.parametrize(("behaviour", "detail"), [("hook-500", "500"), ("hook-garbage", "json")])
def test_provider_state_hook_errors(tmp_path: Path, behaviour: str, detail: str) -> None:
    with hostile(behaviour) as base:
        config = tmp_path / "target.yaml"
        config.write_text(f"base_url: {base}\napis:\n  {API}:\n    auth:\n      api_key: k-123\n"
                          f"provider_states:\n  url: {base}{HOOK_PATH}\n", encoding="utf-8")
        report_dir = tmp_path / "reports"
        code, out, err, elapsed = certify(report_dir, "--target-config", str(config))
    assert_sane(code, out, err, elapsed, expected=1)
    cert = assert_not_certified(report_dir, out)
    # The rules that need the hook end NOT VERIFIED and say that the hook failed, and how.
    blamed = [rule for rule in cert["rules"] if rule["verdict"] == "NOT VERIFIED" and rule["level"] == "MUST"
              and "provider state" in (rule["reason"] or "").lower()]
    assert blamed, [(rule["rule_id"], rule["reason"]) for rule in cert["rules"]]
    assert all(detail in rule["reason"].lower() for rule in blamed), [rule["reason"] for rule in blamed]


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_a_server_that_does_not_speak_the_apis_is_stopped_early_with_no_negative_pass(tmp_path: Path) -> None:
    """``python -m http.server`` answers every POST 501 with an HTML page: each API ends after its
    three probes (SCHEMA and NEGATIVE FAIL with the reason, the rest NOT VERIFIED), never a PASS."""
    port = closed_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import urllib.request

                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        report_dir = tmp_path / "reports"
        command = [sys.executable, "-m", "orderproof", "certify", "--target-url", f"http://127.0.0.1:{port}",
                   "--profile", "quick", "--max-requests", "40", "--seed", str(SEED), "--report-dir", str(report_dir)]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=HARD_TIMEOUT_S)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert_sane(done.returncode, done.stdout, done.stderr, elapsed, expected=1)
    cert = assert_not_certified(report_dir, done.stdout)
    assert not [rule["rule_id"] for rule in cert["rules"] if rule["verdict"] == "PASS"]
    for api in cert["apis"]:
        rules = {rule["rule_id"].split("-", 1)[1]: rule for rule in cert["rules"] if rule["api"] == api}
        assert rules["SCHEMA"]["verdict"] == "FAIL" and rules["NEGATIVE"]["verdict"] == "FAIL", api
        assert "does not speak" in rules["SCHEMA"]["reason"] and "501" in rules["SCHEMA"]["reason"]
        assert f"{api}: the target does not speak {api}" in done.stderr + done.stdout
    # stopped after the probes: 3 requests per API, never the budget of 40
    assert not [rule for rule in cert["rules"] if "budget" in rule["reason"]]
