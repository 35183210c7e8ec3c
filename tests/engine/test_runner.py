"""engine.runner.verify: one verdict per rule, decided the same way for any API."""

from __future__ import annotations

import dataclasses

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from orderproof.checks.base import RESPONSE_CHECKS
from orderproof.core.results import Verdict
from orderproof.engine.evidence import BUDGET
from orderproof.engine.runner import verify


def test_a_correct_service_passes_every_rule(make_context):
    context = make_context()
    results = {rule.id: verify(context, rule) for rule in context.ordered_rules()}
    assert {rule_id: r.verdict for rule_id, r in results.items()} == dict.fromkeys(results, Verdict.PASS)
    assert all(r.seed == 1 and r.duration_s >= 0 for r in results.values())
    assert results["VO-ECHO"].applicable > 0 and results["VO-ECHO"].cases >= results["VO-ECHO"].applicable


def test_flow_rules_run_before_response_rules(make_context):
    order = [rule.id for rule in make_context().ordered_rules()]
    assert order[0] == "VO-REFUSED-ISSUES-NOTHING" and order.index("VO-ECHO") > 0


def test_a_failing_rule_has_replayable_evidence(make_context, toy_app):
    context = make_context(toy_app(fault="amount-rounded-to-euros"))
    result = verify(context, context.catalogue.rule("VO-ECHO"))
    assert result.verdict is Verdict.FAIL
    evidence = result.evidence
    assert "the voucher's amount is not the request's" in evidence.message
    assert "documented:" in evidence.message                              # the rule's own words
    assert evidence.curl.startswith("curl -X POST http://testserver/vouchers")
    assert evidence.replay.endswith("--api voucher-order --seed 1") and "--profile quick" in evidence.replay
    assert evidence.response["status"] == 201


def test_a_rule_without_a_registered_check_is_not_verified(make_context):
    context = make_context()
    rule = dataclasses.replace(context.catalogue.rule("VO-ECHO"), check="vo_nothing_by_that_name")
    result = verify(context, rule)
    assert (result.verdict, result.reason) == (Verdict.NOT_VERIFIED, "no check named 'vo_nothing_by_that_name' is registered")


def test_a_target_that_does_not_speak_the_api_fails_its_schema_rule_and_passes_nothing(make_context):
    page = FastAPI()

    @page.api_route("/{path:path}", methods=["GET", "POST"])
    def anything(path: str) -> HTMLResponse:
        return HTMLResponse("<html>welcome</html>")

    context = make_context(page)
    results = {rule.id: verify(context, rule) for rule in context.ordered_rules()}
    assert results["VO-SCHEMA"].verdict is Verdict.FAIL and results["VO-NEGATIVE"].verdict is Verdict.FAIL
    assert "does not speak voucher-order" in results["VO-SCHEMA"].reason
    others = [r for rule_id, r in results.items() if rule_id not in ("VO-SCHEMA", "VO-NEGATIVE")]
    assert {r.verdict for r in others} == {Verdict.NOT_VERIFIED}
    assert context.transport.sent == 3                                   # the probes, then nothing


def test_a_rule_with_nothing_to_judge_because_valid_requests_were_refused_says_so(make_context, toy, monkeypatch):
    refusing = FastAPI()

    @refusing.post("/vouchers")
    def order() -> JSONResponse:
        return JSONResponse({"error": "UNKNOWN_CUSTOMER", "message": "no such customer"}, status_code=400)

    @refusing.post("/_orderproof/provider-states")
    def states() -> JSONResponse:
        return JSONResponse({"userId": "c-1", "customerId": "c-1", "vouchers": []})

    monkeypatch.setattr(toy.api, "valid_request_hint", "the vouchers carry the customerId of \"a player exists\"",
                        raising=False)
    context = make_context(refusing)
    results = {rule.id: verify(context, rule) for rule in context.ordered_rules()}
    assert results["VO-POSITIVE"].verdict is Verdict.FAIL
    echo = results["VO-ECHO"]
    assert echo.verdict is Verdict.NOT_VERIFIED
    assert echo.reason == ('no response to which the rule applies was observed; valid requests were not accepted '
                           '(see VO-POSITIVE): the vouchers carry the customerId of "a player exists"'), echo.reason


def test_a_rule_with_nothing_to_judge_on_a_service_that_accepts_says_no_more(make_context):
    context = make_context()
    rule = dataclasses.replace(context.catalogue.rule("VO-ECHO"), id="VO-ECHO-NEVER")
    result = verify(context, rule)           # the shared pass judged no exchange under this id
    assert (result.verdict, result.reason) == (Verdict.NOT_VERIFIED, "no response to which the rule applies was observed")
    said = verify(context, dataclasses.replace(rule, unjudged="a service that refuses nothing is not at fault"))
    assert said.reason == "no response to which the rule applies was observed: a service that refuses nothing is not at fault"


def test_a_rule_needing_what_the_target_lacks_is_not_verified_with_the_reason(make_context):
    context = make_context(hook=False)
    result = verify(context, context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING"))
    assert result.verdict is Verdict.NOT_VERIFIED
    assert result.reason == "the rule needs the player snapshot, and the target has no provider-state hook"


def test_a_spent_budget_ends_rules_not_verified_never_failed(make_context):
    context = make_context(max_requests=5)
    results = [verify(context, rule) for rule in context.ordered_rules()]
    assert context.transport.sent == 5
    assert Verdict.FAIL not in {r.verdict for r in results}
    assert any(r.reason == BUDGET for r in results)


def test_a_defect_of_a_check_is_not_verified_never_a_pass(make_context, monkeypatch):
    context = make_context()

    def broken(rule, flow):
        raise KeyError("a bug in the check")

    from orderproof.checks.base import FLOW_CHECKS

    monkeypatch.setitem(FLOW_CHECKS, "vo_refused_issues_nothing", broken)
    result = verify(context, context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING"))
    assert result.verdict is Verdict.FAIL and "the scenario could not run: KeyError" in result.reason
    monkeypatch.setitem(RESPONSE_CHECKS, "vo_echo", lambda rule, exchange: 1 / 0)
    result = verify(make_context(), context.catalogue.rule("VO-ECHO"))
    assert result.verdict is Verdict.FAIL and "could not be evaluated: ZeroDivisionError" in result.reason
