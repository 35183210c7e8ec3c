"""The conformance items: one test per (API, rule), collected by the orderproof plugin when a target
is given. ``test_rule[<slug>::<RULE-ID>]``: MUST FAIL -> failed, SHOULD FAIL -> xfail,
NOT VERIFIED -> skipped with the reason, PASS -> passed.
"""

from __future__ import annotations

import json
from typing import Any

import allure
import pytest

from orderproof import registry
from orderproof.core.results import RuleResult, Verdict
from orderproof.engine.runner import verify
from orderproof.session import collector


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule" not in metafunc.fixturenames:
        return
    context = collector.context_of(metafunc.config)
    names = [f"{rule.api}::{rule.id}" for rule in context.ordered_rules()] if context is not None else []
    metafunc.parametrize("rule", names, ids=names)     # a plain string: JUnit and allure show it as is


@pytest.fixture(scope="session")
def orderproof_context(request: pytest.FixtureRequest) -> Any:
    context = collector.context_of(request.config)
    if context is None:
        pytest.skip("no orderproof target: give --target-url, --target-config, --serve or --fault")
    return context


def test_rule(rule: str, orderproof_context: Any, request: pytest.FixtureRequest) -> None:
    context = orderproof_context
    rule = context.catalogue.rule(rule.split("::", 1)[1])
    total = request.config.stash.get(collector.TOTAL_KEY, 0) or len(context.ordered_rules())
    index = len(request.config.stash[collector.RESULTS_KEY]) + 1
    collector.rule_started(request.config, rule, index, total)
    _label(context, rule)
    result = verify(context, rule)
    collector.record(request.config, result, index, total)
    _report(result)


def _label(context: Any, rule: Any) -> None:
    """What the test knows while it runs; the grouping, ids, statuses and the seed's quote are set
    when the session ends (:func:`orderproof.report.labels.label_allure`)."""
    allure.dynamic.title(f"{rule.id}: {rule.title}")
    allure.dynamic.label("operation", f"{registry.get(rule.api).method} {registry.get(rule.api).path}")
    allure.dynamic.parameter("profile", context.profile.name)
    allure.dynamic.parameter("seed", context.seed)


def _attach(result: RuleResult) -> None:
    evidence = result.evidence
    if evidence is None:
        return
    allure.attach(evidence.message, name="failure", attachment_type=allure.attachment_type.TEXT)
    if evidence.request:
        allure.attach(json.dumps(evidence.request, indent=2, default=str), name="request",
                      attachment_type=allure.attachment_type.JSON)
    if evidence.response:
        allure.attach(json.dumps(evidence.response, indent=2, default=str), name="response",
                      attachment_type=allure.attachment_type.JSON)
    if evidence.curl:
        allure.attach(evidence.curl, name="curl", attachment_type=allure.attachment_type.TEXT)
    allure.attach(evidence.replay, name="replay", attachment_type=allure.attachment_type.TEXT)


def _report(result: RuleResult) -> None:
    if result.verdict is Verdict.PASS:
        return
    if result.verdict is Verdict.NOT_VERIFIED:
        pytest.skip(f"NOT VERIFIED: {result.reason}")
    _attach(result)
    text = _failure_text(result)
    if result.level == "MUST":
        pytest.fail(text, pytrace=False)
    pytest.xfail(f"SHOULD {text}")


def _failure_text(result: RuleResult) -> str:
    evidence = result.evidence
    lines = [f"{result.rule_id} ({result.level}) {result.title}", evidence.message if evidence else result.reason]
    if evidence is not None:
        if evidence.response:
            lines.append(f"response: HTTP {evidence.response.get('status')} {str(evidence.response.get('body'))[:500]}")
        if evidence.curl:
            lines.append(f"request:  {evidence.curl[:2000]}")
        lines.append(f"replay:   {evidence.replay}")
    return "\n".join(lines)
