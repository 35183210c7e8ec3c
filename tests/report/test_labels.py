"""JUnit and Allure name each conformance item by API and rule, keep one id per (API, rule) from run
to run, and make a SHOULD failure a visible warning, not a bare skip; checked on a real certify run
(a SHOULD fault, a MUST fault) and on hand-made files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orderproof.catalogue import load_catalogue
from orderproof.cli import main
from orderproof.core.results import RuleResult, Verdict
from orderproof.report.labels import label_allure, label_junit
from tests import SEED

API = "sportsbook-order"


def certify(directory: Path, *extra: str) -> int:
    return main(["certify", "--api", API, "--profile", "quick", "--seed", str(SEED), "--report-dir", str(directory),
                 *extra])


@pytest.fixture(scope="module")
def warned(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("warned")
    assert certify(directory, "--fault", "debits-repeat-ticket") == 0           # SO-REPEAT is SHOULD
    return directory


def results_of(directory: Path) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in (directory / "allure-results").glob("*-result.json")]


def labels(data: dict, name: str) -> list[str]:
    return [label["value"] for label in data["labels"] if label["name"] == name]


def test_junit_names_the_api_and_the_rule_and_warns_of_a_should_failure(warned):
    rules = load_catalogue([API]).rules
    cases = {case.get("name"): case for case in ET.parse(warned / "junit.xml").getroot().iter("testcase")}
    assert set(cases) == {f"{rule.id} {rule.title}" for rule in rules}
    assert {case.get("classname") for case in cases.values()} == {API}
    repeat = next(case for name, case in cases.items() if name.startswith("SO-REPEAT "))
    props = {p.get("name"): p.get("value") for p in repeat.iter("property")}
    assert props["orderproof.level"] == "SHOULD" and props["orderproof.verdict"] == "FAIL"
    assert props["orderproof.warning"] == "true"
    assert repeat.find("system-out").text.startswith("WARNING: SHOULD rule SO-REPEAT failed")


def test_allure_groups_api_then_rule_with_one_id_per_rule(warned):
    data = results_of(warned)
    rules = load_catalogue([API]).rules
    assert len(data) == len(rules) == len({d["testCaseId"] for d in data}) == len({d["historyId"] for d in data})
    for item in data:
        assert labels(item, "parentSuite") == [API] and labels(item, "epic") == [API]
        assert labels(item, "suite") == [item["name"]] and item["name"].split(":")[0] in {r.id for r in rules}
        assert not labels(item, "subSuite") and not item.get("links")
        assert "> " in item["description"]                      # the seed's quote, inline
    repeat = next(d for d in data if d["name"].startswith("SO-REPEAT:"))
    assert repeat["status"] == "broken" and labels(repeat, "severity") == ["minor"]
    assert repeat["statusDetails"]["message"].startswith("WARNING: SHOULD rule SO-REPEAT failed")
    assert "trace" not in repeat["statusDetails"]


def test_allure_ids_stay_the_same_from_run_to_run(warned, tmp_path):
    assert certify(tmp_path) == 0
    first = {d["name"]: (d["testCaseId"], d["historyId"]) for d in results_of(warned)}
    again = {d["name"]: (d["testCaseId"], d["historyId"]) for d in results_of(tmp_path)}
    assert first == again


def test_a_passing_rule_carries_its_cases_and_one_exchange(warned):
    passed = [d for d in results_of(warned) if d["status"] == "passed"]
    assert passed
    for item in passed:
        assert "case(s)" in item["description"]
        samples = [a for a in item.get("attachments", []) if a["name"].startswith("a passing exchange")]
        assert len(samples) == 1, item["name"]
        sample = json.loads((warned / "allure-results" / samples[0]["source"]).read_text(encoding="utf-8"))
        assert sample["request"]["method"] == "POST" and isinstance(sample["response"]["status"], int)


def test_a_must_failure_stays_failed_and_not_verified_is_skipped_with_its_reason(tmp_path):
    results = [RuleResult(api=API, rule_id="SO-SCHEMA", level="MUST", title="t", check="c", verdict=Verdict.FAIL,
                          reason="wrong"),
               RuleResult(api=API, rule_id="SO-BALANCE", level="MUST", title="t", check="c",
                          verdict=Verdict.NOT_VERIFIED, reason="no provider-state hook")]
    allure = tmp_path / "allure"
    allure.mkdir()
    for n, result in enumerate(results):
        status = "failed" if result.verdict is Verdict.FAIL else "skipped"
        (allure / f"{n}-result.json").write_text(json.dumps(
            {"name": "x", "status": status, "labels": [{"name": "suite", "value": "test_rule[sportsbook-order"}],
             "parameters": [{"name": "rule", "value": f"'{API}::{result.rule_id}'"}]}))
    (allure / "9-result.json").write_text(json.dumps({"name": "someone else's test", "status": "passed"}))
    label_allure(allure, results, {})
    failed, skipped, other = (json.loads((allure / f"{n}-result.json").read_text()) for n in (0, 1, 9))
    assert failed["status"] == "failed" and labels(failed, "suite") == ["SO-SCHEMA: t"]
    assert skipped["status"] == "skipped" and skipped["statusDetails"]["message"] == "NOT VERIFIED: no provider-state hook"
    assert other == {"name": "someone else's test", "status": "passed"}


def test_junit_leaves_other_test_cases_alone(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text('<testsuites><testsuite><testcase classname="tests.test_x" name="test_own"/></testsuite></testsuites>')
    label_junit(path, [])
    case = next(ET.parse(path).getroot().iter("testcase"))
    assert (case.get("classname"), case.get("name")) == ("tests.test_x", "test_own")
