"""``orderproof certify`` with a stand-in runner: exit codes, the table, the reports, usage errors."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests

from orderproof.catalogue import load_catalogue
from orderproof.checks.base import RESPONSE_CHECKS, Exchange, RuleFailure, loads_exact
from orderproof.cli import main
from orderproof.commands import certify as certify_command
from orderproof.core import masking
from orderproof.core.errors import UsageError
from orderproof.core.masking import SecretRegistry
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.core.results import Evidence, RuleResult, RunResult, Verdict
from orderproof.engine.context import build_context
from orderproof.engine.target import served
from orderproof.report.progress import Progress, interactive
from tests import SEED

API = "sportsbook-order"
LEAKED = "sess-0a1b2c3d4e5f6789"      # a secret the run learns; it must not reach any report


class FakeContext:
    """What certify builds before it runs: the options, nothing contacted."""

    def __init__(self, options):
        self.options = options
        self.target = SimpleNamespace(embedded=True, fault=options.fault, variation=options.variation,
                                      base_url="http://testserver", provider_states_url=None)

    def close(self) -> None:
        pass


class FakeRunner:
    """Writes junit.xml and allure-results/ like the real runner and returns the verdicts it was given."""

    def __init__(self, verdicts: dict[str, Verdict]):
        self.verdicts = verdicts
        self.options = None

    def __call__(self, context):
        options = self.options = context.options
        masking.registry().add(LEAKED)                    # as a provider-state answer would
        catalogue = load_catalogue([API])
        results = []
        for index, (rule_id, verdict) in enumerate(self.verdicts.items(), 1):
            rule = catalogue.rule(rule_id)
            event = {"api": API, "rule_id": rule_id, "level": rule.level, "title": rule.title,
                     "index": index, "total": len(self.verdicts)}
            options.on_event("rule-start", event)
            evidence = None
            if verdict is Verdict.FAIL:
                evidence = Evidence(
                    message=f"{rule_id} broken for customerToken {LEAKED}",
                    request={"method": "POST", "url": "http://testserver/order", "headers": {},
                             "body": json.dumps({"customerToken": LEAKED, "ticketId": 7, "orderAmount": 10})},
                    response={"status": 400, "headers": {}, "body": '{"code": 401, "msg": "unknown", "data": null}'},
                    curl=f"curl -X POST -d '{{\"customerToken\": \"{LEAKED}\", \"ticketId\": 7}}' http://testserver/order",
                )
            reason = {Verdict.FAIL: "it failed", Verdict.NOT_VERIFIED: "no provider-state hook"}.get(verdict, "")
            results.append(RuleResult(api=API, rule_id=rule_id, level=rule.level, title=rule.title,
                                      check=rule.check, verdict=verdict, reason=reason, evidence=evidence, cases=3))
            options.on_event("rule-end", {**event, "verdict": verdict, "reason": reason, "duration_s": 0.1})
        report_dir = Path(options.report_dir)
        (report_dir / "junit.xml").write_text("<testsuites><testsuite name='orderproof' tests='2'/></testsuites>")
        allure = report_dir / "allure-results"
        allure.mkdir(exist_ok=True)
        (allure / "a-result.json").write_text(json.dumps({"name": "test_rule", "status": "passed"}))
        (allure / "b-attachment.txt").write_text(f"captured log: player session {LEAKED}")   # a leak
        now = datetime.now(UTC)
        return RunResult(
            results=results, target="embedded reference (in process)", apis=(API,), profile=options.profile,
            seed=options.seed if options.seed is not None else 99, run_id=options.run_id, started=now,
            finished=now, junit_path=report_dir / "junit.xml", allure_dir=allure,
            spec_sha256=catalogue.file_hashes(),
        )


def use_runner(monkeypatch, verdicts: dict[str, Verdict]) -> FakeRunner:
    fake = FakeRunner(verdicts)
    monkeypatch.setattr(certify_command, "build_context", FakeContext)
    monkeypatch.setattr(certify_command, "run_conformance", fake)
    return fake


def certify(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["certify", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def plain_output(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("ORDERPROOF_DEBUG", raising=False)


def test_certified_run_writes_every_report_and_the_table(monkeypatch, capsys, tmp_path):
    fake = use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.PASS})
    code, out, err = certify(capsys, "--api", API, "--seed", "7", "--report-dir", str(tmp_path),
                             "--max-requests", "500", "--rate-limit", "5", "--request-timeout", "3")
    assert code == 0, err
    options = fake.options
    assert (options.apis, options.seed, options.profile, options.fault) == ((API,), 7, "standard", None)
    assert (options.max_requests, options.requests_per_second, options.request_timeout) == (500, 5.0, 3.0)
    assert options.target_url is None and options.target_config is None and not options.serve
    for name in ("junit.xml", "allure-results", "certificate.json", "certificate.md"):
        assert (tmp_path / name).exists(), name
    assert "SO-SCHEMA" in out and "SO-TICKET-ECHO" in out
    assert f"{API}  SO-SCHEMA       MUST   PASS" in out
    assert "Result: CERTIFIED" in out and "Seed: 7" in out and str(tmp_path) in out
    assert "Target: embedded reference (in process)" in out
    assert "[1/2] SO-SCHEMA MUST PASS" in err and "[2/2] SO-TICKET-ECHO MUST PASS" in err
    assert main(["verify-certificate", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], None),                                               # the embedded reference: no limit
        (["--serve"], None),
        (["--target-url", "http://127.0.0.1:9"], 20.0),           # a real service: gentle by default
        (["--target-url", "http://127.0.0.1:9", "--rate-limit", "0"], None),
        (["--target-url", "http://127.0.0.1:9", "--rate-limit", "2.5"], 2.5),
    ],
)
def test_rate_limit_defaults(monkeypatch, capsys, tmp_path, args, expected):
    fake = use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    assert certify(capsys, *args, "--report-dir", str(tmp_path))[0] == 0
    assert fake.options.requests_per_second == expected


def test_the_users_pytest_addopts_do_not_reach_the_run(monkeypatch, capsys, tmp_path):
    """certify runs pytest itself, with its own options: a PYTEST_ADDOPTS meant for the user's tests
    (-n for pytest-xdist, -x, an option no plugin knows) neither changes nor breaks it."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-n 2 -x --no-such-option")
    code, out, err = certify(capsys, "--api", "superbet-reserve", "--profile", "quick", "--seed", "5",
                             "--report-dir", str(tmp_path))
    assert code == 0, out + err
    assert "CERTIFIED" in out and os.environ["PYTEST_ADDOPTS"] == "-n 2 -x --no-such-option"


