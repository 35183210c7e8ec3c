"""The certificate built from a hand-made run: schema, markdown, verdict arithmetic, verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from orderproof.catalogue import load_catalogue
from orderproof.cli import main
from orderproof.core import masking
from orderproof.core.paths import SCHEMAS_DIR
from orderproof.core.results import Evidence, RuleResult, RunResult, Verdict
from orderproof.report import certificate

API = "sportsbook-order"
SESSION = "cust-tok-5f2a9c0e7d"
CURL = ("curl -X POST -H 'Content-Type: application/json' "
        "-d '{\"customerToken\": \"cust-tok-5f2a9c0e7d\", \"ticketId\": \"9007199254740993\", \"orderAmount\": 10}' "
        "http://127.0.0.1:8000/order")
COMMAND = "orderproof certify --serve --fault bigint-ticket-id"


def rule_result(rule_id: str, verdict: Verdict, **extra) -> RuleResult:
    rule = load_catalogue([API]).rule(rule_id)
    return RuleResult(api=API, rule_id=rule.id, level=rule.level, title=rule.title, check=rule.check,
                      verdict=verdict, **extra)


def failing_echo() -> RuleResult:
    return rule_result(
        "SO-TICKET-ECHO", Verdict.FAIL, reason="ticketId not echoed exactly", cases=12,
        evidence=Evidence(
            message="data.ticketId is 9007199254740992, the request sent 9007199254740993",
            request={"method": "POST", "url": "http://127.0.0.1:8000/order",
                     "headers": {"Content-Type": "application/json"},
                     "body": {"customerToken": SESSION, "ticketId": "9007199254740993", "orderAmount": 10}},
            response={"status": 200, "headers": {"content-type": "application/json"},
                      "body": f'{{"code": 200, "msg": "success", "data": {{"ticketId": 9007199254740992, "echo": "{SESSION}"}}}}'},
            curl=CURL,
        ),
    )


def make_run(results: list[RuleResult]) -> RunResult:
    catalogue = load_catalogue([API])
    return RunResult(
        results=results, target="embedded reference with fault bigint-ticket-id (served on http://127.0.0.1:8000)",
        apis=(API,), profile="quick", seed=424242, run_id="0123456789abcdef0123456789abcdef",
        started=datetime(2026, 11, 25, 15, 0, 0, tzinfo=UTC), finished=datetime(2026, 11, 25, 15, 1, 30, tzinfo=UTC),
        junit_path=Path("junit.xml"), allure_dir=Path("allure-results"), spec_sha256=catalogue.file_hashes(),
    )


@pytest.fixture
def mixed_run() -> RunResult:
    return make_run([
        rule_result("SO-SCHEMA", Verdict.PASS, cases=40),
        failing_echo(),
        rule_result("SO-AMOUNT-ECHO", Verdict.NOT_VERIFIED, reason="the target has no provider-state hook"),
        rule_result("SO-REPEAT", Verdict.FAIL, reason="the repeat debited the wallet twice",
                    evidence=Evidence(message="balance moved from 1000.00 to 980.00 for two identical orders")),
    ])


@pytest.fixture
def secrets():
    registry = masking.reset_registry()
    registry.add(SESSION)
    yield registry
    masking.reset_registry()


def write_reports(tmp_path: Path) -> Path:
    (tmp_path / "junit.xml").write_text("<testsuites><testsuite name='orderproof'/></testsuites>")
    allure = tmp_path / "allure-results"
    allure.mkdir()
    (allure / "1-result.json").write_text('{"name": "test_rule[sportsbook-order::SO-SCHEMA]", "status": "passed"}')
    (allure / "2-attachment.txt").write_text("curl ...")
    return tmp_path


def test_certificate_is_schema_valid_and_complete(tmp_path, mixed_run, secrets):
    cert = certificate.build_certificate(mixed_run, command=COMMAND)
    path = certificate.write_certificate(cert, write_reports(tmp_path))
    data = json.loads(path.read_text())
    schema = json.loads((SCHEMAS_DIR / "certificate.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)

    assert data["suite"] == {"name": "orderproof", "version": __import__("orderproof").__version__}
    assert data["date"] == "2026-11-25T15:01:30Z"
    assert data["seed"] == 424242 and data["profile"] == "quick" and data["apis"] == [API]
    assert set(data["files_sha256"]) == {f"{API}/openapi.yaml", f"{API}/contract.yaml"}
    assert data["result"] == certificate.NOT_CERTIFIED and data["exit_code"] == 1
    assert data["counts"] == {"rules": 4, "PASS": 1, "FAIL": 2, "NOT VERIFIED": 1,
                              "must_failed": 1, "must_not_verified": 1, "should_failed": 1}
    assert set(data["evidence_files"]) == {"junit.xml", "allure-results/1-result.json",
                                           "allure-results/2-attachment.txt", "certificate.md"}

    by_id = {rule["rule_id"]: rule for rule in data["rules"]}
    assert by_id["SO-SCHEMA"]["evidence"] is None
    assert by_id["SO-AMOUNT-ECHO"]["reason"] == "the target has no provider-state hook"
    assert by_id["SO-TICKET-ECHO"]["source"]["seed"] == "000_c220e78285a7d7fc.txt"
    assert by_id["SO-TICKET-ECHO"]["source"]["quote"]
    evidence = by_id["SO-TICKET-ECHO"]["evidence"]
    assert evidence["response"]["status"] == 200
    assert evidence["replay"]["command"] == f"{COMMAND} --api {API} --seed 424242"
    assert evidence["curl"].startswith("curl -X POST") and evidence["replay"]["curl"] == evidence["curl"]
    # a FAIL without a recorded request still carries its message and replay command
    assert by_id["SO-REPEAT"]["evidence"]["curl"] == ""
    assert by_id["SO-REPEAT"]["evidence"]["replay"]["command"].endswith("--seed 424242")


def test_certificate_masks_run_secrets_everywhere(tmp_path, mixed_run, secrets):
    certificate.write_certificate(certificate.build_certificate(mixed_run, command=COMMAND), tmp_path)
    for name in (certificate.CERTIFICATE_JSON, certificate.CERTIFICATE_MD):
        text = (tmp_path / name).read_text()
        assert SESSION not in text, name
        assert '\\"customerToken\\": \\"***\\"' in text or '"customerToken": "***"' in text, name
        assert "9007199254740993" in text, "non-secret evidence stays readable"


def test_markdown_lists_every_rule_failures_first_with_curl(tmp_path, mixed_run, secrets):
    certificate.write_certificate(certificate.build_certificate(mixed_run, command=COMMAND), tmp_path)
    md = (tmp_path / certificate.CERTIFICATE_MD).read_text()
    for rule in mixed_run.results:
        assert rule.rule_id in md
    assert md.startswith("# orderproof certificate: NOT CERTIFIED")
    assert "| Rules | 4: 1 PASS, 2 FAIL (1 MUST, 1 SHOULD warning), 1 NOT VERIFIED |" in md
    assert masking.mask_text(CURL) in md
    assert f"{COMMAND} --api {API} --seed 424242" in md
    section = md[md.index(f"## {API}"):]
    assert section.index("### FAIL SO-TICKET-ECHO") < section.index("| SO-SCHEMA | MUST | PASS")
    assert "### WARNING SO-REPEAT (SHOULD)" in section and "### FAIL SO-REPEAT" not in section
    assert "HTTP 200" in section and "the target has no provider-state hook" in section
    assert "start one with `orderproof serve`" in section, "how to replay against the embedded reference"


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ({"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.PASS}, 0),
        ({"SO-SCHEMA": Verdict.PASS, "SO-REPEAT": Verdict.FAIL}, 0),             # SHOULD: a warning
        ({"SO-SCHEMA": Verdict.PASS, "SO-REPEAT": Verdict.NOT_VERIFIED}, 0),
        ({"SO-SCHEMA": Verdict.PASS, "SO-TICKET-ECHO": Verdict.FAIL}, 1),
        ({"SO-SCHEMA": Verdict.PASS, "SO-AMOUNT-ECHO": Verdict.NOT_VERIFIED}, 1),    # a MUST that did not pass
        ({"SO-REPEAT": Verdict.PASS}, 1),                                        # no MUST rule ran at all
    ],
)
def test_exit_code(verdicts, expected):
    results = [rule_result(rule_id, verdict, reason="why") for rule_id, verdict in verdicts.items()]
    assert certificate.exit_code(results) == expected
    assert certificate.is_certified(results) is (expected == 0)


def test_schema_rejects_a_fail_without_evidence(tmp_path, mixed_run, secrets):
    cert = certificate.build_certificate(mixed_run, command=COMMAND)
    cert["rules"][1]["evidence"] = None
    with pytest.raises(certificate.CertificateError, match="rules/1/evidence"):
        certificate.write_certificate(cert, tmp_path)
    assert not (tmp_path / certificate.CERTIFICATE_JSON).exists()


@pytest.fixture
def certified_dir(tmp_path, mixed_run, secrets) -> Path:
    certificate.write_certificate(certificate.build_certificate(mixed_run, command=COMMAND), write_reports(tmp_path))
    return tmp_path


def test_verify_intact(certified_dir, capsys):
    assert main(["verify-certificate", str(certified_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("intact:") and "4 evidence files" in out


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (lambda d: (d / "allure-results" / "1-result.json").write_text('{"status": "passed!"}'),
         "allure-results/1-result.json: changed"),
        (lambda d: (d / "junit.xml").unlink(), "junit.xml: missing"),
        (lambda d: (d / "certificate.md").write_text("# orderproof certificate: CERTIFIED\n"), "certificate.md: changed"),
        (lambda d: (d / "allure-results" / "3-result.json").write_text("{}"),
         "allure-results/3-result.json: added"),
    ],
)
def test_verify_names_a_changed_evidence_file(certified_dir, capsys, tamper, named):
    tamper(certified_dir)
    assert main(["verify-certificate", str(certified_dir)]) == 1
    assert named in capsys.readouterr().out


def test_verify_detects_an_edited_verdict(certified_dir, capsys):
    path = certified_dir / certificate.CERTIFICATE_JSON
    data = json.loads(path.read_text())
    for rule in data["rules"]:
        if rule["rule_id"] == "SO-TICKET-ECHO":
            rule["verdict"], rule["evidence"] = "PASS", None
    data["result"], data["exit_code"] = certificate.CERTIFIED, 0
    path.write_text(json.dumps(data, indent=2))
    assert main(["verify-certificate", str(certified_dir)]) == 1
    assert "certificate.json: content changed" in capsys.readouterr().out


def test_verify_missing_or_invalid_certificate_is_exit_2(tmp_path, capsys):
    assert main(["verify-certificate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no certificate.json" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

    (tmp_path / certificate.CERTIFICATE_JSON).write_text('{"format": "orderproof-certificate/1"}')
    assert main(["verify-certificate", str(tmp_path)]) == 2
    assert "does not follow its schema" in capsys.readouterr().err

    (tmp_path / certificate.CERTIFICATE_JSON).write_text("{not json")
    assert main(["verify-certificate", str(tmp_path)]) == 2
    assert "not a readable JSON certificate" in capsys.readouterr().err


def test_a_huge_response_body_is_cut(tmp_path, secrets):
    huge = failing_echo()
    huge.evidence.response["body"] = "x" * 10_000_000
    certificate.write_certificate(certificate.build_certificate(make_run([huge]), command=COMMAND), tmp_path)
    assert (tmp_path / certificate.CERTIFICATE_JSON).stat().st_size < 100_000
    body = json.loads((tmp_path / certificate.CERTIFICATE_JSON).read_text())["rules"][0]["evidence"]["response"]["body"]
    assert body.endswith("[cut: 10000000 characters in all]")


def test_a_failure_with_no_http_answer_says_so_not_http_0(tmp_path):
    dropped = rule_result("SO-NO-5XX", Verdict.FAIL, reason="the connection was dropped", evidence=Evidence(
        message="no answer", request={"method": "POST", "url": "http://127.0.0.1:8000/order", "headers": {},
                                      "body": {"orderAmount": 1}},
        response={"status": 0, "headers": {}, "body": "", "error": "the connection was closed without an answer"},
        curl="curl -X POST http://127.0.0.1:8000/order"))
    certificate.write_certificate(certificate.build_certificate(make_run([dropped]), command=COMMAND), tmp_path)
    md = (tmp_path / certificate.CERTIFICATE_MD).read_text()
    assert "Response: none (the connection was closed without an answer)" in md and "HTTP 0" not in md
