"""``orderproof certify`` with a stand-in runner: exit codes, the table, the reports, usage errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderproof import certificate, masking
from orderproof.catalogue import load_catalogue
from orderproof.cli import main
from orderproof.errors import UsageError
from orderproof.results import Evidence, RuleResult, Verdict

try:
    from orderproof import runner
except ImportError:    # TEMPORARY until orderproof/runner.py lands: the documented dataclasses
    import sys
    import types
    import uuid
    from collections.abc import Callable
    from dataclasses import dataclass, field

    import orderproof

    @dataclass
    class RunOptions:
        target_url: str | None = None
        target_config: Path | None = None
        serve: bool = False
        apis: tuple[str, ...] = ()
        profile: str = "standard"
        seed: int | None = None
        fault: str | None = None
        report_dir: Path = Path("reports")
        max_requests: int | None = None
        rate_limit: float | None = None
        request_timeout: float = 10.0
        run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
        on_event: Callable[[str, dict], None] | None = None

    @dataclass
    class RunResult:
        results: list
        target: str
        apis: tuple
        profile: str
        seed: int
        run_id: str
        started: datetime
        finished: datetime
        junit_path: Path
        allure_dir: Path
        spec_sha256: dict
        exit_code: int

    runner = types.ModuleType("orderproof.runner")
    runner.RunOptions, runner.RunResult = RunOptions, RunResult
    sys.modules["orderproof.runner"] = runner
    orderproof.runner = runner

API = "sportsbook-order"
LEAKED = "sess-0a1b2c3d4e5f6789"      # a secret the run learns; it must not reach any report


class FakeRunner:
    """Writes junit.xml and allure-results/ like the real runner and returns the verdicts it was given."""

    def __init__(self, verdicts: dict[str, Verdict]):
        self.verdicts = verdicts
        self.options = None

    def __call__(self, options):
        self.options = options
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
        return runner.RunResult(
            results=results, target="embedded reference (in process)", apis=(API,), profile=options.profile,
            seed=options.seed if options.seed is not None else 99, run_id=options.run_id, started=now,
            finished=now, junit_path=report_dir / "junit.xml", allure_dir=allure,
            spec_sha256=catalogue.file_hashes(), exit_code=0,
        )


def use_runner(monkeypatch, verdicts: dict[str, Verdict]) -> FakeRunner:
    fake = FakeRunner(verdicts)
    monkeypatch.setattr(runner, "run_conformance", fake, raising=False)
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
    assert (options.max_requests, options.rate_limit, options.request_timeout) == (500, 5.0, 3.0)
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
    assert fake.options.rate_limit == expected


def test_must_failure_exits_1_and_shows_the_evidence(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.FAIL})
    code, out, _ = certify(capsys, "--serve", "--fault", _a_fault(), "--seed", "11", "--report-dir", str(tmp_path))
    assert code == 1
    assert "FAIL SO-TICKET-ECHO (MUST)" in out and "curl -X POST" in out
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


def test_a_previous_certificate_never_survives_a_failed_run(monkeypatch, capsys, tmp_path):
    use_runner(monkeypatch, {"SO-SCHEMA": Verdict.PASS})
    assert certify(capsys, "--report-dir", str(tmp_path))[0] == 0
    assert (tmp_path / "certificate.json").exists()

    def unreachable(options):
        raise UsageError("cannot reach the target")

    monkeypatch.setattr(runner, "run_conformance", unreachable, raising=False)
    assert certify(capsys, "--report-dir", str(tmp_path))[0] == 2
    assert not (tmp_path / "certificate.json").exists() and not (tmp_path / "certificate.md").exists()


def single_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_runner_usage_error_exits_2_with_one_line(monkeypatch, capsys, tmp_path):
    def unreachable(options):
        raise UsageError("cannot reach http://127.0.0.1:9: connection refused; is the service running?")

    monkeypatch.setattr(runner, "run_conformance", unreachable, raising=False)
    code, out, err = certify(capsys, "--target-url", "http://127.0.0.1:9", "--report-dir", str(tmp_path))
    assert code == 2
    assert single_line_error(err).startswith("orderproof certify: error: cannot reach http://127.0.0.1:9")
    assert not (tmp_path / "certificate.json").exists()


def test_internal_error_exits_3_with_a_hint(monkeypatch, capsys, tmp_path):
    def broken(options):
        raise KeyError(f"session {LEAKED}")

    monkeypatch.setattr(runner, "run_conformance", broken, raising=False)
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 3
    line = single_line_error(err)
    assert "internal error: KeyError" in line and "ORDERPROOF_DEBUG=1" in line
    monkeypatch.setenv("ORDERPROOF_DEBUG", "1")
    masking.registry().add(LEAKED)
    code, _, err = certify(capsys, "--report-dir", str(tmp_path))
    assert code == 3 and "Traceback" in err


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
    monkeypatch.chdir(tmp_path)
    code, out, err = certify(capsys, *args)
    assert code == 2
    assert message in single_line_error(err)
    assert fake.options is None, "nothing runs after a usage error"
    assert not (tmp_path / "reports").exists()