def test_must_failure_exits_1_and_shows_the_evidence(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.FAIL})
    code, out, _ = certify(capsys, "--serve", "--fault", _a_fault(), "--seed", "11", "--report-dir", str(tmp_path))
    assert code == 1
    assert "FAIL SO-TICKET-ECHO (MUST)" in out and "curl -X POST" not in out      # the curl is in certificate.md
    assert f"replay: orderproof certify --serve --fault {_a_fault()}" in out
    assert "Result: NOT CERTIFIED: 1 MUST rule(s) failed" in out
    cert = json.loads((tmp_path / "certificate.json").read_text())
    assert cert["result"] == "NOT CERTIFIED" and cert["exit_code"] == 1
    failed = next(rule for rule in cert["rules"] if rule["verdict"] == "FAIL")
    assert failed["evidence"]["replay"]["command"] == (
        f"orderproof certify --serve --fault {_a_fault()} --report-dir {tmp_path} --api {API} --seed 11")


def test_should_failure_is_a_warning(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS, "SO-REPEAT": Verdict.FAIL,
                             "SO-REJECT-NOTHING": Verdict.NOT_VERIFIED})
    code, out, _ = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 0
    assert "WARNING SO-REPEAT (SHOULD)" in out and "NOT VERIFIED SO-REJECT-NOTHING (SHOULD)" in out
    assert "Result: CERTIFIED" in out and "(1 SHOULD warning(s))" in out


def test_no_secret_reaches_a_report_or_the_terminal(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.FAIL})
    code, out, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 1
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) == 5
    for path in files:
        assert LEAKED not in path.read_text(), path
    assert LEAKED not in out and LEAKED not in err
    assert "captured log: player session ***" in (tmp_path / "allure-results" / "b-attachment.txt").read_text()
    assert main(["verify-certificate", str(tmp_path)]) == 0     # masking happened before hashing


