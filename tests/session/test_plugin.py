"""The pytest plugin end to end (pytester, in a subprocess): one item per (API, rule) against the
embedded reference, a fault fails exactly its items, a bad option is a usage error, and without
orderproof options nothing extra is collected."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orderproof.catalogue import load_catalogue
from tests import SEED

API = "sportsbook-order"
QUICK = ("--api", API, "--profile", "quick", "--seed", str(SEED), "-p", "no:randomly")


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """Runs in a subprocess, in an empty directory outside the repository (as a user's pytest would).
    A subprocess, because an in-process pytester run drops the modules first imported during it
    (Schemathesis loads some lazily), and objects cached from those runs then carry enum members of
    dropped classes into later tests."""

    def run(*args: str):
        return pytester.runpytest_subprocess(*args, timeout=300)

    pytester.run_pytest = run  # type: ignore[attr-defined]
    return pytester


def rules_of(slug: str) -> list:
    return list(load_catalogue([slug]).rules)


@pytest.mark.slow
def test_clean_reference_one_passing_item_per_rule(pytester: pytest.Pytester) -> None:
    result = pytester.run_pytest(*QUICK, "--junitxml", "junit.xml", "-rA")
    rules = rules_of(API)
    result.assert_outcomes(passed=len(rules))
    for rule in rules:
        result.stdout.fnmatch_lines([f"*test_rule?{API}::{rule.id}?*"])
    result.stdout.fnmatch_lines(["*orderproof conformance*", f"*{len(rules)} passed, 0 failed, 0 not verified*seed {SEED}*"])
    cases = list(ET.parse(pytester.path / "junit.xml").getroot().iter("testcase"))
    assert sorted(case.get("name") for case in cases) == sorted(f"{rule.id} {rule.title}" for rule in rules)
    assert {case.get("classname") for case in cases} == {API}         # the API, in the plain pytest route too


@pytest.mark.slow
def test_fault_fails_exactly_its_items(pytester: pytest.Pytester) -> None:
    result = pytester.run_pytest(*QUICK, "--fault", "ticket-id-precision")
    rules = rules_of(API)
    result.assert_outcomes(failed=1, passed=len(rules) - 1)
    result.stdout.fnmatch_lines([f"*replay:*--fault ticket-id-precision*--api sportsbook-order --seed {SEED}*",
                                 f"FAILED *test_rule?{API}::SO-TICKET-ECHO?*"])


@pytest.mark.slow
def test_should_rule_failure_is_an_xfail(pytester: pytest.Pytester) -> None:
    result = pytester.run_pytest(*QUICK, "--fault", "debits-repeat-ticket", "-k", "SO-REPEAT")
    result.assert_outcomes(xfailed=1)


def test_unknown_api_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.run_pytest("--api", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown API 'nope'; known APIs: sportsbook-order*"])


@pytest.mark.parametrize("distribution", [("-n", "2"), ("-n", "2", "--dist", "loadgroup"), ("--tx", "2*popen", "-d")])
def test_under_pytest_xdist_a_conformance_run_is_a_usage_error(pytester: pytest.Pytester, distribution) -> None:
    """Spread over workers, an API's rules saw only their worker's part of its traffic (-n 2 ended
    TO-REJECTION-STYLE NOT VERIFIED where one process passes it), and the session's gate saw no verdict."""
    result = pytester.run_pytest(*distribution, *QUICK)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the orderproof conformance run does not run under pytest-xdist*certify --jobs N*"])
    assert len(result.stderr.str().strip().splitlines()) == 1 and "Traceback" not in result.stderr.str()


def test_without_options_nothing_extra_is_collected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own="def test_own():\n    pass  # the user's own test: only collected here (--co)\n")
    result = pytester.run_pytest("-p", "no:randomly", "--co", "-q")
    result.stdout.fnmatch_lines(["test_own.py::test_own", "1 test collected*"])
    result.stdout.no_fnmatch_line("*test_rule*")


def test_run_conformance_writes_reports_and_reports_progress(tmp_path: Path) -> None:
    from orderproof.core.options import RunOptions
    from orderproof.core.results import Verdict
    from orderproof.report.certificate import exit_code
    from orderproof.session.run import run_conformance

    events: list[tuple[str, dict]] = []
    options = RunOptions(apis=("superbet-reserve",), profile="quick", seed=SEED, fault="reserve-status-open",
                         report_dir=tmp_path, on_event=lambda kind, data: events.append((kind, data)))
    result = run_conformance(options)
    rules = rules_of("superbet-reserve")
    assert sorted(r.rule_id for r in result.results) == sorted(r.id for r in rules)
    failed = {r.rule_id for r in result.results if r.verdict is Verdict.FAIL}
    assert failed == {"SR-STATE"} and exit_code(result.results) == 1
    state = next(r for r in result.results if r.rule_id == "SR-STATE")
    assert state.evidence.curl.startswith("curl -X POST") and f"--seed {SEED}" in state.evidence.replay
    assert "***" in state.evidence.curl and state.evidence.response["status"] == 200
    assert result.seed == SEED and result.profile == "quick" and result.apis == ("superbet-reserve",)
    assert set(result.spec_sha256) == {"superbet-reserve/openapi.yaml", "superbet-reserve/contract.yaml"}
    kinds = [kind for kind, _ in events]
    assert kinds.count("rule-start") == kinds.count("rule-end") == len(rules)
    assert events[-1][1]["index"] == events[-1][1]["total"] == len(rules)
    cases = list(ET.parse(result.junit_path).getroot().iter("testcase"))
    assert len(cases) == len(rules)
    assert any(path.name.endswith("-result.json") for path in result.allure_dir.iterdir())