def test_a_bad_target_keeps_the_last_good_reports(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    assert certify(capsys, "--report-dir", str(tmp_path))[0] == 0
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}

    def unreachable(options):
        raise UsageError("cannot reach the target")

    monkeypatch.setattr(certify_command, "build_context", unreachable)
    assert certify(capsys, "--report-dir", str(tmp_path))[0] == 2
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
    assert main(["verify-certificate", str(tmp_path)]) == 0


def reports_of(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def test_a_run_that_breaks_or_is_interrupted_leaves_the_previous_reports(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    assert certify(capsys, "--report-dir", str(tmp_path))[0] == 0
    (tmp_path / "notes.txt").write_text("the user's own file")
    before = reports_of(tmp_path)

    def broken(context):
        (Path(context.options.report_dir) / "junit.xml").write_text("<testsuites tests='0'/>")   # half written
        raise RuntimeError("the conformance run did not complete")

    monkeypatch.setattr(certify_command, "run_conformance", broken)
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 3 and f"the previous reports in {tmp_path} are untouched" in err
    assert reports_of(tmp_path) == before

    def interrupted(context):
        raise KeyboardInterrupt

    monkeypatch.setattr(certify_command, "run_conformance", interrupted)
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 130 and single_line_error(err) == (
        f"orderproof certify: interrupted; the previous reports in {tmp_path} are untouched")
    assert reports_of(tmp_path) == before and not list(tmp_path.glob(".run-*"))
    assert main(["verify-certificate", str(tmp_path)]) == 0


def test_a_new_run_replaces_every_report_of_the_previous_one(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    assert certify(capsys, "--report-dir", str(tmp_path), "--seed", "1")[0] == 0
    (tmp_path / "allure-results" / "stale-result.json").write_text("{}")
    assert certify(capsys, "--report-dir", str(tmp_path), "--seed", "2")[0] == 0
    assert not (tmp_path / "allure-results" / "stale-result.json").exists()
    assert json.loads((tmp_path / "certificate.json").read_text())["seed"] == 2
    assert main(["verify-certificate", str(tmp_path)]) == 0


def test_a_report_dir_that_cannot_be_written_is_refused_before_any_traffic(monkeypatch, capsys, tmp_path):
    fake = use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    contacted = []
    monkeypatch.setattr(certify_command, "build_context", lambda options: contacted.append(options))
    (tmp_path / "a-file").write_text("")
    code, _, err = certify(capsys, "--report-dir", str(tmp_path / "a-file" / "reports"))
    assert code == 2 and "cannot be written" in single_line_error(err)
    assert contacted == [] and fake.options is None


def single_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_runner_usage_error_exits_2_with_one_line(monkeypatch, capsys, tmp_path):
    def unreachable(options):
        raise UsageError("cannot reach http://127.0.0.1:9: connection refused; is the service running?")

    monkeypatch.setattr(certify_command, "build_context", unreachable)
    code, out, err = certify(capsys, "--target-url", "http://127.0.0.1:9", "--report-dir", str(tmp_path))
    assert code == 2
    assert single_line_error(err).startswith("orderproof certify: error: cannot reach http://127.0.0.1:9")
    assert not (tmp_path / "certificate.json").exists()


def test_internal_error_exits_3_with_a_hint(monkeypatch, capsys, tmp_path):
    def broken(context):
        masking.registry().add(LEAKED)
        raise KeyError(f"session {LEAKED}")

    monkeypatch.setattr(certify_command, "build_context", FakeContext)
    monkeypatch.setattr(certify_command, "run_conformance", broken)
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 3
    line = single_line_error(err)
    assert "internal error: KeyError" in line and "ORDERPROOF_DEBUG=1" in line
    assert "session ***" in line
    monkeypatch.setenv("ORDERPROOF_DEBUG", "1")
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 3 and "Traceback" in err and LEAKED not in err


def _a_fault() -> str:
    from orderproof.reference.faults import FAULTS

    return sorted(name for name, fault in FAULTS.items() if fault.api == API)[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "no-such-fault"], "unknown fault 'no-such-fault'; known faults: "),
        (["--target-url", "http://127.0.0.1:9", "--fault", "x"], "--fault applies to the embedded reference only"),
        (["--target-url", "http://127.0.0.1:9", "--serve"], "--target-url and --serve name different targets"),
        (["--target-url", "http://127.0.0.1:9", "--target-config", "t.yaml"],
         "--target-url and --target-config name different targets"),
        (["--api", "horse-racing"], "unknown API 'horse-racing'; known APIs: sportsbook-order, "),
        (["--max-requests", "0"], "--max-requests must be at least 1"),
        (["--rate-limit", "-1"], "--rate-limit must be a number of requests per second"),
        (["--target-config", "missing.yaml"], "target file missing.yaml not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(monkeypatch, capsys, tmp_path, args, message):
    fake = use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    monkeypatch.setattr(certify_command, "build_context", build_context)      # the real one: it judges the target
    monkeypatch.chdir(tmp_path)
    code, out, err = certify(capsys, *args)
    assert code == 2
    assert message in single_line_error(err)
    assert fake.options is None, "nothing runs after a usage error"
    assert not (tmp_path / "reports").exists()


# -- end to end: the real runner against the embedded reference ------------------------------------
# Each run is a subprocess (the runner runs pytest itself), bounded by a hard timeout.

E2E_TIMEOUT_S = 300
REPORTS = ("junit.xml", "allure-results", "certificate.json", "certificate.md")


def certify_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CI": "true", **(env or {})}
    environment.pop("ORDERPROOF_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "orderproof", "certify", *args], capture_output=True, text=True,
                          timeout=E2E_TIMEOUT_S, env=environment)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-4000:]
    return done


QUICK_RUN = ("--api", API, "--profile", "quick", "--seed", str(SEED))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One quick certify of the API in its own process, and its report directory (read by two tests)."""
    report_dir = tmp_path_factory.mktemp("quick-run")
    return certify_process(*QUICK_RUN, "--report-dir", str(report_dir)), report_dir


@pytest.mark.slow
def test_e2e_certifies_the_embedded_reference(quick_run):
    done, tmp_path = quick_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in REPORTS:
        assert (tmp_path / name).exists(), name
    assert any((tmp_path / "allure-results").iterdir())
    cert = json.loads((tmp_path / "certificate.json").read_text())
    assert cert["result"] == "CERTIFIED" and cert["seed"] == SEED and cert["apis"] == [API]
    assert {rule["rule_id"] for rule in cert["rules"]} == {rule.id for rule in load_catalogue([API]).rules}
    assert "Result: CERTIFIED" in done.stdout and "SO-TICKET-ECHO" in done.stdout
    assert f"{len(cert['rules'])} rules: {len(cert['rules'])} PASS, 0 FAIL, 0 NOT VERIFIED" in done.stdout
    assert "[1/" in done.stderr, "progress lines when not on a terminal"
    assert main(["verify-certificate", str(tmp_path)]) == 0




@pytest.mark.slow
def test_e2e_a_pinned_convention_fails_an_answer_that_contradicts_it(quick_run, tmp_path):
    """The reference answers a rejected order with HTTP 4xx: certified when nothing is pinned (the
    run observes http-4xx), failed on SO-ENVELOPE once the target pins http-200."""
    open_run, open_dir = quick_run
    assert open_run.returncode == 0, open_run.stdout[-3000:]
    conventions = {row["id"]: row for row in json.loads((open_dir / "certificate.json").read_text())["conventions"]}
    assert conventions["sportsbook-order.rejection"]["observed"] == ["http-4xx"]
    assert conventions["sportsbook-order.rejection"]["pinned"] is None
    pinned = certify_process(*QUICK_RUN, "--report-dir", str(tmp_path / "b"),
                             "--convention", "sportsbook-order.rejection=http-200")
    assert pinned.returncode == 1, pinned.stdout[-3000:]
    cert = json.loads((tmp_path / "b" / "certificate.json").read_text())
    envelope = next(rule for rule in cert["rules"] if rule["rule_id"] == "SO-ENVELOPE")
    assert envelope["verdict"] == "FAIL" and "pins http-200" in envelope["evidence"]["message"]
    assert "--convention sportsbook-order.rejection=http-200" in cert["replay"]
    md = (tmp_path / "b" / "certificate.md").read_text()
    assert "pinned: **http-200**" in md


def test_a_bad_convention_pin_is_a_usage_error(tmp_path):
    for args in (["--convention", "nope"], ["--convention", "sportsbook-order.rejection=http-500"]):
        done = certify_process("--api", API, "--report-dir", str(tmp_path / "r"), *args)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def parse_curl(line: str) -> tuple[str, str, dict[str, str], str | None]:
    """method, url, headers, body of a curl line (the options the certificate uses)."""
    words = shlex.split(line)
    assert words[0] == "curl", line
    method, url, headers, body = "GET", None, {}, None
    rest = iter(words[1:])
    for word in rest:
        if word in ("-X", "--request"):
            method = next(rest)
        elif word in ("-H", "--header"):
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-binary", "--data-raw"):
            body = next(rest)
        elif word.startswith("http"):
            url = word
    assert url, line
    return method, url, headers, body


def replay(curl: str, base_url: str) -> Exchange:
    """Send a certificate's curl line to ``base_url``, a fresh player's token in place of ``***``."""
    player = requests.post(base_url + PROVIDER_STATES_PATH, timeout=10,
                           json={"state": "a player exists", "params": {"balance": "1000000.00"}}).json()
    method, url, headers, body = parse_curl(curl)
    body = body.replace(f'"{masking.MASK}"', json.dumps(player["customerToken"]))
    assert masking.MASK not in body
    url = base_url + urlsplit(url).path
    response = requests.request(method, url, headers=headers, data=body.encode(), timeout=10)
    return Exchange(api=API, method=method, url=url, request_headers={k.lower(): v for k, v in headers.items()},
                    request_body=loads_exact(body), request_text=body, media_type="application/json",
                    status=response.status_code, response_headers=dict(response.headers),
                    response_text=response.text)


@pytest.mark.slow
def test_e2e_a_fault_fails_and_its_curl_line_reproduces_the_failure(tmp_path):
    fault = "ticket-id-precision"
    done = certify_process("--serve", "--fault", fault, "--api", API, "--profile", "quick", "--seed", str(SEED),
                           "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Result: NOT CERTIFIED" in done.stdout
    cert = json.loads((tmp_path / "certificate.json").read_text())
    failed = {rule["rule_id"]: rule for rule in cert["rules"] if rule["verdict"] == "FAIL"}
    assert "SO-TICKET-ECHO" in failed, sorted(failed)
    evidence = failed["SO-TICKET-ECHO"]["evidence"]
    assert evidence["replay"]["command"] == (
        f"orderproof certify --serve --fault {fault} --profile quick --report-dir {tmp_path} --api {API} --seed {SEED}")
    assert evidence["curl"] in (tmp_path / "certificate.md").read_text()

    from orderproof.reference import create_app

    rule = load_catalogue([API]).rule("SO-TICKET-ECHO")
    check = RESPONSE_CHECKS[rule.check]
    # The served reference stopped with certify: replay against a new one with the same fault ...
    with served(create_app(fault=fault)) as base_url:
        exchange = replay(evidence["curl"], base_url)
    assert exchange.status == 200, exchange.response_text
    with pytest.raises(RuleFailure, match="SO-TICKET-ECHO"):
        check(rule, exchange)
    # ... and the same request passes against the clean reference: the failure is the fault's.
    with served(create_app()) as base_url:
        exchange = replay(evidence["curl"], base_url)
    assert exchange.status == 200 and check(rule, exchange) is None


class SecretRecorder:
    """ASGI middleware that notes every secret the reference hands out or accepts: the values of
    secret-named fields in provider-state answers, and the credentials of every request it accepted."""

    def __init__(self, app):
        self.app = app
        self.secrets = SecretRegistry()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        sent = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        state: dict = {"body": b""}

        async def recording_send(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["body"] += message.get("body", b"")
                if not message.get("more_body") and state["status"] < 300:
                    for name, value in sent.items():
                        if masking.is_secret_name(name):
                            self.secrets.add(value)
                    if scope["path"] == PROVIDER_STATES_PATH:
                        self.secrets.learn(json.loads(state["body"]))
            await send(message)

        await self.app(scope, receive, recording_send)


@pytest.mark.slow
def test_e2e_no_secret_reaches_any_report(tmp_path):
    from orderproof.reference import create_app

    api_key = "e2e-api-key-7c1d9b3f0a5e"
    # a fault, so that a FAIL carries a request (X-API-Key, sessionToken) and a response as evidence
    recorder = SecretRecorder(create_app(api_key=api_key, fault="echo-rounds-stake"))
    report_dir = tmp_path / "reports"
    with served(recorder) as base_url:
        config = tmp_path / "target.yaml"
        config.write_text(
            f"base_url: {base_url}\n"
            "apis:\n"
            "  bet-placement:\n"
            "    auth: {api_key: \"${ORDERPROOF_E2E_API_KEY}\"}\n"
            "  jackpot-ticket: {}\n"
            f"provider_states:\n  url: {base_url}{PROVIDER_STATES_PATH}\n"
        )
        done = certify_process("--target-config", str(config), "--profile", "quick", "--seed", str(SEED),
                               "--rate-limit", "0", "--report-dir", str(report_dir),
                               env={"ORDERPROOF_E2E_API_KEY": api_key})
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    cert = json.loads((report_dir / "certificate.json").read_text())
    for api, n in cert["counts_by_api"].items():                      # per-API counts in the summary
        assert f"{api}: {n['rules']} rules, {n['PASS']} PASS, {n['FAIL']} FAIL" in done.stdout
    evidence = next(rule["evidence"] for rule in cert["rules"] if rule["rule_id"] == "BP-ECHO")
    assert evidence["request"]["headers"]["x-api-key"] == masking.MASK
    assert "-H 'x-api-key: ***'" in evidence["curl"]
    # the body is inline, or (long or binary, depending on what this Hypothesis version drew) in a file
    body_file = re.search(r"--data-binary @(\S+)", evidence["curl"])
    body = (report_dir / body_file.group(1)).read_text(encoding="utf-8") if body_file else evidence["curl"]
    assert '"sessionToken": "***"' in body
    assert evidence["request"]["headers"]["x-idempotency-key"] != masking.MASK, "evidence stays readable"
    secrets = {value for value in recorder.secrets.values() if len(value) >= masking.MIN_SECRET_LENGTH}
    assert api_key in secrets and len(secrets) > 10, "the run used the key, players, sessions and operators"
    files = [path for path in report_dir.rglob("*") if path.is_file()]
    assert len(files) > 4
    leaks = [(path.relative_to(report_dir).as_posix(), secret) for path in files
             for secret in secrets if secret in path.read_text(encoding="utf-8", errors="replace")]
    assert not leaks, leaks[:10]
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr


# -- the progress display ---------------------------------------------------------------------------


def feed(progress: Progress) -> None:
    masking.reset_registry().add(LEAKED)
    rules = [("SO-SCHEMA", "MUST", Verdict.PASS, ""), ("SO-TICKET-ECHO", "MUST", Verdict.FAIL, f"echo of {LEAKED}"),
             ("SO-REPEAT", "SHOULD", Verdict.NOT_VERIFIED, "no hook")]
    for index, (rule_id, level, verdict, reason) in enumerate(rules, 1):
        event = {"api": API, "rule_id": rule_id, "level": level, "title": "t", "index": index, "total": 3}
        progress("rule-start", event)
        progress("rule-end", {**event, "verdict": verdict, "reason": reason, "duration_s": 0.25})
    progress.close()


def test_progress_plain_lines_when_not_live():
    stream = io.StringIO()
    feed(Progress(stream, live=False))
    assert stream.getvalue().splitlines() == [
        API,
        "  [1/3] SO-SCHEMA MUST PASS (0.2s)",
        "  [2/3] SO-TICKET-ECHO MUST FAIL (0.2s): echo of ***",
        "  [3/3] SO-REPEAT SHOULD NOT VERIFIED (0.2s): no hook",
    ]
    assert "\r" not in stream.getvalue()


def test_progress_in_a_log_says_a_long_rule_still_runs(monkeypatch):
    import orderproof.report.progress as progress_module

    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.05)
    monkeypatch.setattr(progress_module, "TICK_S", 0.01)
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    event = {"api": API, "rule_id": "SO-SCHEMA", "level": "MUST", "title": "t", "index": 1, "total": 2}
    progress("rule-start", event)
    deadline = time.monotonic() + 5
    while "still running" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    progress("rule-end", {**event, "verdict": Verdict.PASS, "duration_s": 0.2})
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == API and lines[1].startswith("  [1/2] SO-SCHEMA is still running (") and "\r" not in lines[1]
    assert lines[-1] == "  [1/2] SO-SCHEMA MUST PASS (0.2s)"

    stream = io.StringIO()                      # several processes: every rule under way is named
    progress = Progress(stream, live=False)
    progress.interleaved = True
    other = {**event, "api": "travel-order", "rule_id": "TO-SCHEMA", "index": 2}
    progress("rule-start", event)
    progress("rule-start", other)
    deadline = time.monotonic() + 5
    while stream.getvalue().count("still running") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    progress.close()
    assert f"{API} SO-SCHEMA is still running" in stream.getvalue()
    assert "travel-order TO-SCHEMA is still running" in stream.getvalue()


def test_progress_cuts_a_long_reason_at_a_word_after_masking_it():
    stream = io.StringIO()
    masking.reset_registry().add(LEAKED)
    progress = Progress(stream, live=False)
    event = {"api": API, "rule_id": "SO-REPEAT", "level": "SHOULD", "title": "t", "index": 1, "total": 1}
    progress("rule-end", {**event, "verdict": Verdict.FAIL, "duration_s": 0.25,
                          "reason": "the convention " * 19 + LEAKED + " followed"})   # the secret across 300
    progress("rule-end", {**event, "verdict": Verdict.FAIL, "duration_s": 0.25, "reason": "the convention " * 30})
    progress.close()
    first, second = (" ".join(line.split()) for line in stream.getvalue().split("[1/1]")[1:])
    assert first.endswith("the convention *** followed") and LEAKED[:4] not in first
    assert second.endswith(("the ...", "convention ...")) and len(second) < 340


def test_progress_of_several_processes_names_the_api_on_each_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.interleaved = True
    feed(progress)
    assert stream.getvalue().splitlines() == [
        f"  [1/3] {API} SO-SCHEMA MUST PASS (0.2s)",
        f"  [2/3] {API} SO-TICKET-ECHO MUST FAIL (0.2s): echo of ***",
        f"  [3/3] {API} SO-REPEAT SHOULD NOT VERIFIED (0.2s): no hook",
    ]


def test_progress_status_line_on_a_terminal():
    stream = io.StringIO()
    feed(Progress(stream, live=True))
    text = stream.getvalue()
    assert "\r[" in text and "[2/3] sportsbook-order SO-TICKET-ECHO" in text     # the bar, rewritten in place
    lasting = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]     # what stays on screen
    assert "  [2/3] SO-TICKET-ECHO MUST FAIL (0.2s): echo of ***" in lasting
    assert "  [3/3] SO-REPEAT SHOULD NOT VERIFIED (0.2s): no hook" in lasting
    assert not any("SO-SCHEMA" in line for line in lasting), "a pass only moves the status line"
    assert lasting[-1].strip() == "", "no status line is left behind"


@pytest.mark.parametrize(("ci", "tty", "live"), [("", True, True), ("true", True, False), ("1", True, False),
                                                 ("false", True, True), ("", False, False)])
def test_live_only_on_a_terminal_outside_ci(monkeypatch, ci, tty, live):
    monkeypatch.setenv("CI", ci)
    stream = io.StringIO()
    stream.isatty = lambda: tty
    assert interactive(stream) is live


def test_the_timer_ticks_during_a_long_rule(monkeypatch):
    monkeypatch.setattr("orderproof.report.progress.TICK_S", 0.05)
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    progress("rule-start", {"api": API, "rule_id": "SO-REPEAT", "level": "SHOULD", "title": "t", "index": 1,
                            "total": 1})
    time.sleep(0.5)                                     # a rule that takes a while: no event comes
    redrawn = stream.getvalue().count("\r[")
    progress.close()
    assert redrawn >= 3, stream.getvalue()