def test_request_budget_ends_rules_not_verified() -> None:
    from orderproof.core.options import RunOptions
    from orderproof.core.results import Verdict
    from orderproof.engine.context import build_context
    from orderproof.engine.evidence import BUDGET
    from orderproof.engine.runner import verify

    context = build_context(RunOptions(apis=("sportsbook-order",), profile="quick", seed=SEED, max_requests=6))
    try:
        results = [verify(context, rule) for rule in context.ordered_rules()]
    finally:
        context.close()
    assert context.transport.sent == 6
    assert all(r.verdict is not Verdict.FAIL for r in results), [(r.rule_id, r.reason) for r in results]
    assert [r for r in results if r.verdict is Verdict.NOT_VERIFIED and r.reason == BUDGET]


@pytest.mark.slow
def test_target_file_without_hook_skips_what_it_cannot_verify(pytester: pytest.Pytester) -> None:
    import requests
    import yaml

    from orderproof.core.options import RunOptions
    from orderproof.core.paths import PROVIDER_STATES_PATH
    from orderproof.engine.target import resolve_target

    served = resolve_target(RunOptions(serve=True, apis=(API,)))
    try:
        player = requests.post(served.base_url + PROVIDER_STATES_PATH, timeout=5,
                               json={"state": "a player exists", "params": {"balance": "100000.00"}}).json()
        target = pytester.path / "target.yaml"
        target.write_text(yaml.safe_dump({"base_url": served.base_url, "apis": {API: None},
                                          "fixtures": {"a player exists": [player]}}), encoding="utf-8")
        result = pytester.run_pytest("--target-config", str(target), "--profile", "quick", "--rate-limit", "0",
                                     "--seed", str(SEED), "-k", "SO-BALANCE or SO-TICKET-ECHO", "-rs")
    finally:
        served.close()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*NOT VERIFIED: the rule needs the player snapshot, and the target has no "
                                 "provider-state hook*"])
    assert player["sessionToken"] not in result.stdout.str()


@pytest.mark.slow
def test_a_must_rule_not_verified_fails_the_session_as_certify_would(pytester: pytest.Pytester) -> None:
    import yaml

    from orderproof.core.options import RunOptions
    from orderproof.engine.target import resolve_target

    served = resolve_target(RunOptions(serve=True, apis=("bet-placement",)))
    try:
        target = pytester.path / "target.yaml"        # no hook: BP-PAYOUT (MUST) needs the player snapshot
        target.write_text(yaml.safe_dump({"base_url": served.base_url, "apis": {"bet-placement": None}}),
                          encoding="utf-8")
        args = ("--target-config", str(target), "--profile", "quick", "--rate-limit", "0", "--seed", str(SEED),
                "-k", "BP-PAYOUT and not PRECISION", "-rs")
        gated = pytester.run_pytest(*args)
        allowed = pytester.run_pytest(*args, "--allow-not-verified")
    finally:
        served.close()
    gated.assert_outcomes(skipped=1)
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    gated.stdout.fnmatch_lines(["*1 MUST rule(s) NOT VERIFIED (BP-PAYOUT): the run does not certify*--allow-not-verified*"])
    allowed.assert_outcomes(skipped=1)
    assert allowed.ret == pytest.ExitCode.OK


def test_the_plugin_defaults_to_a_gentle_rate_against_a_real_service(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "@pytest.hookimpl(trylast=True)\n"
        "def pytest_configure(config):\n"
        "    from orderproof.session.collector import context_of\n"
        "    context = context_of(config)\n"
        "    if context is not None:\n"
        "        print('rate', context.transport.rate_limit)\n")
    from orderproof.core.options import RunOptions
    from orderproof.engine.target import resolve_target

    served = resolve_target(RunOptions(serve=True, apis=(API,)))
    try:
        result = pytester.run_pytest("--target-url", served.base_url, "--api", API, "--co", "-q", "-s")
    finally:
        served.close()
    result.stdout.fnmatch_lines(["rate 20.0"])


@pytest.mark.slow
def test_the_plugin_works_from_an_empty_directory_under_a_wheel_install(tmp_path: Path) -> None:
    """Installed as a wheel would be (into a site-packages directory, not editable), run from an
    empty directory: the plugin is found by its entry point and certifies (no conftest involved)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    site = tmp_path / "site-packages"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                                "--no-index", "--target", str(site), str(root)], capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import orderproof; print(orderproof.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    # pytest-benchmark, where installed, makes its own .benchmarks/ in the current directory: not ours
    run = subprocess.run([sys.executable, "-m", "pytest", *QUICK, "-q", "-p", "no:cacheprovider", "-p", "no:benchmark"],
                         cwd=empty, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"{len(rules_of(API))} passed" in run.stdout
    assert sorted(p.name for p in empty.iterdir()) == []          # no .hypothesis/ or other cache left behind
